"""Demo coordination meetings with action items (a step of seed_demo, after the problems).

Two meetings, made through the services with past times, for the most escalated and
most overdue open demo problems: one held a week ago (an item done, one overdue, one
still running), one held yesterday (items due next week). Their subjects, decisions and
tasks name the problems they are about. Does nothing when any coordination meeting
exists, so a second run adds nothing.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from issues import notifications
from issues.models import OPEN_STATUSES, Problem
from liaison import permissions, workdays

from . import consultation_services, coordination_services
from .models import ConsultationRequest, CoordinationMeeting


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


def _convener(problem: Problem, fallback):
    for leader in (problem.responsible_leader, problem.lead_department.supervising_leader):
        if leader is not None and permissions.is_leader(leader):
            return leader
    return fallback


def _other_department(district, *, besides: set[int]):
    for code in ("gd", "zrzy", "fgj", "xzsp"):
        department = district.departments.get(code)
        if department is not None and department.is_active and department.pk not in besides:
            return department
    return None


def seed_coordination(district) -> None:
    """Two coordination meetings with action items for escalated or overdue open problems."""
    if CoordinationMeeting.objects.exists():
        return
    problems = list(
        Problem.objects.filter(status__in=OPEN_STATUSES, lead_department__is_active=True)
        .select_related(
            "lead_department__supervising_leader__profile", "responsible_leader__profile"
        )
        .order_by("-escalation_level", "due_at", "pk")[:3]
    )
    if len(problems) < 2:
        return
    fallback = district.users.get("principal1")
    today = workdays.local_date(timezone.now())
    with notifications.suppressed():
        _held_last_week(district, problems[:2], today, fallback)
        _held_yesterday(district, problems[2:] or problems[:1], today, fallback)


def _held_last_week(district, problems, today, fallback) -> None:
    first, second = problems
    leader = _convener(first, fallback)
    day = today - dt.timedelta(days=7)
    starts_at = _at(day, 14, 30)
    leads = [first.lead_department, second.lead_department]
    other = _other_department(district, besides={d.pk for d in leads})
    meeting = coordination_services.coordination_convene(
        actor=leader,
        title=f"“{first.title}”等企业诉求专题协调会",
        starts_at=starts_at,
        venue="区行政中心 3 号楼 305 会议室",
        problems=problems,
        departments=[*dict.fromkeys(leads), *([other] if other else [])],
        enterprises=[first.enterprise, second.enterprise],
        now=starts_at - dt.timedelta(days=1),
    )
    held_at = starts_at + dt.timedelta(hours=2)
    coordination_services.coordination_mark_held(
        meeting_id=meeting.pk,
        actor=leader,
        decisions=(
            f"一、{first.lead_department.name}牵头，三日内与企业对接，"
            f"明确“{first.title}”的解决方案和时间表；\n"
            f"二、{second.lead_department.name}梳理“{second.title}”涉及的审批和政策事项，"
            "形成办理时间表报区领导；\n"
            "三、相关部门做好配合，两周后召开专题协调会听取落实情况。"
        ),
        now=held_at,
    )
    done = coordination_services.action_item_add(
        meeting_id=meeting.pk,
        actor=leader,
        department=first.lead_department,
        problem=first,
        task="三日内与企业当面对接，明确解决方案和时间表并书面告知企业。",
        due_date=day + dt.timedelta(days=3),
        now=held_at,
    )
    head = district.users.get(f"{_code(district, first.lead_department)}_head")
    if head is not None:
        coordination_services.action_item_complete(
            item_id=done.pk,
            actor=head,
            note="已与企业当面对接，解决方案和办理时间表已书面告知企业。",
            now=_at(day + dt.timedelta(days=2), 16),
        )
    coordination_services.action_item_add(
        meeting_id=meeting.pk,
        actor=leader,
        department=second.lead_department,
        problem=second,
        task="梳理企业诉求涉及的审批事项，形成办理时间表报区领导。",
        due_date=today - dt.timedelta(days=2),  # not done: overdue on the leader's list
        now=held_at,
    )
    if other is not None:
        coordination_services.action_item_add(
            meeting_id=meeting.pk,
            actor=leader,
            department=other,
            task="配合主办单位提供政策和要素保障，一周内书面反馈。",
            due_date=today + dt.timedelta(days=4),
            now=held_at,
        )
    district.created["coordinationmeeting"] += 1


def _held_yesterday(district, problems, today, fallback) -> None:
    [problem] = problems[:1]
    leader = _convener(problem, fallback)
    day = today - dt.timedelta(days=1)
    starts_at = _at(day, 9, 30)
    other = _other_department(district, besides={problem.lead_department_id})
    meeting = coordination_services.coordination_convene(
        actor=leader,
        title=f"“{problem.title}”现场协调会",
        starts_at=starts_at,
        venue="企业现场",
        problems=[problem],
        departments=[problem.lead_department, *([other] if other else [])],
        enterprises=[problem.enterprise],
        now=starts_at - dt.timedelta(days=1),
    )
    held_at = starts_at + dt.timedelta(hours=1, minutes=30)
    coordination_services.coordination_mark_held(
        meeting_id=meeting.pk,
        actor=leader,
        decisions="现场会商明确：主办单位牵头，相关部门配合，一周内拿出解决方案。",
        now=held_at,
    )
    coordination_services.action_item_add(
        meeting_id=meeting.pk,
        actor=leader,
        department=problem.lead_department,
        task="牵头制定解决方案，一周内向企业书面答复。",
        due_date=today + dt.timedelta(days=6),
        now=held_at,
    )
    if other is not None:
        coordination_services.action_item_add(
            meeting_id=meeting.pk,
            actor=leader,
            department=other,
            task="提供政策依据和技术支持，配合主办单位完成方案。",
            due_date=today + dt.timedelta(days=3),
            now=held_at,
        )
    district.created["coordinationmeeting"] += 1


def _code(district, department) -> str:
    for code, candidate in district.departments.items():
        if candidate.pk == department.pk:
            return code
    return ""


def seed_consultations(district) -> None:
    """Consultations before the deadline (会商) on open problems not yet due: one the leader
    accepted (its coordination meeting is planned for the next days), one declined with a
    reason, and one still waiting on the leader's home page. Nothing when any exists."""
    if ConsultationRequest.objects.exists():
        return
    now = timezone.now()
    problems = [
        p
        for p in Problem.objects.filter(
            status__in=OPEN_STATUSES,
            lead_department__is_active=True,
            escalation_level=0,
            due_at__gt=now + dt.timedelta(days=1),
            coordination_meetings__isnull=True,
        )
        .select_related(
            "lead_department__supervising_leader__profile", "responsible_leader__profile"
        )
        .order_by("due_at", "pk")
        if district.users.get(f"{_code(district, p.lead_department)}_head") is not None
        and p.district_leader is not None
        and permissions.is_leader(p.district_leader)
    ][:3]
    if not problems:
        return
    today = workdays.local_date(now)
    asked_at = now - dt.timedelta(days=2)
    with notifications.suppressed():
        plans = [_accepted, _declined, _waiting]
        for problem, plan in zip(problems, plans, strict=False):
            head = district.users[f"{_code(district, problem.lead_department)}_head"]
            consultation = consultation_services.consultation_request(
                actor=head, problem=problem, reason=plan.__doc__, now=asked_at
            )
            plan(consultation, problem, today, now - dt.timedelta(days=1))
            district.created["consultationrequest"] += 1


def _accepted(consultation, problem, today, answered_at) -> None:
    """涉及规划、消防、环保多个部门的审批衔接，单靠本部门难以在期限内解决，恳请区领导召集会商。"""
    starts_at = _at(today + dt.timedelta(days=2), 9, 30)
    consultation_services.consultation_accept(
        consultation_id=consultation.pk,
        actor=consultation.leader,
        title=f"“{problem.title}”会商协调会",
        starts_at=starts_at,
        venue="区行政中心 3 号楼 305 会议室",
        now=answered_at,
    )


def _declined(consultation, problem, today, answered_at) -> None:
    """企业诉求涉及两个部门职责交叉，申请区领导协调明确牵头部门。"""
    consultation_services.consultation_decline(
        consultation_id=consultation.pk,
        actor=consultation.leader,
        reason="职责已在交办时明确，请主办单位先与协办单位对接，期限前仍有困难再申请会商。",
        now=answered_at,
    )


def _waiting(consultation, problem, today, answered_at) -> None:
    """企业用地指标需区级统筹，申请区领导召集自然资源、发改等部门会商。"""
