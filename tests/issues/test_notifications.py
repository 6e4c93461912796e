"""Who is told what: the outbox rows written with each event, their texts, the daily digest."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import transaction

from issues import digest as daily_digest
from issues import notifications, workflow
from issues.models import EventKind, Problem, ProblemEvent, Satisfaction, Status
from liaison.models import Profile, Role
from notifications import api as outbox
from notifications import delivery
from notifications.models import Notification
from tests.issues.conftest import NOW, at, copy_problems, make_user

IN_APP, EMAIL, SMS = "in_app", "email", "sms"


def rows(**filters) -> set[tuple[str, str, str]]:
    """(username, channel, kind) of the outbox rows."""
    return set(
        Notification.objects.filter(**filters).values_list("recipient__username", "channel", "kind")
    )


def recipients(kind: str, channel: str = IN_APP) -> set[str]:
    return {user for user, ch, k in rows() if k == kind and ch == channel}


def set_profile(user, **fields) -> None:
    Profile.objects.filter(user=user).update(**fields)


def give_email(*users) -> None:
    for user in users:
        user.email = f"{user.username}@example.cn"
        user.save(update_fields=["email"])


@pytest.fixture
def everyone(
    office, leader, principal, lead_head, lead_staff, other_head, co_head, enterprise_user
):
    users = [office, leader, principal, lead_head, lead_staff, other_head, co_head]
    give_email(*users, enterprise_user)
    return users


# --- who is told -----------------------------------------------------------------------


def test_it_tells_the_office_in_app_only_of_a_new_problem(everyone, make_problem, office):
    make_problem(Status.SUBMITTED)

    assert rows() == {("office", IN_APP, EventKind.SUBMITTED)}


def test_it_writes_the_rows_in_the_transaction_of_the_event(everyone, make_problem):
    # No on-commit callback runs in this test: the rows exist because the workflow's
    # own transaction wrote them, with the event.
    problem = make_problem(Status.DISPATCHED)

    assert recipients(EventKind.DISPATCHED) == {"lead_head", "enterprise_user"}
    assert recipients(EventKind.DISPATCHED, EMAIL) == {"lead_head", "enterprise_user"}
    event = problem.events.get(kind=EventKind.DISPATCHED)
    assert set(Notification.objects.values_list("event", flat=True)) >= {event.pk}


def test_it_writes_nothing_when_the_transition_is_rolled_back(everyone, make_problem, office):
    problem = make_problem(Status.SUBMITTED)
    before = Notification.objects.count()

    with pytest.raises(RuntimeError), transaction.atomic():
        workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=everyone[3].profile.department,
            now=NOW,
        )
        raise RuntimeError("the request failed after the transition")

    assert Notification.objects.count() == before


def test_it_writes_nothing_for_demo_data(everyone, make_problem):
    with notifications.suppressed():
        make_problem(Status.CLOSED)

    assert Notification.objects.count() == 0


def test_it_tells_a_department_through_its_staff_when_it_has_no_head(
    everyone, make_problem, other_staff, office, lead_head
):
    # other_department has a head (other_head): only the head is told.
    problem = make_problem(Status.SUBMITTED)
    Notification.objects.all().delete()
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=office, lead_department=other_staff.profile.department
    )
    assert recipients(EventKind.DISPATCHED) == {"other_head", "enterprise_user"}

    # Without a head, every member is told.
    Profile.objects.filter(user__username="other_head").update(
        role=Role.DEPARTMENT_STAFF, department=lead_head.profile.department
    )
    problem = make_problem(Status.SUBMITTED)
    Notification.objects.all().delete()
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=office, lead_department=other_staff.profile.department
    )
    assert recipients(EventKind.DISPATCHED) == {"other_staff", "enterprise_user"}


@pytest.mark.parametrize(
    ("kind", "told"),
    [
        (EventKind.RESOLVED, {"enterprise_user"}),
        (EventKind.ACKNOWLEDGED, set()),
        (EventKind.EVALUATED, set()),
    ],
)
def test_it_tells_who_the_lifecycle_says(everyone, make_problem, kind, told):
    make_problem(Status.CLOSED)

    assert recipients(kind) == told


def test_it_tells_the_department_head_handler_and_office_of_a_reopened_problem(
    everyone, make_problem, enterprise_user
):
    problem = make_problem(Status.RESOLVED)
    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.UNSATISFIED,
        reason="漆渣仍未清运",
    )

    # lead_staff acknowledged the problem, so is its handler.
    assert recipients(EventKind.REOPENED) == {"lead_head", "lead_staff", "office"}
    assert recipients(EventKind.REOPENED, EMAIL) == {"lead_head", "lead_staff", "office"}


def test_it_tells_the_office_of_a_returned_problem(everyone, make_problem, lead_staff):
    problem = make_problem(Status.DISPATCHED)
    workflow.problem_return(problem_id=problem.pk, actor=lead_staff, reason="不属于本部门职责")

    assert recipients(EventKind.RETURNED) == {"office"}


def test_it_tells_office_and_leader_of_an_extension_request_then_the_requester(
    everyone, make_problem, lead_staff, office
):
    problem = make_problem(Status.IN_PROGRESS)
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需要现场核查"
    )
    assert recipients(EventKind.EXTENSION_REQUESTED) == {"office", "leader"}

    workflow.problem_decide_extension(extension_id=request.pk, actor=office, approve=True)
    assert recipients(EventKind.EXTENSION_APPROVED) == {"lead_head", "lead_staff"}


def test_it_tells_the_responsible_leader_rather_than_the_supervising_one(
    everyone, make_problem, lead_staff, office, principal
):
    problem = make_problem(Status.SUBMITTED)
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_staff.profile.department,
        responsible_leader=principal,
    )
    workflow.problem_acknowledge(problem_id=problem.pk, actor=lead_staff)
    workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_staff, days=3, reason="需要现场核查"
    )

    assert recipients(EventKind.EXTENSION_REQUESTED) == {"office", "principal"}


def test_it_never_tells_the_enterprise_an_internal_instruction(
    everyone, make_problem, leader, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)
    event = workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="请加快办理")
    # Even when the enterprise user is named explicitly.
    notifications.write_for_events([(event, [enterprise_user])])

    assert recipients(EventKind.INSTRUCTED) == {"lead_head", "lead_staff"}


def test_it_never_tells_the_actor_of_their_own_action(everyone, make_problem, lead_head):
    problem = make_problem(Status.IN_PROGRESS)
    event = workflow.problem_assign_handler(
        problem_id=problem.pk, actor=lead_head, handler=lead_head
    ).events.get(kind=EventKind.HANDLER_ASSIGNED)
    notifications.write_for_events([(event, [lead_head])])

    assert recipients(EventKind.HANDLER_ASSIGNED) == set()


def test_it_sends_email_only_to_those_with_an_address_who_want_it(
    everyone, make_problem, lead_head, enterprise_user
):
    set_profile(lead_head, email_notifications=False)
    enterprise_user.email = ""
    enterprise_user.save(update_fields=["email"])

    make_problem(Status.DISPATCHED)

    assert recipients(EventKind.DISPATCHED) == {"lead_head", "enterprise_user"}
    assert recipients(EventKind.DISPATCHED, EMAIL) == set()


def test_it_writes_in_app_rows_as_delivered_and_email_rows_pending(everyone, make_problem):
    make_problem(Status.DISPATCHED)

    states = dict(
        Notification.objects.filter(kind=EventKind.DISPATCHED).values_list("channel", "state")
    )
    assert states == {IN_APP: "sent", EMAIL: "pending"}
    in_app = Notification.objects.filter(channel=IN_APP).first()
    assert in_app.sent_at is not None and in_app.read_at is None


# --- the sweep's interface ---------------------------------------------------------------


def escalations(problem: Problem, n: int, prefix: str = "a") -> list[ProblemEvent]:
    """`n` escalation events of `problem`, as the sweep writes them (bulk, no actor)."""
    return ProblemEvent.objects.bulk_create(
        ProblemEvent(
            problem=problem,
            kind=EventKind.ESCALATED,
            is_public=False,
            dedupe_key=f"escalate:{prefix}{i}",
            created_at=NOW,
        )
        for i in range(n)
    )


def test_it_writes_sms_for_escalations_to_those_with_a_phone(everyone, make_problem, leader):
    set_profile(leader, phone="13800138000")
    problem = make_problem(Status.DISPATCHED)
    Notification.objects.all().delete()
    [event] = escalations(problem, 1)

    written = notifications.write_for_events([(event, [leader, everyone[0]])])

    # The office is told in the app only: one e-mail per escalated problem would bury it.
    assert written == 4
    assert rows() == {
        ("leader", IN_APP, EventKind.ESCALATED),
        ("leader", EMAIL, EventKind.ESCALATED),
        ("leader", SMS, EventKind.ESCALATED),
        ("office", IN_APP, EventKind.ESCALATED),
    }
    sms = Notification.objects.get(channel=SMS)
    assert sms.body.startswith(f"[{problem.reference}]") and sms.body_html == ""


def test_it_writes_nothing_twice_when_run_again(everyone, make_problem, leader, office):
    problem = make_problem(Status.DISPATCHED)
    events = escalations(problem, 3)
    pairs = [(event, [leader, office]) for event in events]

    with transaction.atomic():
        first = notifications.write_for_events(pairs)
    second = notifications.write_for_events(pairs)

    # leader: in-app and e-mail; office: in-app only (sweep kinds) — 3 events × 3 rows
    assert first == 9
    assert second == 0
    assert Notification.objects.filter(kind=EventKind.ESCALATED).count() == 9


def test_it_writes_any_number_of_events_in_the_same_number_of_queries(
    everyone, make_problem, leader, office, lead_head, django_assert_num_queries
):
    problem = make_problem(Status.DISPATCHED)
    problems = [problem, *copy_problems(problem, 1009)]
    events = ProblemEvent.objects.bulk_create(
        ProblemEvent(problem=p, kind=EventKind.ESCALATED, is_public=False, created_at=NOW)
        for p in problems
    )
    few, many = events[:10], events[10:]
    people = [leader, office, lead_head]

    # 1. the problems, 2. the people (address, language, phone), 3. one INSERT
    with django_assert_num_queries(3):
        assert notifications.write_for_events([(e, people) for e in few]) == 50
    with django_assert_num_queries(3):
        assert notifications.write_for_events([(e, people) for e in many]) == 5000


def test_it_schedules_delivery_of_new_email_rows_after_commit(
    everyone, make_problem, leader, monkeypatch, django_capture_on_commit_callbacks
):
    queued: list[list[int]] = []
    monkeypatch.setattr(delivery, "enqueue", lambda ids: queued.append(list(ids)))
    problem = make_problem(Status.DISPATCHED)
    [event] = escalations(problem, 1)

    with django_capture_on_commit_callbacks(execute=True):
        notifications.write_for_events([(event, [leader])])
        assert queued == []
    with django_capture_on_commit_callbacks(execute=True):
        notifications.write_for_events([(event, [leader])])  # nothing new: nothing queued

    email = Notification.objects.get(recipient=leader, channel=EMAIL, event=event)
    assert queued == [[email.pk]]


# --- texts ------------------------------------------------------------------------------


def test_it_writes_texts_in_each_recipients_language(
    everyone, make_problem, lead_head, enterprise_user
):
    set_profile(lead_head, language="en")
    set_profile(enterprise_user, language="zh-hans")
    problem = make_problem(Status.DISPATCHED)

    english = Notification.objects.get(recipient=lead_head, channel=EMAIL)
    chinese = Notification.objects.get(recipient=enterprise_user, channel=EMAIL)
    assert english.subject == f"[{problem.reference}] Dispatched: {problem.title}"
    assert chinese.subject == f"[{problem.reference}] 交办: {problem.title}"
    assert "Please acknowledge it" in english.body  # the department's text
    assert "Please acknowledge it" not in chinese.body  # not the enterprise's
    for message in (english, chinese):
        assert message.url == f"/problems/{problem.reference}/"
        assert f"http://127.0.0.1:8000/problems/{problem.reference}/" in message.body
        assert (
            f'href="http://127.0.0.1:8000/problems/{problem.reference}/"'
            in notifications.html_of(message)
        )
        assert problem.lead_department.name in message.body


def test_it_escapes_html_and_keeps_text_plain(everyone, make_problem, leader, lead_head):
    problem = make_problem(Status.IN_PROGRESS)
    Problem.objects.filter(pk=problem.pk).update(title="<b>漆渣</b> & 危废")
    workflow.problem_instruct(problem_id=problem.pk, actor=leader, text="<script>x</script>\n加快")

    message = Notification.objects.get(recipient=lead_head, channel=EMAIL, kind="instructed")
    assert "<b>漆渣</b> & 危废" in message.subject
    assert "<script>x</script>" in message.body
    assert "&lt;b&gt;漆渣&lt;/b&gt; &amp; 危废" in notifications.html_of(message)
    assert "<script>" not in notifications.html_of(message)
    assert "&lt;script&gt;x&lt;/script&gt;<br>加快" in notifications.html_of(message)


def test_it_links_to_the_configured_site(everyone, make_problem, settings):
    settings.LIAISON_SITE_URL = "https://liaison.example.gov.cn/"
    problem = make_problem(Status.DISPATCHED)

    message = Notification.objects.filter(channel=EMAIL).first()
    assert f"https://liaison.example.gov.cn/problems/{problem.reference}/" in message.body


def test_it_uses_the_generic_texts_for_a_kind_without_its_own(everyone, make_problem, office):
    set_profile(office, language="en")
    problem = make_problem(Status.RESOLVED)
    event = ProblemEvent.objects.create(
        problem=problem, kind=EventKind.AUTO_CLOSED, created_at=NOW + dt.timedelta(days=10)
    )
    notifications.write_for_events([(event, [office])])

    message = Notification.objects.get(recipient=office, channel=EMAIL, kind="auto_closed")
    assert message.subject == f"[{problem.reference}] Closed without evaluation: {problem.title}"
    assert f"/problems/{problem.reference}/" in message.body


# --- the daily digest -------------------------------------------------------------------

# Thu 2025-10-16 is a working day; the National Day week before it is not.
DIGEST_DAY = at("2025-10-16 08:30")


@pytest.fixture
def escalated(everyone, make_problem, principal):
    """Three open problems dispatched 2025-09-26 (due 2025-10-16), escalated 0, 1 and 2."""
    problems = [make_problem(Status.DISPATCHED) for _ in range(3)]
    for level, problem in enumerate(problems):
        Problem.objects.filter(pk=problem.pk).update(escalation_level=level)
    Notification.objects.all().delete()
    return problems


def digest(user) -> Notification:
    return Notification.objects.get(recipient=user, channel=EMAIL, kind="digest")


def test_the_digest_gives_each_person_their_list_once_a_day(
    escalated, leader, principal, lead_head, office, lead_staff
):
    written = daily_digest.send_daily_digest(now=DIGEST_DAY)

    assert written == 6  # leader, principal, lead_head: in-app and e-mail
    refs = [p.reference for p in escalated]
    leader_text = digest(leader).body
    assert refs[0] not in leader_text and refs[1] in leader_text and refs[2] in leader_text
    principal_text = digest(principal).body
    assert refs[2] in principal_text and refs[1] not in principal_text
    head_text = digest(lead_head).body  # all three are due today
    assert all(ref in head_text for ref in refs)
    assert not Notification.objects.filter(recipient__in=[office, lead_staff]).exists()
    assert digest(leader).dedupe_key == "digest:2025-10-16"

    assert daily_digest.send_daily_digest(now=DIGEST_DAY + dt.timedelta(hours=2)) == 0


def test_the_digest_is_in_the_recipients_language(escalated, leader, principal):
    set_profile(leader, language="en")

    daily_digest.send_daily_digest(now=DIGEST_DAY)

    assert digest(leader).subject.startswith("Daily digest")
    assert "overdue" not in digest(leader).body  # due today, not yet overdue
    assert escalated[1].reference in digest(leader).body_html


def test_the_digest_lists_overdue_and_due_soon_but_not_later_problems(
    everyone, make_problem, lead_head
):
    set_profile(lead_head, language="en")
    due = {"overdue": "2025-10-15", "due_tomorrow": "2025-10-17", "later": "2025-10-20"}
    problems = {}
    for name, day in due.items():
        problems[name] = make_problem(Status.DISPATCHED)
        Problem.objects.filter(pk=problems[name].pk).update(due_at=at(f"{day} 23:59:59"))
    Notification.objects.all().delete()

    daily_digest.send_daily_digest(now=DIGEST_DAY)

    text = digest(lead_head).body
    assert problems["overdue"].reference in text
    assert problems["due_tomorrow"].reference in text
    assert problems["later"].reference not in text
    assert text.count("(overdue)") == 1


def test_the_digest_sends_nothing_on_a_day_off_or_with_nothing_to_say(escalated):
    assert daily_digest.send_daily_digest(now=at("2025-10-03 08:30")) == 0  # National Day
    assert daily_digest.send_daily_digest(now=at("2025-10-18 08:30")) == 0  # a Saturday
    Problem.objects.update(status=Status.IN_PROGRESS, escalation_level=0, due_at=at("2026-01-01"))
    assert daily_digest.send_daily_digest(now=DIGEST_DAY) == 0
    assert Notification.objects.count() == 0


def test_the_digest_runs_in_a_constant_number_of_queries(
    everyone, make_problem, warm_calendar, django_assert_num_queries
):
    problem = make_problem(Status.DISPATCHED)
    Problem.objects.filter(pk=problem.pk).update(escalation_level=2)
    problem.refresh_from_db()

    # 1. escalated problems, 2. due soon, 3. who gets a list, 4. their details, 5. INSERT
    with django_assert_num_queries(5):
        daily_digest.send_daily_digest(now=DIGEST_DAY)
    copy_problems(problem, 200)
    extra = make_user("leader2", Role.LEADER)
    some = Problem.objects.filter(reference__startswith="2024-").values_list("pk", flat=True)
    Problem.objects.filter(pk__in=list(some[:50])).update(responsible_leader=extra)
    Notification.objects.all().delete()
    with django_assert_num_queries(5):
        daily_digest.send_daily_digest(now=DIGEST_DAY)
    assert Notification.objects.filter(recipient=extra, kind="digest").exists()


def test_it_texts_only_the_leaders_an_escalation_goes_to(everyone, make_problem, leader, lead_head):
    set_profile(leader, phone="13800138000")
    set_profile(lead_head, phone="13900139000")
    problem = make_problem(Status.DISPATCHED)
    Notification.objects.all().delete()
    [event] = escalations(problem, 1)

    notifications.write_for_events([(event, [leader, lead_head])])

    assert set(Notification.objects.filter(channel=SMS).values_list("recipient", flat=True)) == {
        leader.pk
    }


def test_direct_messages_are_written_once_in_the_app_and_by_e_mail(leader, office):
    leader.email = "leader@example.gov.cn"
    leader.save(update_fields=["email"])
    message = outbox.DirectMessage(
        recipient_id=leader.pk,
        kind="milestone_overdue",
        dedupe_key="milestone:7:2026-03-31",
        subject="里程碑已逾期",
        text="招商引资：签约两个亿元以上项目",
        url="/tasks/7/",
    )
    other = outbox.DirectMessage(
        recipient_id=office.pk,
        kind="milestone_overdue",
        dedupe_key="milestone:7:2026-03-31",
        subject="里程碑已逾期",
        text="…",
        url="/tasks/7/",
    )

    assert outbox.write_direct([message, other]) == 3  # leader: app, e-mail; office: app
    assert outbox.write_direct([message, other]) == 0

    rows = Notification.objects.filter(kind="milestone_overdue", recipient=leader)
    assert sorted(rows.values_list("channel", flat=True)) == ["email", "in_app"]
    assert rows.get(channel="email").state == Notification.State.PENDING
