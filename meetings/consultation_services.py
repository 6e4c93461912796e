"""Consultation before the deadline (会商): every write of a consultation request.

The lead department of an open problem that is hard asks the problem's district leader
(the responsible leader, else the lead department's supervising leader: DISTRICT_LEADER)
for a coordination meeting before the deadline. The leader (or a principal leader)
accepts, which convenes the meeting with the problem in the same transaction
(coordination_services.coordination_convene: the problem's timeline says so and the
departments are told), or declines with a reason, and the department is told.

Only problems not yet overdue nor escalated: an escalated problem is on its leader's
escalation list already, from which the leader convenes directly.
"""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues.models import DISTRICT_LEADER_RELATIONS, OPEN_STATUSES, EventKind, Problem
from issues.workflow import record_event
from liaison.locking import check_version, lock_versioned
from liaison.models import Department

from . import consultation_notifications as notify
from . import permissions as rules
from .coordination_services import (
    CoordinationError,
    StaleCoordination,
    coordination_convene,
)
from .models import REASON_MAX_LENGTH, ConsultationRequest, CoordinationMeeting

State = ConsultationRequest.State


def _require(condition: bool, message) -> None:
    if not condition:
        raise CoordinationError(message)


def _reason(text: str, message) -> str:
    text = (text or "").strip()
    _require(bool(text), message)
    _require(
        len(text) <= REASON_MAX_LENGTH,
        _("Keep the reason under %(n)s characters.") % {"n": REASON_MAX_LENGTH},
    )
    return text


@transaction.atomic
def consultation_request(
    *, actor, problem: Problem, reason: str, now: dt.datetime | None = None
) -> ConsultationRequest:
    """The lead department asks the problem's leader for a coordination meeting."""
    now = now or timezone.now()
    problem = (
        Problem.objects.select_for_update(of=("self",))
        .select_related(*DISTRICT_LEADER_RELATIONS)
        .get(pk=problem.pk)
    )
    _require(
        rules.can_request_consultation(actor, problem),
        _("Only the problem's lead department can ask for a consultation."),
    )
    _require(
        problem.status in OPEN_STATUSES,
        _("This problem is no longer open; a consultation is for open problems."),
    )
    _require(
        problem.escalation_level == 0 and (problem.due_at is None or problem.due_at > now),
        _(
            "This problem is already overdue and escalated to its leader, who can convene "
            "a coordination meeting from the escalation list."
        ),
    )
    leader = problem.district_leader
    _require(
        leader is not None and leader.is_active,
        _("This problem has no district leader to ask; ask the liaison office."),
    )
    reason = _reason(reason, _("Write why the problem needs a coordination meeting."))
    earlier = set(
        ConsultationRequest.objects.filter(
            problem=problem, state__in=[State.PENDING, State.ACCEPTED]
        ).values_list("state", flat=True)
    )
    _require(
        State.PENDING not in earlier,
        _("A consultation on this problem is already waiting for the leader's answer."),
    )
    _require(
        State.ACCEPTED not in earlier,
        _(
            "The leader already convened a coordination meeting on this problem at your "
            "request; its action items are the way on."
        ),
    )
    consultation = ConsultationRequest.objects.create(
        problem=problem,
        requested_by=actor,
        department=Department.objects.get(pk=problem.lead_department_id),
        reason=reason,
        requested_at=now,
        leader=leader,
    )
    record_event(
        problem,
        actor=actor,
        kind=EventKind.CONSULTATION_REQUESTED,
        text=reason,
        is_public=False,  # between the department and the leader
        data={"consultation": consultation.pk},
        now=now,
    )
    notify.requested(consultation)
    return consultation


def _lock(consultation_id: int, actor) -> ConsultationRequest:
    consultation = lock_versioned(
        ConsultationRequest.objects.select_related("problem", "department"),
        consultation_id,
        missing=CoordinationError(_("This consultation request does not exist.")),
        of=("self",),
    )
    _require(
        rules.can_decide_consultation(actor, consultation),
        _("Only the problem's leader or a principal leader can answer this request."),
    )
    return consultation


def _check_pending(consultation: ConsultationRequest, expected_version: int | None) -> None:
    _require(
        consultation.state == State.PENDING,
        _("This request was already answered (%(state)s).")
        % {"state": consultation.get_state_display()},
    )
    check_version(
        consultation,
        expected_version,
        StaleCoordination(
            _("This request was changed meanwhile; the page now shows its current state.")
        ),
    )


@transaction.atomic
def consultation_accept(
    *,
    consultation_id: int,
    actor,
    title: str,
    starts_at: dt.datetime,
    venue: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> CoordinationMeeting:
    """The leader accepts: the coordination meeting is convened with the problem, the lead
    and co-handling departments attending; the leader adds action items as usual."""
    now = now or timezone.now()
    consultation = _lock(consultation_id, actor)
    _check_pending(consultation, expected_version)
    problem = consultation.problem
    departments = [consultation.department, *problem.co_departments.filter(is_active=True)]
    meeting = coordination_convene(
        actor=actor,
        title=title,
        starts_at=starts_at,
        venue=venue,
        problems=[problem],
        departments=[d for d in departments if d.is_active],
        now=now,
    )
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        state=State.ACCEPTED,
        decided_by=actor,
        decided_at=now,
        meeting=meeting,
        version=F("version") + 1,
    )
    return meeting


@transaction.atomic
def consultation_decline(
    *,
    consultation_id: int,
    actor,
    reason: str,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ConsultationRequest:
    """The leader declines, saying why; the department that asked is told."""
    now = now or timezone.now()
    consultation = _lock(consultation_id, actor)
    _check_pending(consultation, expected_version)
    reason = _reason(reason, _("Write why the request is declined."))
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        state=State.DECLINED,
        decided_by=actor,
        decided_at=now,
        decline_reason=reason,
        version=F("version") + 1,
    )
    consultation.refresh_from_db()
    record_event(
        consultation.problem,
        actor=actor,
        kind=EventKind.CONSULTATION_DECLINED,
        text=reason,
        is_public=False,
        data={"consultation": consultation.pk},
        now=now,
    )
    notify.declined(consultation)
    return consultation


@transaction.atomic
def consultation_withdraw(
    *,
    consultation_id: int,
    actor,
    expected_version: int | None = None,
    now: dt.datetime | None = None,
) -> ConsultationRequest:
    """The lead department withdraws its pending request: the timeline says so and the
    leader asked is told (nothing else changes); an answered one cannot be withdrawn."""
    now = now or timezone.now()
    consultation = lock_versioned(
        ConsultationRequest.objects.select_related("problem", "department"),
        consultation_id,
        missing=CoordinationError(_("This consultation request does not exist.")),
        of=("self",),
    )
    _require(
        rules.can_request_consultation(actor, consultation.problem),
        _("Only the problem's lead department can withdraw its request."),
    )
    _require(
        consultation.state != State.WITHDRAWN,
        _("This request was already withdrawn."),
    )
    _check_pending(consultation, expected_version)
    ConsultationRequest.objects.filter(pk=consultation.pk).update(
        state=State.WITHDRAWN, decided_by=actor, decided_at=now, version=F("version") + 1
    )
    consultation.refresh_from_db()
    record_event(
        consultation.problem,
        actor=actor,
        kind=EventKind.CONSULTATION_WITHDRAWN,
        is_public=False,
        data={"consultation": consultation.pk},
        now=now,
    )
    notify.withdrawn(consultation)
    return consultation
