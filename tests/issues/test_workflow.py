"""The problem state machine (issues.workflow): every transition, and every refusal.

A refused transition must change nothing: each refusal compares a fresh read of the
problem, its co-departments, events, extension requests and attachments before and after.
"""

from __future__ import annotations

import datetime as dt
from contextlib import contextmanager

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from issues import notifications, workflow
from issues.models import (
    Attachment,
    Channel,
    EventKind,
    ExtensionRequest,
    Problem,
    ProblemEvent,
    Satisfaction,
    Status,
)
from issues.services import problem_submit_with_files
from issues.workflow import NotAllowed, StaleProblem, TransitionError, WrongState

from .conftest import NOW, at, pdf_bytes, snapshot, upload

pytestmark = pytest.mark.django_db

# Dispatched at NOW (Fri 2025-09-26): ten working days after it, the National Day
# holiday (10-01 to 10-08) skipped, the make-up days Sun 09-28 and Sat 10-11 counted.
DUE = at("2025-10-16 23:59:59")
WARN = at("2025-10-15 00:00")
LATER = NOW + dt.timedelta(days=1)


@contextmanager
def refused(problem: Problem, error: type[Exception] = TransitionError):
    """The block raises `error` and leaves the problem exactly as it was."""
    before = snapshot(problem)
    with pytest.raises(error) as info:
        yield info
    assert snapshot(problem) == before


def reload(problem: Problem) -> Problem:
    return Problem.objects.get(pk=problem.pk)


def last_event(problem: Problem) -> ProblemEvent:
    return ProblemEvent.objects.filter(problem=problem).latest("id")


def assert_event(problem, *, actor, kind, from_status="", to_status="", is_public=True, now=None):
    event = last_event(problem)
    assert event.actor == actor
    assert event.kind == kind
    assert event.from_status == from_status
    assert event.to_status == to_status
    assert event.is_public is is_public
    if now is not None:
        assert event.created_at == now
    return event


def submit(actor, *, enterprise, category, now=NOW, **kwargs) -> Problem:
    kwargs.setdefault("title", "招工难")
    kwargs.setdefault("description", "一线操作工缺口约四十人。")
    return workflow.problem_submit(
        actor=actor, enterprise=enterprise, category=category, now=now, **kwargs
    )


# --- submit and reference numbers ------------------------------------------------------


def test_it_submits_a_problem_for_the_users_enterprise(enterprise_user, enterprise, category):
    problem = submit(enterprise_user, enterprise=enterprise, category=category)

    problem = reload(problem)
    assert problem.status == Status.SUBMITTED
    assert problem.reference == "2025-00001"
    assert problem.enterprise == enterprise
    assert problem.submitted_by == enterprise_user
    assert problem.channel == Channel.WEB
    assert problem.created_at == NOW
    assert problem.version == 1
    assert problem.due_at is None
    event = assert_event(
        problem, actor=enterprise_user, kind=EventKind.SUBMITTED, to_status=Status.SUBMITTED
    )
    assert event.created_at == NOW
    assert event.data == {"channel": "web"}
    assert problem.events.count() == 1


def test_it_lets_the_office_register_a_problem_taken_by_phone(office, enterprise, category):
    problem = submit(office, enterprise=enterprise, category=category, channel=Channel.PHONE)

    assert reload(problem).channel == Channel.PHONE
    assert reload(problem).submitted_by == office


@pytest.mark.parametrize(
    "persona, kwargs, error",
    [
        ("other_enterprise_user", {}, NotAllowed),
        ("lead_staff", {}, NotAllowed),
        ("leader", {}, NotAllowed),
        ("no_profile_user", {}, NotAllowed),
        ("enterprise_user", {"channel": Channel.PHONE}, NotAllowed),
        ("enterprise_user", {"title": "  "}, TransitionError),
        ("enterprise_user", {"description": "\n"}, TransitionError),
    ],
)
def test_it_refuses_a_submission(request, persona, kwargs, error, enterprise, category):
    actor = request.getfixturevalue(persona)

    with pytest.raises(error):
        submit(actor, enterprise=enterprise, category=category, **kwargs)

    assert not Problem.objects.exists()
    # No number was consumed: the next problem is the first of the year.
    office = request.getfixturevalue("office")
    assert submit(office, enterprise=enterprise, category=category).reference == "2025-00001"


def test_it_numbers_problems_consecutively_per_year(make_problem):
    references = [make_problem().reference for _ in range(3)]

    assert references == ["2025-00001", "2025-00002", "2025-00003"]


def test_it_restarts_numbering_in_a_new_shanghai_year(make_problem):
    assert make_problem(now=at("2025-12-31 23:59")).reference == "2025-00001"
    # 00:01 on New Year's Day in Shanghai is still 2025 in UTC: the Shanghai year counts.
    assert make_problem(now=at("2026-01-01 00:01")).reference == "2026-00001"
    assert make_problem(now=dt.datetime(2025, 12, 31, 16, 2, tzinfo=dt.UTC)).reference == (
        "2026-00002"
    )
    assert make_problem(now=at("2025-12-31 23:00")).reference == "2025-00002"
    # ... whatever time zone a request activated.
    with timezone.override(dt.UTC):
        assert make_problem(now=at("2026-01-01 07:00")).reference == "2026-00003"


def test_it_refuses_a_naive_time(make_problem):
    with pytest.raises(ValueError):
        make_problem(now=dt.datetime(2025, 9, 26, 10, 0))

    assert not Problem.objects.exists()


def test_it_submits_with_files_atomically(
    settings, tmp_path, enterprise_user, enterprise, category
):
    settings.MEDIA_ROOT = tmp_path
    kwargs = {
        "actor": enterprise_user,
        "enterprise": enterprise,
        "category": category,
        "title": "电费负担重",
        "description": "请协调电价优惠。",
        "now": NOW,
    }

    first = problem_submit_with_files(uploads=[upload("电费单.pdf", pdf_bytes())], **kwargs)
    stored = set((tmp_path / "attachments").iterdir())
    with pytest.raises(ValidationError):
        problem_submit_with_files(
            uploads=[upload("合同.pdf", pdf_bytes()), upload("setup.pdf", b"MZ\x90\x00" * 64)],
            **kwargs,
        )
    third = problem_submit_with_files(uploads=[], **kwargs)

    assert first.reference == "2025-00001"
    attachment = Attachment.objects.get()
    assert attachment.problem == first
    assert attachment.event == first.events.get(kind=EventKind.SUBMITTED)
    # The failed submission left no problem, no number used and no file behind.
    assert Problem.objects.count() == 2
    assert third.reference == "2025-00002"
    assert set((tmp_path / "attachments").iterdir()) == stored


def test_it_removes_stored_files_when_the_database_refuses_them(
    settings, tmp_path, monkeypatch, enterprise_user, enterprise, category
):
    settings.MEDIA_ROOT = tmp_path

    def fail(objs, *args, **kwargs):
        raise RuntimeError("database went away")

    monkeypatch.setattr(Attachment.objects, "bulk_create", fail)
    with pytest.raises(RuntimeError):
        problem_submit_with_files(
            uploads=[upload("a.pdf", pdf_bytes()), upload("b.pdf", pdf_bytes())],
            actor=enterprise_user,
            enterprise=enterprise,
            category=category,
            title="电费负担重",
            description="请协调电价优惠。",
            now=NOW,
        )

    assert not Problem.objects.exists()
    assert list((tmp_path / "attachments").iterdir()) == []


# --- dispatch --------------------------------------------------------------------------


def test_it_dispatches_and_starts_the_clock(
    make_problem, office, lead_department, co_department, leader
):
    problem = make_problem()

    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_department,
        co_departments=[co_department, lead_department],
        responsible_leader=leader,
        expected_version=1,
        note=" 请尽快对接 ",
        now=NOW,
    )

    problem = reload(problem)
    assert problem.status == Status.DISPATCHED
    assert problem.lead_department == lead_department
    assert list(problem.co_departments.all()) == [co_department]  # the lead is not its own co
    assert problem.responsible_leader == leader
    assert problem.clock_started_at == NOW
    assert problem.due_at == DUE
    assert problem.original_due_at == DUE
    assert problem.warn_at == WARN
    assert problem.deadline_provisional is False
    assert problem.version == 2
    assert problem.updated_at == NOW
    event = assert_event(
        problem,
        actor=office,
        kind=EventKind.DISPATCHED,
        from_status=Status.SUBMITTED,
        to_status=Status.DISPATCHED,
        now=NOW,
    )
    # The office's note is for the department: kept out of the public text.
    assert event.text == ""
    assert event.data["internal_note"] == "请尽快对接"
    assert event.data["lead_department"] == lead_department.pk
    assert event.data["co_departments"] == [co_department.pk]


def test_it_marks_a_deadline_in_an_unconfirmed_year_provisional(make_problem):
    problem = make_problem(Status.DISPATCHED, now=at("2026-12-24 10:00"))

    assert problem.deadline_provisional is True
    # Weekday rule for 2027, whose schedule is not published: 2027-01-01 counts as working.
    assert problem.due_at == at("2027-01-07 23:59:59")


@pytest.mark.parametrize(
    "persona",
    ["lead_head", "lead_staff", "enterprise_user", "leader", "principal", "no_profile_user"],
)
def test_it_refuses_dispatch_by_anyone_but_the_office(
    request, persona, make_problem, office, lead_department
):
    problem = make_problem()
    dispatch = {"problem_id": problem.pk, "lead_department": lead_department, "now": NOW}

    with refused(problem, NotAllowed):
        workflow.problem_dispatch(actor=request.getfixturevalue(persona), **dispatch)
    workflow.problem_dispatch(actor=office, **dispatch)

    assert reload(problem).status == Status.DISPATCHED


def test_it_refuses_to_dispatch_twice(make_problem, office, lead_department):
    problem = make_problem(Status.DISPATCHED)

    with refused(problem, WrongState):
        workflow.problem_dispatch(
            problem_id=problem.pk, actor=office, lead_department=lead_department, now=LATER
        )


def test_it_refuses_dispatch_from_a_stale_page(make_problem, office, leader, lead_department):
    problem = make_problem()
    workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="尽快办理", now=NOW)

    with refused(problem, StaleProblem):
        workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=lead_department,
            expected_version=1,
            now=NOW,
        )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_department,
        expected_version=2,
        now=NOW,
    )


def test_it_refuses_dispatch_to_an_inactive_department(make_problem, office, other_department):
    problem = make_problem()
    other_department.is_active = False
    other_department.save(update_fields=["is_active"])

    with refused(problem, NotAllowed):
        workflow.problem_dispatch(
            problem_id=problem.pk, actor=office, lead_department=other_department, now=NOW
        )


def test_it_refuses_a_responsible_leader_who_is_not_a_leader(
    make_problem, office, lead_department, lead_head
):
    problem = make_problem()

    with refused(problem, NotAllowed):
        workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=lead_department,
            responsible_leader=lead_head,
            now=NOW,
        )


# --- reject ----------------------------------------------------------------------------


def test_it_rejects_a_duplicate(make_problem, office):
    original = make_problem()
    problem = make_problem()

    workflow.problem_reject(
        problem_id=problem.pk,
        actor=office,
        reason=" 与已有问题重复 ",
        duplicate_of=original,
        now=NOW,
    )

    problem = reload(problem)
    assert problem.status == Status.REJECTED
    assert problem.rejection_reason == "与已有问题重复"
    assert problem.duplicate_of == original
    assert problem.closed_at == NOW
    assert problem.version == 2
    event = assert_event(
        problem,
        actor=office,
        kind=EventKind.REJECTED,
        from_status=Status.SUBMITTED,
        to_status=Status.REJECTED,
    )
    assert event.data == {"duplicate_of": original.reference}


@pytest.mark.parametrize(
    "persona, reason, duplicate_self, error",
    [
        ("lead_head", "不属于职能范围", False, NotAllowed),
        ("leader", "不属于职能范围", False, NotAllowed),
        ("office", "   ", False, TransitionError),
        ("office", "重复", True, NotAllowed),
    ],
)
def test_it_refuses_a_rejection(request, persona, reason, duplicate_self, error, make_problem):
    problem = make_problem()

    with refused(problem, error):
        workflow.problem_reject(
            problem_id=problem.pk,
            actor=request.getfixturevalue(persona),
            reason=reason,
            duplicate_of=problem if duplicate_self else None,
            now=NOW,
        )


def test_it_refuses_to_reject_a_dispatched_problem(make_problem, office):
    problem = make_problem(Status.DISPATCHED)

    with refused(problem, WrongState):
        workflow.problem_reject(problem_id=problem.pk, actor=office, reason="重复", now=NOW)


# --- return ----------------------------------------------------------------------------


def test_it_returns_a_problem_to_the_office(make_problem, lead_staff, co_department):
    problem = make_problem(Status.DISPATCHED, co_departments=[co_department])

    workflow.problem_return(
        problem_id=problem.pk, actor=lead_staff, reason="不属本单位职责", now=LATER
    )

    problem = reload(problem)
    assert problem.status == Status.SUBMITTED
    assert problem.lead_department is None
    assert problem.handler is None
    assert not problem.co_departments.exists()
    assert problem.due_at == DUE  # the clock keeps running
    assert problem.version == 3
    event = assert_event(
        problem,
        actor=lead_staff,
        kind=EventKind.RETURNED,
        from_status=Status.DISPATCHED,
        to_status=Status.SUBMITTED,
        is_public=False,
        now=LATER,
    )
    assert event.text == "不属本单位职责"


def test_it_keeps_the_clock_when_a_returned_problem_is_dispatched_again(
    make_problem, lead_staff, office, other_department
):
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_return(
        problem_id=problem.pk, actor=lead_staff, reason="不属本单位职责", now=LATER
    )

    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=other_department,
        now=at("2025-09-30 09:00"),
    )

    problem = reload(problem)
    assert problem.status == Status.DISPATCHED
    assert problem.lead_department == other_department
    assert problem.clock_started_at == NOW
    assert problem.due_at == DUE
    assert problem.original_due_at == DUE
    assert problem.warn_at == WARN


@pytest.mark.parametrize(
    "persona, reason, error",
    [
        ("co_staff", "不属本单位职责", NotAllowed),
        ("co_head", "不属本单位职责", NotAllowed),
        ("other_head", "不属本单位职责", NotAllowed),
        ("office", "不属本单位职责", NotAllowed),
        ("enterprise_user", "不属本单位职责", NotAllowed),
        ("lead_staff", " ", TransitionError),
    ],
)
def test_it_refuses_a_return(request, persona, reason, error, make_problem, co_department):
    problem = make_problem(Status.DISPATCHED, co_departments=[co_department])

    with refused(problem, error):
        workflow.problem_return(
            problem_id=problem.pk, actor=request.getfixturevalue(persona), reason=reason, now=NOW
        )


def test_it_refuses_to_return_an_acknowledged_problem(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    with refused(problem, WrongState):
        workflow.problem_return(problem_id=problem.pk, actor=lead_staff, reason="不属于", now=NOW)


# --- acknowledge -----------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead_staff", "lead_head"])
def test_it_acknowledges(request, persona, make_problem):
    problem = make_problem(Status.DISPATCHED)
    actor = request.getfixturevalue(persona)

    workflow.problem_acknowledge(problem_id=problem.pk, actor=actor, expected_version=2, now=LATER)

    problem = reload(problem)
    assert problem.status == Status.IN_PROGRESS
    assert problem.handler == actor
    assert problem.due_at == DUE
    assert problem.version == 3
    assert_event(
        problem,
        actor=actor,
        kind=EventKind.ACKNOWLEDGED,
        from_status=Status.DISPATCHED,
        to_status=Status.IN_PROGRESS,
        now=LATER,
    )


def test_it_keeps_the_assigned_handler_on_acknowledge(make_problem, lead_head, lead_staff):
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_assign_handler(problem_id=problem.pk, actor=lead_head, handler=lead_staff)

    workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_head, now=LATER)

    assert reload(problem).handler == lead_staff


@pytest.mark.parametrize(
    "persona", ["co_staff", "co_head", "other_staff", "office", "leader", "enterprise_user"]
)
def test_it_refuses_acknowledge_outside_the_lead_department(
    request, persona, make_problem, co_department
):
    problem = make_problem(Status.DISPATCHED, co_departments=[co_department])

    with refused(problem, NotAllowed):
        workflow.problem_acknowledge(
            problem_id=problem.pk, actor=request.getfixturevalue(persona), now=LATER
        )


def test_it_refuses_to_acknowledge_twice(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    with refused(problem, WrongState):
        workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_staff, now=LATER)


def test_it_refuses_acknowledge_from_a_stale_page(make_problem, lead_staff, lead_head):
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_assign_handler(problem_id=problem.pk, actor=lead_head, handler=lead_staff)

    with refused(problem, StaleProblem):
        workflow.problem_acknowledge(
            problem_id=problem.pk, actor=lead_staff, expected_version=2, now=LATER
        )


# --- progress --------------------------------------------------------------------------


@pytest.mark.parametrize("persona, is_public", [("lead_staff", True), ("co_staff", False)])
def test_it_records_progress_from_lead_and_co_departments(
    request, persona, is_public, make_problem, co_department
):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])
    actor = request.getfixturevalue(persona)

    event = workflow.problem_add_progress(
        problem_id=problem.pk,
        actor=actor,
        text=" 已现场踏勘 ",
        is_public=is_public,
        expected_version=3,
        now=LATER,
    )

    problem = reload(problem)
    assert problem.status == Status.IN_PROGRESS
    assert problem.version == 4
    assert event == assert_event(problem, actor=actor, kind=EventKind.PROGRESS, is_public=is_public)
    assert event.text == "已现场踏勘"
    assert event.data == {"department": actor.profile.department_id}


@pytest.mark.parametrize(
    "persona", ["other_staff", "other_head", "office", "leader", "enterprise_user"]
)
def test_it_refuses_progress_from_outside_lead_and_co(
    request, persona, make_problem, co_department
):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    with refused(problem, NotAllowed):
        workflow.problem_add_progress(
            problem_id=problem.pk,
            actor=request.getfixturevalue(persona),
            text="已现场踏勘",
            is_public=True,
            now=LATER,
        )


def test_it_refuses_blank_progress(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    with refused(problem, TransitionError):
        workflow.problem_add_progress(
            problem_id=problem.pk, actor=lead_staff, text="  ", is_public=True, now=LATER
        )


def test_it_refuses_progress_before_acknowledge(make_problem, lead_staff):
    problem = make_problem(Status.DISPATCHED)

    with refused(problem, WrongState):
        workflow.problem_add_progress(
            problem_id=problem.pk, actor=lead_staff, text="已踏勘", is_public=True, now=LATER
        )


def test_it_records_a_double_clicked_progress_note_once(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    note = {"problem_id": problem.pk, "actor": lead_staff, "text": "已踏勘", "is_public": True}

    workflow.problem_add_progress(expected_version=3, now=LATER, **note)
    with refused(problem, StaleProblem):
        workflow.problem_add_progress(expected_version=3, now=LATER, **note)

    assert problem.events.filter(kind=EventKind.PROGRESS).count() == 1


# --- extensions ------------------------------------------------------------------------


def request_extension(problem, actor, days=3, reason="需协调第三方处置单位", now=LATER):
    return workflow.problem_request_extension(
        problem_id=problem.pk, actor=actor, days=days, reason=reason, now=now
    )


def test_it_requests_an_extension(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    extension = request_extension(problem, lead_staff)

    extension.refresh_from_db()
    assert extension.decision == ExtensionRequest.Decision.PENDING
    assert (extension.days, extension.requested_by, extension.requested_at) == (
        3,
        lead_staff,
        LATER,
    )
    problem = reload(problem)
    assert problem.due_at == DUE
    assert problem.version == 4
    event = assert_event(
        problem, actor=lead_staff, kind=EventKind.EXTENSION_REQUESTED, is_public=False
    )
    assert event.data == {"days": 3, "extension": extension.pk}


@pytest.mark.parametrize(
    "persona, days, reason, error",
    [
        ("lead_staff", 0, "需协调", TransitionError),
        ("lead_staff", 11, "需协调", TransitionError),
        ("lead_staff", 3, " ", TransitionError),
        ("co_staff", 3, "需协调", NotAllowed),
        ("co_head", 3, "需协调", NotAllowed),
        ("other_head", 3, "需协调", NotAllowed),
        ("office", 3, "需协调", NotAllowed),
    ],
)
def test_it_refuses_an_extension_request(
    request, persona, days, reason, error, make_problem, co_department
):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    with refused(problem, error):
        request_extension(problem, request.getfixturevalue(persona), days=days, reason=reason)


def test_it_accepts_extensions_of_one_and_ten_days(make_problem, lead_staff, office):
    problem = make_problem(Status.IN_PROGRESS)

    for days in (1, 10):
        extension = request_extension(problem, lead_staff, days=days)
        workflow.problem_decide_extension(extension_id=extension.pk, actor=office, approve=False)

    assert list(problem.extensions.values_list("days", flat=True).order_by("pk")) == [1, 10]


def test_it_refuses_a_second_pending_extension(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    request_extension(problem, lead_staff)

    with refused(problem, WrongState):
        request_extension(problem, lead_staff, days=2)


def test_it_refuses_an_extension_before_acknowledge(make_problem, lead_staff):
    problem = make_problem(Status.DISPATCHED)

    with refused(problem, WrongState):
        request_extension(problem, lead_staff)


@pytest.mark.parametrize("persona", ["office", "leader", "principal"])
def test_it_approves_an_extension_across_a_holiday(request, persona, make_problem, lead_staff):
    # Dispatched Wed 2025-09-17: due Tue 09-30 (the make-up Sunday 09-28 counts).
    problem = make_problem(Status.IN_PROGRESS, now=at("2025-09-17 10:00"))
    assert problem.due_at == at("2025-09-30 23:59:59")
    extension = request_extension(problem, lead_staff, days=3, now=at("2025-09-25 10:00"))
    actor = request.getfixturevalue(persona)
    decided_at = at("2025-09-26 15:00")

    workflow.problem_decide_extension(
        extension_id=extension.pk, actor=actor, approve=True, note=" 同意 ", now=decided_at
    )

    problem = reload(problem)
    # Three working days after 09-30, over National Day: Thu 10-09, Fri 10-10, Sat 10-11.
    assert problem.due_at == at("2025-10-11 23:59:59")
    assert problem.warn_at == at("2025-10-10 00:00")
    assert problem.original_due_at == at("2025-09-30 23:59:59")
    assert problem.deadline_provisional is False
    assert problem.version == 5
    extension.refresh_from_db()
    assert extension.decision == ExtensionRequest.Decision.APPROVED
    assert (extension.decided_by, extension.decided_at) == (actor, decided_at)
    assert extension.decision_note == "同意"
    event = assert_event(problem, actor=actor, kind=EventKind.EXTENSION_APPROVED, now=decided_at)
    assert dt.datetime.fromisoformat(event.data["due_at"]) == problem.due_at


def test_it_denies_an_extension_without_moving_the_deadline(make_problem, lead_staff, office):
    problem = make_problem(Status.IN_PROGRESS)
    extension = request_extension(problem, lead_staff)

    workflow.problem_decide_extension(
        extension_id=extension.pk, actor=office, approve=False, note="请按期办结", now=LATER
    )

    problem = reload(problem)
    assert (problem.due_at, problem.warn_at, problem.original_due_at) == (DUE, WARN, DUE)
    assert problem.version == 5
    extension.refresh_from_db()
    assert extension.decision == ExtensionRequest.Decision.DENIED
    assert_event(problem, actor=office, kind=EventKind.EXTENSION_DENIED, is_public=False)


@pytest.mark.parametrize("persona", ["lead_head", "lead_staff", "enterprise_user"])
def test_it_refuses_an_extension_decision_by_others(request, persona, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    extension = request_extension(problem, lead_staff)

    with refused(problem, NotAllowed):
        workflow.problem_decide_extension(
            extension_id=extension.pk, actor=request.getfixturevalue(persona), approve=True
        )


def test_it_refuses_to_decide_an_extension_twice(make_problem, lead_staff, office, leader):
    problem = make_problem(Status.IN_PROGRESS)
    extension = request_extension(problem, lead_staff)
    workflow.problem_decide_extension(extension_id=extension.pk, actor=office, approve=True)

    with refused(problem, WrongState):
        workflow.problem_decide_extension(extension_id=extension.pk, actor=leader, approve=False)


def test_it_refuses_to_decide_a_missing_extension(office):
    with pytest.raises(NotAllowed):
        workflow.problem_decide_extension(extension_id=987654, actor=office, approve=True)


def test_it_closes_a_pending_extension_when_the_problem_is_answered(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    extension = request_extension(problem, lead_staff)

    workflow.problem_resolve(problem_id=problem.pk, actor=lead_staff, answer="已处置", now=LATER)

    extension.refresh_from_db()
    assert extension.decision == ExtensionRequest.Decision.DENIED
    assert reload(problem).due_at == DUE


# --- resolve ---------------------------------------------------------------------------


@pytest.mark.parametrize("persona", ["lead_staff", "lead_head"])
def test_it_resolves(request, persona, make_problem):
    problem = make_problem(Status.IN_PROGRESS)
    actor = request.getfixturevalue(persona)

    workflow.problem_resolve(
        problem_id=problem.pk, actor=actor, answer=" 已安排收运 ", expected_version=3, now=LATER
    )

    problem = reload(problem)
    assert problem.status == Status.RESOLVED
    assert problem.answer == "已安排收运"
    assert problem.first_resolved_at == LATER
    assert problem.last_resolved_at == LATER
    assert problem.first_resolved_due_at == DUE
    assert problem.version == 4
    event = assert_event(
        problem,
        actor=actor,
        kind=EventKind.RESOLVED,
        from_status=Status.IN_PROGRESS,
        to_status=Status.RESOLVED,
        now=LATER,
    )
    assert event.text == "已安排收运"


@pytest.mark.parametrize(
    "persona, answer, error",
    [
        ("co_staff", "已安排", NotAllowed),
        ("co_head", "已安排", NotAllowed),
        ("other_head", "已安排", NotAllowed),
        ("office", "已安排", NotAllowed),
        ("leader", "已安排", NotAllowed),
        ("lead_staff", "\t", TransitionError),
    ],
)
def test_it_refuses_a_resolution(request, persona, answer, error, make_problem, co_department):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    with refused(problem, error):
        workflow.problem_resolve(
            problem_id=problem.pk, actor=request.getfixturevalue(persona), answer=answer, now=LATER
        )


@pytest.mark.parametrize("state", [Status.DISPATCHED, Status.RESOLVED, Status.CLOSED])
def test_it_refuses_to_resolve_a_problem_not_in_progress(state, make_problem, lead_staff):
    problem = make_problem(state)

    with refused(problem, WrongState):
        workflow.problem_resolve(problem_id=problem.pk, actor=lead_staff, answer="已办", now=LATER)


def test_it_refuses_a_resolution_from_a_stale_page(make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=lead_staff, text="已踏勘", is_public=True, now=LATER
    )

    with refused(problem, StaleProblem):
        workflow.problem_resolve(
            problem_id=problem.pk, actor=lead_staff, answer="已办", expected_version=3, now=LATER
        )


# --- evaluate, reopen, auto-close ------------------------------------------------------


@pytest.mark.parametrize("satisfaction", [Satisfaction.SATISFIED, Satisfaction.BASICALLY])
def test_it_closes_on_a_satisfied_evaluation(satisfaction, make_problem, enterprise_user):
    problem = make_problem(Status.RESOLVED)

    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=satisfaction,
        expected_version=4,
        now=LATER,
    )

    problem = reload(problem)
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == satisfaction
    assert problem.closed_at == LATER
    assert problem.version == 5
    event = assert_event(
        problem,
        actor=enterprise_user,
        kind=EventKind.EVALUATED,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
        now=LATER,
    )
    assert event.data == {"satisfaction": satisfaction}


@pytest.mark.parametrize(
    "persona, satisfaction, error",
    [
        ("other_enterprise_user", Satisfaction.SATISFIED, NotAllowed),
        ("lead_staff", Satisfaction.SATISFIED, NotAllowed),
        ("office", Satisfaction.SATISFIED, NotAllowed),
        ("other_enterprise_user", Satisfaction.UNSATISFIED, NotAllowed),
        ("enterprise_user", Satisfaction.NOT_EVALUATED, TransitionError),
        ("enterprise_user", "great", TransitionError),
    ],
)
def test_it_refuses_an_evaluation(request, persona, satisfaction, error, make_problem):
    problem = make_problem(Status.RESOLVED)

    with refused(problem, error):
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=request.getfixturevalue(persona),
            satisfaction=satisfaction,
            reason="仍未解决",
            now=LATER,
        )


@pytest.mark.parametrize("satisfaction", [Satisfaction.SATISFIED, Satisfaction.UNSATISFIED])
@pytest.mark.parametrize("state", [Status.IN_PROGRESS, Status.CLOSED])
def test_it_refuses_to_evaluate_a_problem_not_answered(
    state, satisfaction, make_problem, enterprise_user
):
    problem = make_problem(state)

    with refused(problem, WrongState):
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=enterprise_user,
            satisfaction=satisfaction,
            reason="仍未解决",
            now=LATER,
        )


def test_it_refuses_an_evaluation_from_a_stale_page(make_problem, enterprise_user, leader):
    problem = make_problem(Status.RESOLVED)
    workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="回访企业", now=LATER)

    with refused(problem, StaleProblem):
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=enterprise_user,
            satisfaction=Satisfaction.SATISFIED,
            expected_version=4,
            now=LATER,
        )


def test_it_reopens_with_a_fresh_clock(make_problem, enterprise_user):
    problem = make_problem(Status.RESOLVED)
    Problem.objects.filter(pk=problem.pk).update(escalation_level=1)  # as the sweep would
    reopened_at = at("2025-10-13 10:00")

    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.UNSATISFIED,
        reason=" 漆渣仍未清运 ",
        expected_version=4,
        now=reopened_at,
    )

    problem = reload(problem)
    assert problem.status == Status.IN_PROGRESS
    assert problem.satisfaction == Satisfaction.UNSATISFIED
    assert problem.reopen_count == 1
    assert problem.escalation_level == 0
    assert problem.clock_started_at == reopened_at
    # Ten working days after Mon 10-13.
    assert problem.due_at == at("2025-10-27 23:59:59")
    assert problem.warn_at == at("2025-10-24 00:00")
    assert problem.original_due_at == DUE
    assert problem.version == 5
    event = assert_event(
        problem,
        actor=enterprise_user,
        kind=EventKind.REOPENED,
        from_status=Status.RESOLVED,
        to_status=Status.IN_PROGRESS,
        now=reopened_at,
    )
    assert event.text == "漆渣仍未清运"


def test_it_refuses_to_reopen_without_a_reason(make_problem, enterprise_user):
    problem = make_problem(Status.RESOLVED)

    with refused(problem, TransitionError):
        workflow.problem_reopen(problem_id=problem.pk, actor=enterprise_user, reason=" ", now=LATER)


def test_it_keeps_the_first_resolution_when_answered_again(
    make_problem, enterprise_user, lead_staff
):
    problem = make_problem(Status.RESOLVED)
    first_resolved_at = problem.first_resolved_at
    workflow.problem_reopen(
        problem_id=problem.pk, actor=enterprise_user, reason="未解决", now=at("2025-10-13 10:00")
    )
    answered_again = at("2025-10-20 16:00")

    workflow.problem_resolve(
        problem_id=problem.pk, actor=lead_staff, answer="已再次协调", now=answered_again
    )

    problem = reload(problem)
    assert problem.status == Status.RESOLVED
    assert problem.first_resolved_at == first_resolved_at == NOW + dt.timedelta(hours=2)
    assert problem.first_resolved_due_at == DUE
    assert problem.last_resolved_at == answered_again
    assert problem.answer == "已再次协调"


def test_it_closes_an_unevaluated_problem(make_problem):
    problem = make_problem(Status.RESOLVED)
    closed_at = at("2025-10-10 02:00")

    assert workflow.problem_auto_close(problem_id=problem.pk, now=closed_at) is not None

    problem = reload(problem)
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == Satisfaction.NOT_EVALUATED
    assert problem.closed_at == closed_at
    assert problem.version == 5
    assert_event(
        problem,
        actor=None,
        kind=EventKind.AUTO_CLOSED,
        from_status=Status.RESOLVED,
        to_status=Status.CLOSED,
        now=closed_at,
    )


@pytest.mark.parametrize("state", [Status.IN_PROGRESS, Status.CLOSED])
def test_it_auto_closes_only_answered_problems(state, make_problem):
    problem = make_problem(state)
    before = snapshot(problem)

    assert workflow.problem_auto_close(problem_id=problem.pk, now=LATER) is None

    assert snapshot(problem) == before


# --- instruct, assign handler ----------------------------------------------------------


@pytest.mark.parametrize("persona", ["leader", "principal"])
def test_it_records_a_leaders_instruction(request, persona, make_problem):
    problem = make_problem(Status.IN_PROGRESS)
    actor = request.getfixturevalue(persona)

    event = workflow.problem_instruct(
        problem_id=problem.pk, actor=actor, text="限期解决", now=LATER
    )

    assert event == assert_event(problem, actor=actor, kind=EventKind.INSTRUCTED, is_public=False)
    assert reload(problem).version == 4


def test_it_refuses_an_instruction(make_problem, office, leader):
    problem = make_problem(Status.IN_PROGRESS)
    closed = make_problem(Status.CLOSED)

    with refused(problem, NotAllowed):
        workflow.problem_instruct(problem_id=problem.pk, actor=office, text="限期解决")
    with refused(problem, TransitionError):
        workflow.problem_instruct(problem_id=problem.pk, actor=leader, text=" ")
    with refused(closed, WrongState):
        workflow.problem_instruct(problem_id=closed.pk, actor=leader, text="限期解决")


def test_it_assigns_a_handler(make_problem, lead_head, lead_staff):
    problem = make_problem(Status.IN_PROGRESS, lead=lead_head)

    workflow.problem_assign_handler(
        problem_id=problem.pk, actor=lead_head, handler=lead_staff, expected_version=3, now=LATER
    )

    problem = reload(problem)
    assert problem.handler == lead_staff
    assert problem.version == 4
    event = assert_event(problem, actor=lead_head, kind=EventKind.HANDLER_ASSIGNED, is_public=False)
    assert event.data == {"handler": lead_staff.pk}


@pytest.mark.parametrize(
    "persona, handler",
    [
        ("lead_staff", "lead_staff"),
        ("co_head", "co_staff"),
        ("office", "lead_staff"),
        ("lead_head", "other_staff"),
        ("lead_head", "enterprise_user"),
        ("lead_head", "no_profile_user"),
    ],
)
def test_it_refuses_a_handler_assignment(request, persona, handler, make_problem, co_department):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    with refused(problem, NotAllowed):
        workflow.problem_assign_handler(
            problem_id=problem.pk,
            actor=request.getfixturevalue(persona),
            handler=request.getfixturevalue(handler),
        )


# --- notifications ---------------------------------------------------------------------


def test_it_notifies_each_event_once_after_commit(
    django_capture_on_commit_callbacks,
    notified,
    enterprise_user,
    enterprise,
    category,
    office,
    lead_department,
):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        problem = submit(enterprise_user, enterprise=enterprise, category=category)
        workflow.problem_dispatch(
            problem_id=problem.pk, actor=office, lead_department=lead_department, now=NOW
        )
        assert notified == []  # nothing is told before the commit

    assert len(callbacks) == 2
    assert notified == list(problem.events.order_by("id").values_list("id", flat=True))


def test_it_notifies_nothing_for_a_refused_or_rolled_back_transition(
    django_capture_on_commit_callbacks,
    notified,
    settings,
    tmp_path,
    enterprise_user,
    enterprise,
    category,
    lead_staff,
):
    settings.MEDIA_ROOT = tmp_path
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        problem = submit(enterprise_user, enterprise=enterprise, category=category)
        with pytest.raises(NotAllowed):
            workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_staff)
        with pytest.raises(ValidationError):
            problem_submit_with_files(
                uploads=[upload("empty.pdf", b"")],
                actor=enterprise_user,
                enterprise=enterprise,
                category=category,
                title="用地",
                description="用地指标",
            )

    assert len(callbacks) == 1
    assert notified == [problem.events.get().pk]


def test_it_keeps_the_transition_when_a_notification_handler_fails(
    django_capture_on_commit_callbacks, notified, enterprise_user, enterprise, category
):
    def broken(event_id):
        raise RuntimeError("mail server down")

    notifications.register(broken)
    try:
        with django_capture_on_commit_callbacks(execute=True):
            problem = submit(enterprise_user, enterprise=enterprise, category=category)
    finally:
        notifications.unregister(broken)

    assert notified == [problem.events.get().pk]  # the next handler still ran
    assert reload(problem).status == Status.SUBMITTED
