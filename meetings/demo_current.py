"""Demo meetings of the current year: planned, held and in follow-up (a part of seed_meetings).

Everything goes through meetings.services and issues.workflow with explicit past
times, so numbers, timelines and deadlines are what real use would leave: problems
submitted for a meeting, dispatched early (their clock waiting), the meeting marked
held (the clocks start on its date), answers given on site, the rest handled after.
Does nothing if meetings of the current year exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from issues import notifications, workflow
from issues.demo import demo_appeal_type, demo_suggested_appeal_type, seed_categories
from issues.demo_topics import TopicPicker
from issues.models import Channel, Problem, Satisfaction
from liaison import workdays

from . import services
from .models import Meeting

# (theme, venue, working days from today (negative: past), invited, problems, state)
# state: "closed" (held, everything concluded, minutes written), "follow_up" (held,
# problems being handled), "planned" (problems submitted, some dispatched early).


@dataclass(frozen=True)
class Plan:
    theme: str
    venue: str
    offset: int  # working days from today; negative: in the past
    hour: int
    invited: int
    problems: int
    state: str


PLANS = (
    Plan("稳外贸促消费企业“面对面”", "区行政中心 4 楼第一会议室", -24, 14, 6, 5, "closed"),
    Plan("制造业高质量发展“面对面”", "王江泾镇政府二楼会议室", -6, 9, 6, 6, "follow_up"),
    Plan("专精特新企业“面对面”", "秀洲高新区企业服务中心", 6, 14, 5, 4, "planned"),
    Plan("新材料产业链企业“面对面”", "洪合镇政府会议室", 18, 9, 4, 0, "planned"),
)
# What each theme's enterprises raise first (categories and industry traits of
# issues.demo_topics), as far as their industries allow.
PREFER = {
    "稳外贸促消费企业“面对面”": frozenset({"export", "税费政策", "融资与金融"}),
    "制造业高质量发展“面对面”": frozenset({"惠企政策兑现", "科技创新", "用电用能"}),
    "专精特新企业“面对面”": frozenset({"tech", "科技创新", "融资与金融"}),
    "新材料产业链企业“面对面”": frozenset({"项目审批", "土地与规划"}),
}
MINUTES = (
    "会议由区领导主持，参会企业围绕外贸订单、用工和融资等问题作了交流。"
    "相关部门现场答复 1 项，其余问题会后按期办理并答复企业。"
)


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


def _wd(day: dt.date, n: int) -> dt.date:
    return workdays.add_working_days(day, n).value


def _user_of(enterprise):
    return enterprise.profiles.select_related("user").first().user


def seed_current_year(district) -> None:
    """Four meetings of this year: one closed, one in follow-up, two planned."""
    today = timezone.localdate()
    if Meeting.objects.filter(year=today.year).exists():
        return
    office = district.users["office1"]
    leaders = [u for name, u in district.users.items() if name.startswith("leader")]
    enterprises = list(district.enterprises.values())
    categories = seed_categories(district)
    picker = TopicPicker.from_database(district, seed=today.year)
    now = timezone.now()
    enterprise_index = 0
    with notifications.suppressed():
        for number, plan in enumerate(PLANS):
            day = _wd(today, plan.offset)
            if day.year != today.year:
                continue  # early January: no room for a past meeting this year
            starts_at = _at(day, plan.hour, 30)
            planned_at = min(_at(_wd(day, -12), 10), now - dt.timedelta(hours=2))
            invited = enterprises[enterprise_index : enterprise_index + plan.invited]
            enterprise_index += plan.invited
            topics = [
                picker.pick(invited[i % len(invited)], prefer=PREFER.get(plan.theme, frozenset()))
                for i in range(plan.problems)
            ]
            lead_departments = [district.departments[t.lead_code] for t in topics]
            meeting = services.meeting_create(
                actor=office,
                theme=plan.theme,
                starts_at=starts_at,
                venue=plan.venue,
                presiding_leaders=leaders[number % len(leaders) : number % len(leaders) + 2],
                departments=list(dict.fromkeys(lead_departments)),
                enterprises=invited,
                now=planned_at,
            )
            district.created["meeting"] += 1
            problems = []
            for i, topic in enumerate(topics):
                enterprise = invited[i % len(invited)]
                submitted_at = min(_at(_wd(day, -5 + i % 3), 9 + i), now - dt.timedelta(hours=1))
                by_office = i % 3 == 2
                problem = workflow.problem_submit(
                    actor=office if by_office else _user_of(enterprise),
                    enterprise=enterprise,
                    title=topic.title,
                    description=topic.description,
                    category=categories[topic.category],
                    channel=Channel.VISIT if by_office else Channel.WEB,
                    meeting=meeting,
                    appeal_type=(
                        demo_appeal_type(topic.title, topic.description, number + i)
                        if by_office
                        else demo_suggested_appeal_type(
                            demo_appeal_type(topic.title, topic.description, number + i), i
                        )
                    ),
                    now=submitted_at,
                )
                district.created["problem"] += 1
                # In a planned meeting the newest problem still waits in triage.
                if plan.state == "planned" and i == len(topics) - 1:
                    continue
                lead = lead_departments[i]
                workflow.problem_dispatch(
                    problem_id=problem.pk,
                    actor=office,
                    lead_department=lead,
                    appeal_type=demo_appeal_type(topic.title, topic.description, number + i),
                    now=min(submitted_at + dt.timedelta(hours=3), now - dt.timedelta(minutes=50)),
                )
                problems.append((problem, topic))
            if plan.state == "planned":
                _replies(meeting, invited, planned_at)
                continue
            attended = [e.pk for e in invited[:-1]]  # one enterprise sent apologies
            services.meeting_mark_held(
                meeting_id=meeting.pk,
                actor=office,
                attended=attended,
                now=starts_at + dt.timedelta(hours=2),
            )
            _follow_up(district, meeting, problems, plan, starts_at, now)
            if plan.state == "closed":
                services.meeting_close(
                    meeting_id=meeting.pk,
                    actor=office,
                    minutes=MINUTES,
                    now=min(_at(_wd(day, 2), 17), now),
                )


def _replies(meeting, invited, planned_at) -> None:
    """Before a planned meeting: the first invited enterprise will attend, the second cannot,
    the others have not replied yet."""
    for enterprise, attending in zip(invited, (True, False), strict=False):
        services.invitation_reply(
            meeting_id=meeting.pk,
            actor=_user_of(enterprise),
            attending=attending,
            now=planned_at + dt.timedelta(hours=2),
        )


def _follow_up(district, meeting, problems, plan, starts_at, now) -> None:
    """After the meeting: one answer on site, the rest acknowledged and (mostly) answered."""
    office = district.users["office1"]
    day = workdays.local_date(starts_at)
    for i, (problem, topic) in enumerate(problems):
        head = district.users[f"{topic.lead_code}_head"]
        if i == 0:
            services.meeting_record_answer(
                meeting_id=meeting.pk,
                problem_id=problem.pk,
                actor=office,
                answer=topic.answer(begun=day, answered=day),
                resolve=True,
                now=starts_at + dt.timedelta(hours=2, minutes=10),
            )
        else:
            if plan.state == "follow_up" and i == len(problems) - 1:
                continue  # still waiting to be acknowledged
            workflow.problem_acknowledge(
                problem_id=problem.pk, actor=head, now=min(_at(_wd(day, 1), 9, 20 + i), now)
            )
            answer_day = _wd(day, 3 + i)
            if plan.state == "follow_up" and i % 2 == 1:
                workflow.problem_add_progress(
                    problem_id=problem.pk,
                    actor=head,
                    text="已与企业对接，正在会同相关单位研究解决方案。",
                    is_public=True,
                    now=min(_at(_wd(day, 2), 15), now - dt.timedelta(minutes=30)),
                )
                continue
            resolved_at = _at(answer_day, 16)
            if resolved_at >= now:
                continue
            workflow.problem_resolve(
                problem_id=problem.pk,
                actor=head,
                answer=topic.answer(begun=_wd(day, 1), answered=answer_day),
                now=resolved_at,
            )
        if plan.state != "closed":
            continue
        problem = Problem.objects.get(pk=problem.pk)
        evaluated_at = min(problem.last_resolved_at + dt.timedelta(days=1), now)
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=_user_of(problem.enterprise),
            satisfaction=Satisfaction.SATISFIED,
            reason="感谢区里的高效服务！",
            now=evaluated_at,
        )
