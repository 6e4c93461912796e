"""Writes of the service side: commissioners assigned and unassigned, visits recorded,
problems raised from a visit, follow-up reminders."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import Category, Channel, Problem
from liaison import permissions, workdays
from liaison.models import Enterprise, Role
from notifications import api as outbox

from .hooks import can_record_visits
from .models import (
    FINDINGS_MAX_LENGTH,
    PURPOSE_MAX_LENGTH,
    CommissionerAssignment,
    Visit,
    VisitProblem,
)

# How far back a visit may be recorded, and how far ahead planned (days).
PAST_WINDOW_DAYS = 3 * 366
FUTURE_WINDOW_DAYS = 366
OFFICIAL_ROLES = (
    Role.OFFICE,
    Role.LEADER,
    Role.PRINCIPAL,
    Role.DEPARTMENT_STAFF,
    Role.DEPARTMENT_HEAD,
)


class ServiceError(Exception):
    """A refused action: its message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class DuplicateVisit(ServiceError):
    def __init__(self, visit: Visit) -> None:
        super().__init__(_("This visit was already recorded."))
        self.visit = visit


def _require(condition: bool, message) -> None:
    if not condition:
        raise ServiceError(message)


def is_official(user) -> bool:
    """Every role but the enterprise user's (an administrator too)."""
    return permissions.role_of(user) in (*OFFICIAL_ROLES, Role.ADMIN)


def _official(user) -> bool:
    profile = getattr(user, "profile", None)
    return bool(user.is_active and profile is not None and profile.role in OFFICIAL_ROLES)


# --- commissioners ---------------------------------------------------------------------


def commissioner_assign(
    *, actor, enterprise: Enterprise, commissioner, now: dt.datetime | None = None
) -> CommissionerAssignment:
    """The office names the enterprise's commissioner; the previous one's assignment ends."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office assigns commissioners."))
    _require(_official(commissioner), _("A commissioner must be an active official."))
    with transaction.atomic():
        list(Enterprise.objects.select_for_update(no_key=True).filter(pk=enterprise.pk))
        current = CommissionerAssignment.objects.filter(enterprise=enterprise, active=True).first()
        if current is not None and current.commissioner_id == commissioner.pk:
            return current
        if current is not None:
            current.active = False
            current.ended_at = now
            current.save(update_fields=["active", "ended_at"])
        return CommissionerAssignment.objects.create(
            enterprise=enterprise, commissioner=commissioner, assigned_by=actor, assigned_at=now
        )


def commissioner_unassign(*, actor, enterprise: Enterprise, now: dt.datetime | None = None) -> int:
    """The enterprise no longer has a commissioner; returns how many assignments ended (0 or 1)."""
    now = now or timezone.now()
    _require(permissions.is_office(actor), _("Only the liaison office assigns commissioners."))
    ended = 0
    # Row by row (one at most), saved: the audit trail records the change.
    with transaction.atomic():
        for assignment in CommissionerAssignment.objects.select_for_update().filter(
            enterprise=enterprise, active=True
        ):
            assignment.active = False
            assignment.ended_at = now
            assignment.save(update_fields=["active", "ended_at"])
            ended += 1
    return ended


# --- visits ----------------------------------------------------------------------------


def _clean(text: str, limit: int, label) -> str:
    text = (text or "").strip()
    _require(
        len(text) <= limit,
        _("%(field)s is too long: at most %(limit)d characters.")
        % {"field": label, "limit": limit},
    )
    return text


def visit_record(
    *,
    actor,
    enterprise: Enterprise,
    visited_on: dt.date,
    status: str,
    purpose: str,
    findings: str = "",
    officials=(),
    leader=None,
    follow_up_on: dt.date | None = None,
    submission_key=None,
    now: dt.datetime | None = None,
) -> Visit:
    """Record a visit (done) or plan one. A visit in the future cannot be done."""
    now = now or timezone.now()
    today = workdays.local_date(now)
    _require(can_record_visits(actor), _("You may not record visits."))
    _require(status in Visit.Status.values, _("Choose whether the visit is planned or done."))
    purpose = _clean(purpose, PURPOSE_MAX_LENGTH, _("Purpose"))
    _require(bool(purpose), _("A visit needs a purpose."))
    findings = _clean(findings, FINDINGS_MAX_LENGTH, _("What was found"))
    _require(
        not (status == Visit.Status.DONE and visited_on > today),
        _("A visit on %(date)s is in the future: it cannot be marked done. Record it as planned.")
        % {"date": visited_on.isoformat()},
    )
    _require(
        today - dt.timedelta(days=PAST_WINDOW_DAYS)
        <= visited_on
        <= today + dt.timedelta(days=FUTURE_WINDOW_DAYS),
        _("The date of the visit must be within three years back and one year ahead."),
    )
    if follow_up_on is not None:
        _require(
            follow_up_on > visited_on and follow_up_on > today,
            _("A follow-up visit must come after the visit, and after today."),
        )
        _require(
            follow_up_on <= today + dt.timedelta(days=FUTURE_WINDOW_DAYS),
            _("A follow-up visit must be within a year."),
        )
    officials = list(dict.fromkeys(officials))
    if actor not in officials and is_official(actor):
        officials.insert(0, actor)
    _require(all(_official(u) for u in officials), _("Only active officials can be named."))
    if leader is not None:
        _require(
            permissions.is_leader(leader) and leader.is_active,
            _("The leader who went must be a district leader."),
        )
    department_id = permissions.department_id_of(actor)
    if submission_key is not None:
        earlier = Visit.objects.filter(submission_key=submission_key).first()
        if earlier is not None:
            raise DuplicateVisit(earlier)
    try:
        with transaction.atomic():
            visit = Visit.objects.create(
                enterprise=enterprise,
                visited_on=visited_on,
                status=status,
                leader=leader,
                department_id=department_id,
                purpose=purpose,
                findings=findings,
                follow_up_on=follow_up_on,
                created_by=actor,
                created_at=now,
                submission_key=submission_key,
            )
            visit.officials.set(officials)
    except IntegrityError:
        earlier = Visit.objects.filter(submission_key=submission_key).first()
        if earlier is None:
            raise
        raise DuplicateVisit(earlier) from None
    return visit


def visit_mark_done(
    *,
    actor,
    visit_id: int,
    expected_version: int,
    findings: str,
    now: dt.datetime | None = None,
) -> Visit:
    """A planned visit took place: what was found. Refused before its date or from a stale page."""
    now = now or timezone.now()
    findings = _clean(findings, FINDINGS_MAX_LENGTH, _("What was found"))
    with transaction.atomic():
        visit = Visit.objects.select_for_update().get(pk=visit_id)
        _require(visit.version == expected_version, STALE)
        _require(visit.status == Visit.Status.PLANNED, _("This visit is already done."))
        _require(
            visit.visited_on <= workdays.local_date(now),
            _("A visit on %(date)s is in the future: it cannot be marked done.")
            % {"date": visit.visited_on.isoformat()},
        )
        visit.status = Visit.Status.DONE
        visit.findings = findings
        visit.version += 1
        visit.save(update_fields=["status", "findings", "version"])
    return visit


STALE = _("This visit was changed by someone else since you opened the page. Look again.")


def visit_raise_problem(
    *,
    actor,
    visit: Visit,
    expected_version: int,
    title: str,
    description: str,
    category: Category,
    submission_key=None,
    appeal_type: str = "",
    now: dt.datetime | None = None,
) -> Problem:
    """Raise a problem found at a visit on the enterprise's behalf (channel "visit").

    `appeal_type`: the official's view of it (blank: the default); the office confirms it
    at dispatch."""
    _require(visit.status == Visit.Status.DONE, _("Record what was found before raising problems."))
    with transaction.atomic():
        locked = Visit.objects.select_for_update().get(pk=visit.pk)
        _require(locked.version == expected_version, STALE)
        problem = workflow.problem_submit(
            actor=actor,
            enterprise=visit.enterprise,
            title=title,
            description=description,
            category=category,
            channel=Channel.VISIT,
            submission_key=submission_key,
            appeal_type=appeal_type,
            now=now,
        )
        VisitProblem.objects.create(visit=locked, problem=problem)
    return problem


# --- follow-up reminders ---------------------------------------------------------------

FOLLOW_UP_KIND = "visit_follow_up"


def follow_ups_remind(*, today: dt.date | None = None) -> int:
    """Tell each recorder (and the enterprise's commissioner) of follow-up visits due today.

    Each visit once (claimed by a conditional UPDATE); the outbox dedupes a re-run too.
    """
    today = today or workdays.local_date(timezone.now())
    with transaction.atomic():
        due = list(
            Visit.objects.select_for_update(skip_locked=True)
            .filter(follow_up_on__lte=today, follow_up_reminded_on__isnull=True)
            .select_related("enterprise")
            .order_by("pk")[:2000]
        )
        if not due:
            return 0
        Visit.objects.filter(pk__in=[v.pk for v in due]).update(follow_up_reminded_on=today)
        commissioners = dict(
            CommissionerAssignment.objects.filter(
                active=True, enterprise_id__in={v.enterprise_id for v in due}
            ).values_list("enterprise_id", "commissioner_id")
        )
        languages = dict(
            get_user_model()
            .objects.filter(pk__in={v.created_by_id for v in due} | set(commissioners.values()))
            .values_list("pk", "profile__language")
        )
        messages = []
        for visit in due:
            url = reverse("service:visit_detail", args=[visit.pk])
            for user_id in dict.fromkeys(
                [visit.created_by_id, commissioners.get(visit.enterprise_id)]
            ):
                if user_id is None:
                    continue
                with translation.override(languages.get(user_id) or settings.LANGUAGE_CODE):
                    text = gettext("A follow-up visit to %(enterprise)s is due on %(date)s.") % {
                        "enterprise": visit.enterprise.name,
                        "date": visit.follow_up_on.isoformat(),
                    }
                    subject = gettext("Follow-up visit due")
                messages.append(
                    outbox.DirectMessage(
                        recipient_id=user_id,
                        kind=FOLLOW_UP_KIND,
                        dedupe_key=f"visit:{visit.pk}:follow-up:{visit.follow_up_on}",
                        subject=subject,
                        text=f"{text}\n{outbox.site_url()}{url}",
                        in_app=text,
                        url=url,
                    )
                )
        outbox.write_direct(messages)
    return len(due)
