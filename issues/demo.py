"""Demo problems: about 200 in every state over the last 12 months, made through the workflow.

Each problem is a topic (issues.demo_topics) that fits its enterprise's industry and
town, driven through `issues.workflow` with explicit past times, so its timeline,
deadlines and reference numbers are exactly what real use would leave. Concluded
problems spread evenly over the twelve months before today; open ones are recent, some
past their deadline (the sweep at the end of seed_demo escalates them), some due soon.
Steps of `seed_demo`; seeding does nothing when problems outside meetings exist.
"""

from __future__ import annotations

import datetime as dt
import random

from django.utils import timezone

from liaison import workdays

from . import deadlines, notifications, workflow
from .demo_topics import CATEGORIES, REJECTED, Raised, TopicPicker, day_text
from .models import (
    AppealType,
    CallBack,
    Category,
    Channel,
    EvaluationSource,
    Problem,
    Satisfaction,
    Status,
)

__all__ = [
    "CATEGORIES",
    "demo_appeal_type",
    "demo_suggested_appeal_type",
    "seed_callbacks",
    "seed_categories",
    "seed_deadline_sweep",
    "seed_merged_problem",
    "seed_problems",
]

# How many problems of each final state (about 200 in all).
PLAN = (
    ("submitted", 16),
    ("returned", 4),
    ("dispatched", 22),
    ("in_progress", 48),
    ("resolved", 24),
    ("closed", 72),
    ("rejected", 10),
)
CONCLUDED = ("closed", "rejected")
SEED = 20171

PROGRESS = (
    "已与企业负责人电话沟通，了解具体情况，正在会同相关单位研究解决方案。",
    "已上门走访企业，现场查看情况并收集相关材料，正在研究办理意见。",
    "已召集相关科室和协办单位会商，明确了办理思路，正在逐项落实。",
    "已与企业对接，初步方案已形成，正在征求企业意见。",
    "已向企业一次性告知所需材料，企业正在补充，收到后立即办理。",
    "已联系相关服务单位上门对接，正在商定具体时间和方案。",
)
INTERNAL_NOTES = (
    "内部说明：需协调上级部门意见，预计本周内明确。",
    "内部说明：涉及资金安排，已报分管领导审核。",
    "内部说明：与协办单位意见尚未统一，拟提请联络办协调。",
)
INSTRUCTIONS = (
    "请主办单位加快办理，确保按期办结，办理结果及时报送。",
    "此事关系企业正常生产，请主办单位主要负责人亲自过问，限期解决。",
    "请主办单位会同协办单位抓紧研究，有困难及时报告。",
)
EXTENSION_REASONS = (
    "涉及跨部门协调和上级审批，需延长办理时限。",
    "需等待第三方检测（评估）结果，申请延长办理时限。",
    "企业补充材料需要时间，申请延长办理时限。",
)
UNSATISFIED = (
    "答复内容与实际情况不符，问题仍未解决。",
    "只答复了政策，实际困难没有解决，希望再协调。",
    "答复的时间节点已过，事情还没有落实。",
)
THANKS = (
    "感谢相关部门的高效服务！",
    "办理很及时，问题已解决。",
    "感谢上门服务，解决了企业的燃眉之急。",
    "",
)
REOPENED = (
    "（重办：{dept}于{day}再次上门核实，按企业意见补充落实，问题已解决。）",
    "（重办：{dept}于{day}会同协办单位现场协调，企业反映的剩余问题已解决。）",
)


def _user(district, username):
    return district.users[username]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


def _wd(day: dt.date, n: int) -> dt.date:
    return workdays.add_working_days(day, n).value


def seed_categories(district) -> dict[str, Category]:
    categories = {}
    for order, (name_zh, name_en, code) in enumerate(CATEGORIES, start=1):
        category, created = Category.objects.get_or_create(
            name_zh=name_zh,
            defaults={
                "name_en": name_en,
                "default_lead_department": district.departments.get(code) if code else None,
                "display_order": order * 10,
            },
        )
        if created:
            district.created["category"] += 1
        categories[name_zh] = category
    return categories


def _ages(plan: list[str], today: dt.date, rng: random.Random) -> list[int]:
    """Working days between each problem's submission and today.

    Open problems are young enough to have a live or recently missed deadline; answered
    ones recently enough to still await the enterprise's evaluation. Concluded ones are
    spread evenly over the twelve months before today, one slice each.
    """
    year = workdays.working_days_between(today - dt.timedelta(days=364), today).value
    concluded = sum(1 for state in plan if state in CONCLUDED)
    spread = [3 + int((k + rng.random()) * (year - 4) / concluded) for k in range(concluded)]
    rng.shuffle(spread)
    ages = {
        "submitted": lambda: rng.randint(0, 4),
        "returned": lambda: rng.randint(0, 4),
        "dispatched": lambda: rng.choice([1, 1, 2, 3, 4, 5, 8, 12]),
        "in_progress": lambda: rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 9, 11, 14, 18, 25]),
        "resolved": lambda: rng.randint(2, 7),
    }
    return [spread.pop() if state in CONCLUDED else ages[state]() for state in plan]


# Words that make a problem's type plain (title and description only, never the answer).
_COMPLAINT_WORDS = ("迟迟", "至今没有", "至今未", "一直未", "拖延", "推诿")
_CONSULTATION_WORDS = ("如何", "咨询", "想了解", "不清楚", "不知道", "是否可以")
_SUGGESTION_WORDS = ("建议", "呼吁", "能否考虑")


def demo_appeal_type(title: str, description: str, index: int) -> str:
    """The appeal type the office gives a demo problem: its words, else a spread by index
    (about two thirds requests, then consultations, suggestions and complaints)."""
    text = f"{title} {description}"
    if any(word in text for word in _COMPLAINT_WORDS):
        return AppealType.COMPLAINT
    if any(word in title for word in _CONSULTATION_WORDS[:2]) or any(
        word in description for word in _CONSULTATION_WORDS[2:]
    ):
        return AppealType.CONSULTATION
    if any(word in description for word in _SUGGESTION_WORDS):
        return AppealType.SUGGESTION
    spread = {
        0: AppealType.CONSULTATION,
        5: AppealType.CONSULTATION,
        7: AppealType.SUGGESTION,
        13: AppealType.SUGGESTION,
        11: AppealType.COMPLAINT,
    }
    return spread.get(index % 20, AppealType.REQUEST)


def demo_suggested_appeal_type(appeal_type: str, index: int) -> str:
    """What the enterprise suggested on the form: a third say; now and then a complaint
    the office files as a request ("" when it left the choice to the office)."""
    if index % 3:
        return ""
    if appeal_type == AppealType.REQUEST and index % 9 == 0:
        return AppealType.COMPLAINT
    return appeal_type


def seed_problems(district) -> None:
    """About 200 problems in every state: some overdue, some due soon, some reopened."""
    categories = seed_categories(district)
    if Problem.objects.filter(meeting__isnull=True).exists():
        return
    rng = random.Random(SEED)
    picker = TopicPicker.from_database(district, seed=SEED)
    refusals = TopicPicker(
        district, seed=SEED, topics=REJECTED, used=picker.used, raised=picker.raised
    )
    today = timezone.localdate()
    office = _user(district, "office1")
    leaders = [u for name, u in district.users.items() if name.startswith("leader")]
    enterprise_users = [u for name, u in district.users.items() if name.startswith("ent")]
    heads = {code: district.users[f"{code}_head"] for code in district.departments}
    staff = {code: district.users[f"{code}_staff"] for code in district.departments}

    plan = [state for state, count in PLAN for _ in range(count)]
    rng.shuffle(plan)
    # Oldest first, so that reference numbers rise with the submission date.
    aged = sorted(zip(_ages(plan, today, rng), plan, strict=True), key=lambda pair: -pair[0])
    with notifications.suppressed():
        for index, (age, state) in enumerate(aged):
            enterprise_user = enterprise_users[(index * 7) % len(enterprise_users)]
            enterprise = enterprise_user.profile.enterprise
            raised = (refusals if state == "rejected" else picker).pick(enterprise)
            submitted_day = _wd(today, -age) if age else today
            submitted_at = _at(submitted_day, 9 + index % 8, (index * 13) % 60)
            now = timezone.now()
            if submitted_at > now:
                submitted_at = now - dt.timedelta(minutes=30 + index)
            channel = Channel.WEB if index % 5 else rng.choice([Channel.VISIT, Channel.PHONE])
            actor = enterprise_user if channel == Channel.WEB else office
            appeal_type = demo_appeal_type(raised.title, raised.description, index)
            problem = workflow.problem_submit(
                actor=actor,
                enterprise=enterprise,
                title=raised.title,
                description=raised.description,
                category=categories[raised.category],
                channel=channel,
                appeal_type=(
                    demo_suggested_appeal_type(appeal_type, index)
                    if channel == Channel.WEB
                    else appeal_type
                ),
                now=submitted_at,
            )
            district.created["problem"] += 1
            if state == "submitted":
                continue
            if state == "rejected":
                workflow.problem_reject(
                    problem_id=problem.pk,
                    actor=office,
                    reason=raised.rejection,
                    now=submitted_at + dt.timedelta(hours=3),
                )
                continue
            code = raised.lead_code
            lead = district.departments[code]
            town = district.departments[raised.town_code]
            co = [town] if index % 3 == 0 and town != lead else []
            leader = leaders[index % len(leaders)] if index % 4 == 0 else None
            dispatched_at = min(submitted_at + dt.timedelta(hours=4), timezone.now())
            if state == "returned":
                # Sent first to the wrong desk, which sends it back naming the right one.
                wrong = "jxsw" if code == raised.town_code else raised.town_code
                workflow.problem_dispatch(
                    problem_id=problem.pk,
                    actor=office,
                    lead_department=district.departments[wrong],
                    now=dispatched_at,
                )
                workflow.problem_return(
                    problem_id=problem.pk,
                    actor=heads[wrong],
                    reason=f"经核实，该事项属于{lead.name}职责，建议改派{lead.name}主办，"
                    "本单位可配合做好协办工作。",
                    now=dispatched_at + dt.timedelta(hours=2),
                )
                continue
            problem = workflow.problem_dispatch(
                problem_id=problem.pk,
                actor=office,
                lead_department=lead,
                co_departments=co,
                responsible_leader=leader,
                appeal_type=appeal_type,
                now=dispatched_at,
            )
            if state == "dispatched":
                continue
            if index % 30 == 1 and appeal_type != AppealType.COMPLAINT:
                # Later the office learns the enterprise had asked in vain before.
                workflow.problem_set_appeal_type(
                    problem_id=problem.pk,
                    actor=office,
                    appeal_type=AppealType.COMPLAINT,
                    note="企业反映此前已多次向有关单位反映未果，按投诉类诉求跟踪督办。",
                    now=min(dispatched_at + dt.timedelta(minutes=10), timezone.now()),
                )
            _handle(
                problem, state, raised, lead, heads[code], staff[code], office, leaders, rng, index
            )


def _handle(
    problem, state, raised: Raised, lead, head, staff_user, office, leaders, rng, index
) -> None:
    """Drive a dispatched problem on to in_progress, resolved or closed, with past times."""
    now = timezone.now()
    start_day = workdays.local_date(problem.clock_started_at)
    acknowledged_at = min(_at(_wd(start_day, 1), 9, 30), now - dt.timedelta(minutes=20))
    workflow.problem_acknowledge(problem_id=problem.pk, actor=head, now=acknowledged_at)
    if index % 3 == 0:
        workflow.problem_assign_handler(
            problem_id=problem.pk, actor=head, handler=staff_user, now=acknowledged_at
        )
    progress_at = min(_at(_wd(start_day, 3), 15), now - dt.timedelta(minutes=10))
    if progress_at > acknowledged_at:
        workflow.problem_add_progress(
            problem_id=problem.pk,
            actor=staff_user,
            text=PROGRESS[index % len(PROGRESS)],
            is_public=True,
            now=progress_at,
        )
        if index % 4 == 1:
            workflow.problem_add_progress(
                problem_id=problem.pk,
                actor=head,
                text=INTERNAL_NOTES[index % len(INTERNAL_NOTES)],
                is_public=False,
                now=progress_at + dt.timedelta(minutes=5),
            )
    if index % 9 == 0 and leaders:
        workflow.problem_instruct(
            problem_id=problem.pk,
            actor=leaders[index % len(leaders)],
            text=INSTRUCTIONS[index % len(INSTRUCTIONS)],
            now=progress_at + dt.timedelta(minutes=8),
        )
    if state == "in_progress":
        if index % 6 == 0 and progress_at < now - dt.timedelta(minutes=2):
            request = workflow.problem_request_extension(
                problem_id=problem.pk,
                actor=head,
                days=5,
                reason=EXTENSION_REASONS[index % len(EXTENSION_REASONS)],
                now=progress_at + dt.timedelta(minutes=10),
            )
            if index % 12 == 0:
                workflow.problem_decide_extension(
                    extension_id=request.pk,
                    actor=office,
                    approve=True,
                    note="同意延期5个工作日。",
                    now=progress_at + dt.timedelta(minutes=15),
                )
        return
    # Mostly on time, a few late: answered 3 to 9 working days after the start, or 12.
    answer_day = _wd(start_day, 12 if index % 11 == 0 else rng.randint(3, 9))
    resolved_at = min(_at(answer_day, 16), now - dt.timedelta(minutes=5))
    resolved_at = max(resolved_at, progress_at + dt.timedelta(minutes=20))
    if resolved_at >= now:
        return
    answer = raised.answer(
        begun=workdays.local_date(acknowledged_at), answered=workdays.local_date(resolved_at)
    )
    workflow.problem_resolve(problem_id=problem.pk, actor=head, answer=answer, now=resolved_at)
    if state == "resolved":
        return
    enterprise_user = problem.enterprise.profiles.select_related("user").first().user
    evaluated_at = min(resolved_at + dt.timedelta(days=1), now - dt.timedelta(minutes=1))
    if index % 10 == 3:
        # Unsatisfied once, handled again, then satisfied.
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=enterprise_user,
            satisfaction=Satisfaction.UNSATISFIED,
            reason=UNSATISFIED[index % len(UNSATISFIED)],
            now=evaluated_at,
        )
        second_at = min(evaluated_at + dt.timedelta(days=2), now - dt.timedelta(seconds=30))
        again = REOPENED[index % len(REOPENED)].format(
            dept=lead.name, day=day_text(workdays.local_date(second_at))
        )
        workflow.problem_resolve(
            problem_id=problem.pk, actor=head, answer=answer + again, now=second_at
        )
        evaluated_at = min(second_at + dt.timedelta(hours=5), now - dt.timedelta(seconds=10))
    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.BASICALLY if index % 7 == 0 else Satisfaction.SATISFIED,
        reason=THANKS[index % len(THANKS)],
        now=evaluated_at,
    )


# The office's call-backs (回访) on answered problems, oldest answer first: what the caller
# heard, and for an unsatisfied one the review (None: it still waits for the office).
CALLBACKS = (
    (
        CallBack.Outcome.REACHED,
        Satisfaction.SATISFIED,
        "企业负责人表示问题已解决，对办理结果满意。",
        None,
    ),
    (CallBack.Outcome.NOT_REACHED, "", "电话无人接听，改日再联系。", None),
    (
        CallBack.Outcome.REACHED,
        Satisfaction.UNSATISFIED,
        "企业希望给予专项资金补助，对答复不满意。",
        (
            workflow.REVIEW_CLOSE,
            "经核实，企业诉求超出现行政策范围，主办单位已当面解释政策依据，按办结处理。",
        ),
    ),
    (
        CallBack.Outcome.REACHED,
        Satisfaction.UNSATISFIED,
        "企业反映答复的整改时间已过，现场仍未落实。",
        None,
    ),
)
CHECK = "抽查回访：企业确认已自行评价，情况属实，对办理结果满意。"


def seed_callbacks(district) -> None:
    """A few call-backs by the office on this run's answered problems; one reviewed."""
    if not district.created["problem"]:
        return
    office = _user(district, "office1")
    now = timezone.now()
    answered = list(
        Problem.objects.filter(status=Status.RESOLVED, meeting__isnull=True).order_by(
            "last_resolved_at", "id"
        )[: len(CALLBACKS)]
    )
    with notifications.suppressed():
        for problem, (outcome, satisfaction, said, review) in zip(
            answered, CALLBACKS, strict=False
        ):
            called_at = min(problem.last_resolved_at + dt.timedelta(days=1), now)
            callback = workflow.callback_record(
                problem_id=problem.pk,
                actor=office,
                outcome=outcome,
                satisfaction=satisfaction,
                said=said,
                called_at=called_at,
                now=now,
            )
            if review is not None:
                workflow.callback_review(
                    callback_id=callback.pk,
                    actor=office,
                    decision=review[0],
                    reason=review[1],
                    now=now,
                )
        evaluated = (
            Problem.objects.filter(
                status=Status.CLOSED, evaluation_source=EvaluationSource.ENTERPRISE
            )
            .order_by("closed_at", "id")
            .first()
        )
        if evaluated is not None:
            workflow.callback_record(
                problem_id=evaluated.pk,
                actor=office,
                outcome=CallBack.Outcome.REACHED,
                satisfaction=Satisfaction.SATISFIED,
                said=CHECK,
                called_at=now,
                check=True,
                now=now,
            )


def seed_deadline_sweep(district) -> None:
    """Last but one: what Celery beat would do at once, when this run created problems.

    The same sweep the beat task runs (issues.tasks.enforce_deadlines): overdue problems
    are escalated to their leaders, the due-soon ones warned, the office reminded of
    triage, and everyone told through the outbox as usual. Not on a run that created
    nothing: beat does that.
    """
    if district.created["problem"]:
        deadlines.sweep()


# A problem shared by several sweater (毛衫) firms of 洪合, merged (并单) into one main
# problem: the wash-water treatment the town's sweater makers all depend on.
MERGED_GROUP = (
    # (enterprise slug, title, description, satisfaction, comment)
    (
        "hongxiu",
        "毛衫水洗废水集中处理能力不足",
        "旺季水洗量大，园区集中处理站排队时间长，水洗工序经常停工待排，影响订单交期。",
        Satisfaction.SATISFIED,
        "处理站扩容后不再排队，感谢！",
    ),
    (
        "meiyang",
        "水洗废水排放排队，毛衫水洗停工",
        "我厂毛衫水洗废水需排入集中处理站，近期处理站满负荷，排队严重，水洗车间停工。",
        Satisfaction.BASICALLY,
        "基本解决，希望夜间时段也能开放。",
    ),
    (
        "jiaxin",
        "羊绒衫水洗废水处理站满负荷",
        "羊绒衫水洗后的废水送处理站处理，处理站满负荷，等待时间长，希望增加处理能力。",
        Satisfaction.SATISFIED,
        "",
    ),
)
MERGED_ANSWER = (
    "经区生态环境分局于{month}月{day}日会同洪合镇现场协调：集中处理站新增一条处理线，日处理能力提高40%；"
    "旺季实行分时段预约排放，各企业可在镇毛衫产业服务中心预约。此答复适用于反映同一问题的各家企业。"
)


def seed_merged_problem(district) -> None:
    """Three sweater firms' problems about the same wash-water treatment, merged into the
    first one; the environment bureau answers the main problem and each firm evaluates.
    On a run that created problems only (idempotent), with times in the last month."""
    if not district.created["problem"]:
        return
    from liaison.models import Profile, Role

    office = _user(district, "office1")
    department = district.departments["sthj"]
    staff = _user(district, "sthj_staff")
    category = Category.objects.get(name_zh=CATEGORIES[0][0])
    users = {
        profile.enterprise_id: profile.user
        for profile in Profile.objects.filter(
            role=Role.ENTERPRISE,
            enterprise__in=[district.enterprises[slug] for slug, *_ in MERGED_GROUP],
        ).select_related("user")
    }
    today = timezone.localdate()
    start = _wd(today, -12)
    problems = []
    with notifications.suppressed():
        for n, (slug, title, description, _s, _c) in enumerate(MERGED_GROUP):
            enterprise = district.enterprises[slug]
            problems.append(
                workflow.problem_submit(
                    actor=users[enterprise.pk],
                    enterprise=enterprise,
                    title=title,
                    description=description,
                    category=category,
                    now=_at(start if n == 0 else _wd(start, 1), 9 + n),
                )
            )
        main = workflow.problem_dispatch(
            problem_id=problems[0].pk,
            actor=office,
            lead_department=department,
            co_departments=[district.departments["hh"]],
            note="多家毛衫企业反映同一问题，请生态环境分局牵头，洪合镇协办。",
            now=_at(start, 14),
        )
        workflow.problem_acknowledge(problem_id=main.pk, actor=staff, now=_at(_wd(start, 1), 9))
        workflow.problems_merge(
            main_id=main.pk,
            problem_ids=[p.pk for p in problems[1:]],
            actor=office,
            now=_at(_wd(start, 1), 16),
        )
        workflow.problem_add_progress(
            problem_id=main.pk,
            actor=staff,
            text="已会同洪合镇到集中处理站现场查看，正在研究扩容和分时段预约方案。",
            is_public=True,
            now=_at(_wd(start, 3), 10),
        )
        workflow.problem_resolve(
            problem_id=main.pk,
            actor=staff,
            answer=MERGED_ANSWER.format(month=_wd(start, 6).month, day=_wd(start, 6).day),
            now=_at(_wd(start, 7), 15),
        )
        for problem, (slug, _t, _d, satisfaction, comment) in zip(
            problems, MERGED_GROUP, strict=True
        ):
            workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=users[district.enterprises[slug].pk],
                satisfaction=satisfaction,
                reason=comment,
                now=_at(_wd(start, 8), 10),
            )
