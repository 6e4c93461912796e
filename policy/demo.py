"""Demo common problems (a step of seed_demo), from the seed's 举一反三: labour shortage
answered by tailored out-of-town recruitment (定制式外出招聘), hazardous-waste disposal
(危废处置), direct power trading (电力直接交易); each with its measures and milestones,
linked to the demo problems of several enterprises; the first published, and one
enterprise has said it concerns it too. A common problem already there is left as it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from issues import workflow
from issues.models import Category, Problem
from liaison import workdays
from liaison.models import Role

from . import publishing, services
from .models import CommonProblem, CommonProblemLink


@dataclass(frozen=True)
class Measure:
    title: str
    issuing_body: str
    number: str
    days_ago: int
    departments: tuple[str, ...]
    url: str = ""


@dataclass(frozen=True)
class Seed:
    title: str
    description: str
    category: str
    lead: str
    keywords: tuple[str, ...]
    measures: tuple[Measure, ...]
    milestones: tuple[tuple[str, int, bool], ...]  # title, due in days (from today), done
    status: str
    published_title: str = ""
    published_text: str = ""


SEEDS = (
    Seed(
        title="用工难：一线普工和技工招聘难",
        description=(
            "多家制造企业在“面对面”会议和走访中反映旺季一线普工缺口大、熟练技工长期招不到、"
            "节后返岗率低，本地招聘会到场求职者少。"
        ),
        category="用工招聘",
        lead="rlsb",
        keywords=("普工", "招不到", "返岗", "招聘"),
        measures=(
            Measure(
                "秀洲区定制式外出招聘工作方案",
                "区人力社保局",
                "秀人社〔2017〕12号",
                150,
                ("rlsb", "jtj"),
                "https://www.xiuzhou.gov.cn/",
            ),
            Measure(
                "劳务协作站“点对点”包车招工补贴办法",
                "区人力社保局、区财政局",
                "",
                90,
                ("rlsb", "czj"),
            ),
        ),
        milestones=(
            ("与贵州、安徽、河南劳务输出地签订协作协议", -120, True),
            ("春节后首批定制式外出招聘到岗", -40, True),
            ("秋季用工高峰定制招聘专场", 45, False),
        ),
        status=CommonProblem.Status.ADDRESSED,
        published_title="企业用工难：定制式外出招聘",
        published_text=(
            "不少企业反映一线普工和技工招聘难。区人力社保局完善定制式外出招聘制度：按企业岗位需求，"
            "赴劳务输出地专场招聘、“点对点”包车到岗，并给予招工补贴。有同样困难的企业，"
            "点击“这也是我们的问题”，我们将把贵企业纳入下一批定制招聘。"
        ),
    ),
    Seed(
        title="危废处置难：小批量危废（漆渣等）无处处置",
        description=(
            "多家企业反映漆渣、废活性炭等小批量危险废物处置单位少、价格高、转移周期长，"
            "仓库存放接近上限，电子联单操作也不熟悉。"
        ),
        category="环保与危废处置",
        lead="sthj",
        keywords=("危废", "固废", "漆渣"),
        measures=(
            Measure(
                "小微企业危险废物统一收运试点方案",
                "区生态环境分局",
                "秀环〔2017〕8号",
                100,
                ("sthj", "jtj"),
            ),
        ),
        milestones=(
            ("确定危废集中收运单位", -60, True),
            ("收运覆盖全部镇街", 60, False),
        ),
        status=CommonProblem.Status.IN_PROGRESS,
    ),
    Seed(
        title="用电成本高：参加电力直接交易",
        description=(
            "用电量较大的企业反映电费负担重，希望参加电力直接交易降低电价，但不熟悉交易平台注册和售电公司代理。"
        ),
        category="用电用能",
        lead="gd",
        keywords=("电力", "电费", "电价"),
        measures=(
            Measure("电力直接交易企业申报指引", "区经信商务局、区供电公司", "", 80, ("gd", "jxsw")),
        ),
        milestones=(("组织电力市场化交易培训", -30, True),),
        status=CommonProblem.Status.IN_PROGRESS,
    ),
)


def _problems_for(seed: Seed, limit: int = 6) -> list[Problem]:
    """Up to `limit` demo problems on the topic, of different enterprises."""
    words = Q()
    for word in seed.keywords:
        words |= Q(title__contains=word)
    chosen: dict[int, Problem] = {}
    for problem in Problem.objects.filter(words, category__name_zh=seed.category).order_by("pk")[
        :100
    ]:
        chosen.setdefault(problem.enterprise_id, problem)
        if len(chosen) >= limit:
            break
    return list(chosen.values())


def seed_common_problems(district) -> None:
    users = list(district.users.values())
    profiles = {u.pk: getattr(u, "profile", None) for u in users}
    office = next((u for u in users if profiles[u.pk] and profiles[u.pk].role == Role.OFFICE), None)
    leaders = [u for u in users if profiles[u.pk] and profiles[u.pk].role == Role.LEADER]
    if office is None or not district.departments:
        return
    now = timezone.now()
    today = workdays.local_date(now)
    with transaction.atomic():
        for number, seed in enumerate(SEEDS):
            if CommonProblem.objects.filter(title=seed.title).exists():
                continue
            category = Category.objects.filter(name_zh=seed.category).first()
            lead = district.departments.get(seed.lead)
            if category is None or lead is None:
                continue
            created = now - dt.timedelta(days=200)
            common_problem = services.common_problem_create(
                actor=office,
                title=seed.title,
                description=seed.description,
                category=category,
                lead_department=lead,
                responsible_leader=leaders[number % len(leaders)] if leaders else None,
                problems=_problems_for(seed),
                now=created,
            )
            district.created["commonproblem"] += 1
            for measure in seed.measures:
                services.measure_add(
                    actor=office,
                    common_problem_id=common_problem.pk,
                    title=measure.title,
                    issuing_body=measure.issuing_body,
                    document_number=measure.number,
                    issued_on=today - dt.timedelta(days=measure.days_ago),
                    url=measure.url,
                    departments=[
                        district.departments[code]
                        for code in measure.departments
                        if code in district.departments
                    ],
                    now=now - dt.timedelta(days=measure.days_ago),
                )
            for title, due_in, done in seed.milestones:
                milestone = services.milestone_add(
                    actor=office,
                    common_problem_id=common_problem.pk,
                    title=title,
                    due_date=today + dt.timedelta(days=due_in),
                    now=created + dt.timedelta(days=1),
                )
                if done:
                    services.milestone_done(
                        actor=office,
                        milestone_id=milestone.pk,
                        done_date=today + dt.timedelta(days=due_in),
                        now=now,
                    )
            common_problem.refresh_from_db()
            if seed.status != common_problem.status:
                services.common_problem_set_status(
                    actor=office,
                    common_problem_id=common_problem.pk,
                    expected_version=common_problem.version,
                    status=seed.status,
                    now=now - dt.timedelta(days=20),
                )
                common_problem.refresh_from_db()
            if seed.published_title:
                publishing.common_problem_publish(
                    actor=office,
                    common_problem_id=common_problem.pk,
                    expected_version=common_problem.version,
                    title=seed.published_title,
                    text=seed.published_text,
                    now=now - dt.timedelta(days=15),
                )
                _cosign_once(district, common_problem, now - dt.timedelta(days=10))
        _seed_ungrouped(district, now - dt.timedelta(hours=3))


# Open problems of three enterprises on one topic, not yet grouped: the office's
# suggested common problems (policy.candidates) show them together.
UNGROUPED = (
    (
        "厂区门口道路大货车限行，原料进出不便",
        "厂区门口道路白天限行大货车，原料和成品只能夜间进出，物流成本增加，希望调整限行时段。",
    ),
    (
        "门口道路白天限行大货车，货物进出不便",
        "企业门口道路白天限行大货车，货物只能夜间装卸，希望调整限行时段或开通货车通行证。",
    ),
    (
        "园区道路大货车限行，成品运输不便",
        "园区道路白天限行大货车，成品只能夜间运输，希望开通货车通行证或调整限行时段。",
    ),
)


def _seed_ungrouped(district, when) -> None:
    if Problem.objects.filter(title=UNGROUPED[0][0]).exists():
        return
    category = Category.objects.filter(name_zh="交通物流").first()
    submitters = [
        u
        for u in district.users.values()
        if getattr(u, "profile", None) is not None and u.profile.role == Role.ENTERPRISE
    ][-len(UNGROUPED) :]
    if category is None or len(submitters) < len(UNGROUPED):
        return
    for (title, description), user in zip(UNGROUPED, submitters, strict=True):
        workflow.problem_submit(
            actor=user,
            enterprise=user.profile.enterprise,
            title=title,
            description=description,
            category=category,
            now=when,
        )


def _cosign_once(district, common_problem, when) -> None:
    """One enterprise not yet linked says the published common problem concerns it too."""
    linked = set(
        CommonProblemLink.objects.filter(common_problem=common_problem).values_list(
            "problem__enterprise_id", flat=True
        )
    )
    for user in district.users.values():
        profile = getattr(user, "profile", None)
        if profile is None or profile.role != Role.ENTERPRISE or profile.enterprise_id in linked:
            continue
        publishing.common_problem_cosign(
            actor=user,
            common_problem_id=common_problem.pk,
            note="旺季缺普工约30人，希望纳入下一批定制招聘。",
            now=when,
        )
        return
