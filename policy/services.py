"""Writes of common problems: create, edit, status, links, measures, milestones.
Publishing and an enterprise's "this concerns us too" are in policy.publishing."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import attachments as files
from issues.models import Category, Problem
from liaison import permissions, workdays
from liaison.locking import StaleVersion, lock_versioned
from liaison.locks import advisory_lock
from liaison.models import Department

from . import access
from .models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    CommonProblem,
    CommonProblemEvent,
    CommonProblemLink,
    PolicyMeasure,
    PolicyMilestone,
)

Kind = CommonProblemEvent.Kind
Status = CommonProblem.Status
# How far ahead a milestone may be due (days).
FUTURE_WINDOW_DAYS = 5 * 366


class PolicyError(Exception):
    """A refused action: its message is for the user."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class StaleCommonProblem(PolicyError, StaleVersion):
    def __init__(self) -> None:
        super().__init__(
            _(
                "This common problem was changed by someone else since you opened the page. "
                "Look again."
            )
        )


class DuplicateCommonProblem(PolicyError):
    """The same office member created one of this title moments ago (a double click)."""

    def __init__(self, common_problem: CommonProblem) -> None:
        super().__init__(_("This common problem was created a moment ago; here it is."))
        self.common_problem = common_problem


# A second common problem of the same title by the same person within this time is taken
# for a double-submitted form.
RESUBMIT_WINDOW = dt.timedelta(minutes=2)


def _require(condition: bool, message) -> None:
    if not condition:
        raise PolicyError(message)


def _clean(text: str, limit: int, label, *, required: bool = True) -> str:
    text = (text or "").strip()
    _require(not required or bool(text), _("%(field)s is required.") % {"field": label})
    _require(
        len(text) <= limit,
        _("%(field)s is too long: at most %(limit)d characters.")
        % {"field": label, "limit": limit},
    )
    return text


def _manager(actor) -> None:
    _require(
        access.can_manage_common_problems(actor),
        _("Only the liaison office manages common problems."),
    )


def _locked(common_problem_id: int, expected_version: int | None = None) -> CommonProblem:
    return lock_versioned(
        CommonProblem.objects.all(),
        common_problem_id,
        expected_version,
        missing=PolicyError(_("This common problem no longer exists.")),
        stale=StaleCommonProblem(),
    )


def _touch(common_problem: CommonProblem, now: dt.datetime, *fields: str) -> None:
    common_problem.version += 1
    common_problem.updated_at = now
    common_problem.save(update_fields=[*fields, "version", "updated_at"])


def _event(common_problem, actor, kind, now, note="", from_status="", to_status="") -> None:
    CommonProblemEvent.objects.create(
        common_problem=common_problem,
        kind=kind,
        note=note,
        from_status=from_status,
        to_status=to_status,
        actor=actor,
        at=now,
    )


def _check_leader(leader) -> None:
    if leader is not None:
        _require(
            permissions.is_leader(leader) and leader.is_active,
            _("The responsible leader must be a district leader."),
        )


def _check_fields(*, title, description, category, lead_department, responsible_leader):
    title = _clean(title, TITLE_MAX_LENGTH, _("Title"))
    description = _clean(description, DESCRIPTION_MAX_LENGTH, _("Description"))
    _require(category is not None and category.is_active, _("Choose a category in use."))
    _require(
        lead_department is not None and lead_department.is_active,
        _("Choose an active lead department."),
    )
    _check_leader(responsible_leader)
    return title, description


# --- common problems -------------------------------------------------------------------


def common_problem_create(
    *,
    actor,
    title: str,
    description: str,
    category: Category,
    lead_department: Department,
    responsible_leader=None,
    problems=(),
    now: dt.datetime | None = None,
) -> CommonProblem:
    """The office groups problems into a new common problem (problems may come later)."""
    now = now or timezone.now()
    _manager(actor)
    title, description = _check_fields(
        title=title,
        description=description,
        category=category,
        lead_department=lead_department,
        responsible_leader=responsible_leader,
    )
    # The office's creations take turns: a copy of the form sent at the same moment waits,
    # then finds the first.
    with advisory_lock("policy:common_problem_create"):
        earlier = CommonProblem.objects.filter(
            title=title, created_by=actor, created_at__gte=now - RESUBMIT_WINDOW
        ).first()
        if earlier is not None:
            raise DuplicateCommonProblem(earlier)
        common_problem = CommonProblem.objects.create(
            title=title,
            description=description,
            category=category,
            lead_department=lead_department,
            responsible_leader=responsible_leader,
            created_by=actor,
            created_at=now,
            updated_at=now,
        )
        _event(common_problem, actor, Kind.CREATED, now, to_status=Status.OPEN)
        _link(common_problem, actor, list(dict.fromkeys(problems)), now)
    return common_problem


def common_problem_update(
    *,
    actor,
    common_problem_id: int,
    expected_version: int,
    title: str,
    description: str,
    category: Category,
    lead_department: Department,
    responsible_leader=None,
    now: dt.datetime | None = None,
) -> CommonProblem:
    now = now or timezone.now()
    _manager(actor)
    title, description = _check_fields(
        title=title,
        description=description,
        category=category,
        lead_department=lead_department,
        responsible_leader=responsible_leader,
    )
    with transaction.atomic():
        common_problem = _locked(common_problem_id, expected_version)
        common_problem.title = title
        common_problem.description = description
        common_problem.category = category
        common_problem.lead_department = lead_department
        common_problem.responsible_leader = responsible_leader
        _touch(
            common_problem,
            now,
            "title",
            "description",
            "category",
            "lead_department",
            "responsible_leader",
        )
        _event(common_problem, actor, Kind.EDITED, now)
    return common_problem


def common_problem_set_status(
    *,
    actor,
    common_problem_id: int,
    expected_version: int,
    status: str,
    note: str = "",
    now: dt.datetime | None = None,
) -> CommonProblem:
    """The office moves the common problem on (open → in progress → addressed → closed), or back."""
    now = now or timezone.now()
    _manager(actor)
    _require(status in Status.values, _("Choose a status."))
    note = _clean(note, NOTE_MAX_LENGTH, _("Note"), required=False)
    with transaction.atomic():
        common_problem = _locked(common_problem_id, expected_version)
        _require(common_problem.status != status, _("The common problem already has this status."))
        before = common_problem.status
        common_problem.status = status
        _touch(common_problem, now, "status")
        _event(common_problem, actor, Kind.STATUS, now, note, from_status=before, to_status=status)
    return common_problem


# --- linked problems -------------------------------------------------------------------


def _link(common_problem, actor, problems: list[Problem], now, cosigned_by=None) -> None:
    if not problems:
        return
    already = set(
        CommonProblemLink.objects.filter(
            common_problem=common_problem, problem__in=problems
        ).values_list("problem_id", flat=True)
    )
    new = [p for p in problems if p.pk not in already]
    CommonProblemLink.objects.bulk_create(
        [
            CommonProblemLink(
                common_problem=common_problem,
                problem=problem,
                linked_by=actor,
                linked_at=now,
                cosigned_by=cosigned_by,
            )
            for problem in new
        ]
    )
    CommonProblemEvent.objects.bulk_create(
        [
            CommonProblemEvent(
                common_problem=common_problem,
                kind=Kind.COSIGNED if cosigned_by is not None else Kind.LINKED,
                note=problem.reference,
                actor=actor,
                at=now,
            )
            for problem in new
        ]
    )


def problems_by_reference(references: list[str]) -> list[Problem]:
    """The problems of these references, or a PolicyError naming those that do not exist."""
    references = list(dict.fromkeys(r.strip() for r in references if r.strip()))
    _require(len(references) <= 200, _("Link at most 200 problems at once."))
    found = {p.reference: p for p in Problem.objects.filter(reference__in=references)}
    missing = [r for r in references if r not in found]
    _require(
        not missing,
        _("No problem has the reference %(references)s.") % {"references": "、".join(missing)},
    )
    return [found[r] for r in references]


def common_problem_link(
    *, actor, common_problem_id: int, problems: list[Problem], now: dt.datetime | None = None
) -> int:
    """Link problems; those linked already are left as they are. Returns how many are new."""
    now = now or timezone.now()
    _manager(actor)
    _require(bool(problems), _("Name the problems to link."))
    with transaction.atomic():
        common_problem = _locked(common_problem_id)
        before = common_problem.links.count()
        _link(common_problem, actor, problems, now)
        added = common_problem.links.count() - before
        if added:
            _touch(common_problem, now)
    return added


def common_problem_unlink(
    *, actor, common_problem_id: int, problem_id: int, now: dt.datetime | None = None
) -> None:
    now = now or timezone.now()
    _manager(actor)
    with transaction.atomic():
        common_problem = _locked(common_problem_id)
        link = (
            CommonProblemLink.objects.filter(common_problem=common_problem, problem_id=problem_id)
            .select_related("problem")
            .first()
        )
        _require(link is not None, _("This problem is not linked to the common problem."))
        link.delete()
        _event(common_problem, actor, Kind.UNLINKED, now, link.problem.reference)
        _touch(common_problem, now)


# --- measures and milestones -----------------------------------------------------------


def _began_on(common_problem: CommonProblem) -> dt.date:
    """The day the common problem began: its creation, or its first problem's if earlier."""
    first = common_problem.links.aggregate(first=Min("problem__created_at"))["first"]
    began = common_problem.created_at
    if first is not None and first < began:
        began = first
    return workdays.local_date(began)


def _check_url(url: str) -> str:
    url = _clean(url, URL_MAX_LENGTH, _("Link"), required=False)
    if url:
        try:
            URLValidator(schemes=["http", "https"])(url)
        except ValidationError:
            raise PolicyError(
                _("The link must be a web address starting with http:// or https://.")
            ) from None
    return url


def measure_add(
    *,
    actor,
    common_problem_id: int,
    title: str,
    issuing_body: str,
    issued_on: dt.date | None,
    document_number: str = "",
    url: str = "",
    upload=None,
    departments=(),
    now: dt.datetime | None = None,
) -> PolicyMeasure:
    """A measure or policy document answering the common problem: a link, a file, or both."""
    now = now or timezone.now()
    today = workdays.local_date(now)
    title = _clean(title, TITLE_MAX_LENGTH, _("Title"))
    issuing_body = _clean(issuing_body, 200, _("Issuing body"))
    document_number = _clean(document_number, 100, _("Document number"), required=False)
    url = _check_url(url)
    _require(issued_on is not None, _("Give the date the measure was issued."))
    _require(
        issued_on <= today,
        _("A measure cannot be issued in the future (%(date)s).") % {"date": issued_on.isoformat()},
    )
    checked = None
    if upload is not None:
        try:
            checked = files.check_upload(upload)
        except ValidationError as error:
            raise PolicyError(" ".join(error.messages)) from None
    departments = list(dict.fromkeys(departments))
    _require(len(departments) <= 50, _("Name at most 50 departments."))
    stored_name = ""
    try:
        with transaction.atomic():
            common_problem = _locked(common_problem_id)
            _require(
                access.can_work_on(actor, common_problem),
                _("Only the liaison office and the lead department add measures."),
            )
            began = _began_on(common_problem)
            _require(
                issued_on >= began,
                _(
                    "The measure is dated %(date)s, before the common problem began "
                    "(%(began)s, its creation or its first problem): a measure answering it "
                    "cannot be older. Check the date."
                )
                % {"date": issued_on.isoformat(), "began": began.isoformat()},
            )
            sha256 = ""
            if checked is not None:
                stored_name, sha256 = files.store(upload)
            measure = PolicyMeasure.objects.create(
                common_problem=common_problem,
                title=title,
                issuing_body=issuing_body,
                document_number=document_number,
                issued_on=issued_on,
                url=url,
                original_name=checked.original_name if checked else "",
                stored_name=stored_name,
                content_type=checked.content_type if checked else "",
                size=checked.size if checked else 0,
                sha256=sha256,
                added_by=actor,
                added_at=now,
            )
            measure.departments.set(departments)
            _event(common_problem, actor, Kind.MEASURE, now, title)
            _touch(common_problem, now)
    except BaseException:
        if stored_name:
            files.discard(stored_name)
        raise
    return measure


def milestone_add(
    *,
    actor,
    common_problem_id: int,
    title: str,
    due_date: dt.date | None,
    now: dt.datetime | None = None,
) -> PolicyMilestone:
    now = now or timezone.now()
    today = workdays.local_date(now)
    title = _clean(title, TITLE_MAX_LENGTH, _("Milestone"))
    _require(due_date is not None, _("Give the milestone's due date."))
    with transaction.atomic():
        common_problem = _locked(common_problem_id)
        _require(
            access.can_work_on(actor, common_problem),
            _("Only the liaison office and the lead department add milestones."),
        )
        _require(
            workdays.local_date(common_problem.created_at)
            <= due_date
            <= today + dt.timedelta(days=FUTURE_WINDOW_DAYS),
            _("A milestone is due after the common problem was created and within five years."),
        )
        milestone = PolicyMilestone.objects.create(
            common_problem=common_problem, title=title, due_date=due_date, created_at=now
        )
        _event(common_problem, actor, Kind.MILESTONE, now, title)
        _touch(common_problem, now)
    return milestone


def milestone_done(
    *, actor, milestone_id: int, done_date: dt.date | None, now: dt.datetime | None = None
) -> PolicyMilestone:
    now = now or timezone.now()
    today = workdays.local_date(now)
    with transaction.atomic():
        milestone = PolicyMilestone.objects.select_for_update().filter(pk=milestone_id).first()
        _require(milestone is not None, _("This milestone no longer exists."))
        common_problem = _locked(milestone.common_problem_id)
        _require(
            access.can_work_on(actor, common_problem),
            _("Only the liaison office and the lead department tick milestones."),
        )
        _require(milestone.done_date is None, _("This milestone is already done."))
        done_date = done_date or today
        _require(
            workdays.local_date(common_problem.created_at) <= done_date <= today,
            _("A milestone is done between the common problem's creation and today."),
        )
        milestone.done_date = done_date
        milestone.save(update_fields=["done_date"])
        _event(common_problem, actor, Kind.MILESTONE_DONE, now, milestone.title)
        _touch(common_problem, now)
    return milestone
