"""Call-backs (回访): the office records the evaluation for the enterprise, reviews an
unsatisfied one, and the figures say how each evaluation was obtained."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from issues import metrics, workflow
from issues.models import (
    NOTE_MAX_LENGTH,
    CallBack,
    EvaluationSource,
    EventKind,
    Problem,
    ProblemEvent,
    Satisfaction,
    Status,
)
from notifications.models import Notification
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, messages_of, snapshot

ANSWERED = NOW + dt.timedelta(hours=2)
CALLED = NOW + dt.timedelta(days=1)
LATER = NOW + dt.timedelta(days=1, hours=1)


@pytest.fixture(autouse=True)
def english():
    """The messages are checked in English (the site's default language is Chinese)."""
    with translation.override("en"):
        yield


def record(problem, office, **kwargs):
    kwargs.setdefault("outcome", CallBack.Outcome.REACHED)
    kwargs.setdefault("called_at", CALLED)
    kwargs.setdefault("now", LATER)
    return workflow.callback_record(problem_id=problem.pk, actor=office, **kwargs)


# --- recording the evaluation ------------------------------------------------------------


def test_satisfied_call_back_closes_the_problem_as_the_enterprises_evaluation(
    make_problem, office, enterprise_user
):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.SATISFIED, said="很满意")
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == Satisfaction.SATISFIED
    assert problem.evaluation_source == EvaluationSource.CALLBACK
    assert problem.autoclose_at is None
    assert callback.called_by == office and callback.called_at == CALLED
    assert callback.review == ""
    event = problem.events.get(kind=EventKind.EVALUATED_BY_CALLBACK)
    assert event.actor == office and event.is_public and event.text == "很满意"
    assert event.data == {"satisfaction": Satisfaction.SATISFIED}
    # The enterprise, which has users, is told.
    assert Notification.objects.filter(recipient=enterprise_user, event=event).exists()


def test_the_enterprises_own_evaluation_is_marked_as_such(make_problem):
    problem = make_problem(Status.CLOSED)
    assert problem.evaluation_source == EvaluationSource.ENTERPRISE


def test_auto_close_marks_no_evaluation(make_problem):
    problem = make_problem(Status.RESOLVED)
    workflow.problem_auto_close(problem_id=problem.pk, now=NOW + dt.timedelta(days=10))
    problem.refresh_from_db()
    assert problem.evaluation_source == EvaluationSource.NONE


def test_not_reached_changes_nothing_but_is_kept(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, outcome=CallBack.Outcome.NOT_REACHED, said="无人接听")
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED and problem.satisfaction == ""
    assert problem.autoclose_at is not None
    assert callback.satisfaction == "" and callback.said == "无人接听"
    assert not problem.events.filter(kind=EventKind.EVALUATED_BY_CALLBACK).exists()


def test_unsatisfied_call_back_waits_for_review_and_does_not_auto_close(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="仍未收运")
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    assert problem.satisfaction == Satisfaction.UNSATISFIED
    assert problem.evaluation_source == EvaluationSource.CALLBACK
    assert problem.autoclose_at is None
    assert callback.review == CallBack.Review.PENDING


def test_review_reopens_with_a_new_clock(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="仍未收运")
    problem.refresh_from_db()
    workflow.callback_review(
        callback_id=callback.pk,
        actor=office,
        decision=workflow.REVIEW_REOPEN,
        reason="请再次核实收运情况",
        expected_version=problem.version,
        now=LATER,
    )
    problem.refresh_from_db()
    callback.refresh_from_db()
    assert problem.status == Status.IN_PROGRESS and problem.reopen_count == 1
    assert problem.clock_started_at == LATER
    assert callback.review == CallBack.Review.REOPENED
    assert callback.reviewed_by == office and callback.review_reason == "请再次核实收运情况"
    assert problem.events.filter(kind=EventKind.REOPENED, is_public=True).exists()


def test_review_closes_with_an_internal_reason(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="要求补贴")
    workflow.callback_review(
        callback_id=callback.pk,
        actor=office,
        decision=workflow.REVIEW_CLOSE,
        reason="诉求超出政策范围，已解释",
        now=LATER,
    )
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.satisfaction == Satisfaction.UNSATISFIED
    event = problem.events.get(kind=EventKind.CALLBACK_CLOSED)
    assert not event.is_public and event.text == "诉求超出政策范围，已解释"


def test_a_review_applies_once(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    kwargs = dict(callback_id=callback.pk, actor=office, reason="重办", now=LATER)
    workflow.callback_review(decision=workflow.REVIEW_REOPEN, **kwargs)
    before = snapshot(Problem.objects.get(pk=problem.pk))
    with pytest.raises(workflow.TransitionError, match="already reviewed"):
        workflow.callback_review(decision=workflow.REVIEW_CLOSE, **kwargs)
    assert snapshot(Problem.objects.get(pk=problem.pk)) == before


# --- bad input ---------------------------------------------------------------------------


def refused(problem, office, match, **kwargs):
    before = snapshot(Problem.objects.get(pk=problem.pk))
    callbacks = CallBack.objects.count()
    events = ProblemEvent.objects.count()
    with pytest.raises(workflow.TransitionError, match=match):
        record(problem, office, **kwargs)
    assert snapshot(Problem.objects.get(pk=problem.pk)) == before
    assert CallBack.objects.count() == callbacks
    assert ProblemEvent.objects.count() == events


def test_a_problem_already_evaluated_is_refused(make_problem, office):
    problem = make_problem(Status.CLOSED)
    refused(problem, office, "already evaluated", satisfaction=Satisfaction.UNSATISFIED, said="x")


def test_a_second_evaluation_by_call_back_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    refused(problem, office, "already evaluated", satisfaction=Satisfaction.SATISFIED)


def test_a_check_on_an_evaluated_problem_keeps_its_evaluation(make_problem, office):
    problem = make_problem(Status.CLOSED)
    callback = record(
        problem, office, satisfaction=Satisfaction.BASICALLY, said="总体还行", check=True
    )
    problem.refresh_from_db()
    assert callback.is_check and callback.satisfaction == Satisfaction.BASICALLY
    assert problem.satisfaction == Satisfaction.SATISFIED
    assert problem.evaluation_source == EvaluationSource.ENTERPRISE
    assert callback.review == ""


def test_a_check_on_an_unevaluated_problem_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(problem, office, "not been evaluated", satisfaction=Satisfaction.SATISFIED, check=True)


def test_a_stale_page_or_second_click_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    version = problem.version
    record(problem, office, satisfaction=Satisfaction.SATISFIED, expected_version=version)
    with pytest.raises(workflow.StaleProblem):
        record(problem, office, satisfaction=Satisfaction.SATISFIED, expected_version=version)
    assert CallBack.objects.count() == 1


def test_a_call_in_the_future_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(
        problem,
        office,
        "future",
        satisfaction=Satisfaction.SATISFIED,
        called_at=LATER + dt.timedelta(hours=1),
    )


def test_a_call_before_the_answer_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(
        problem,
        office,
        "before the problem was answered",
        satisfaction=Satisfaction.SATISFIED,
        called_at=ANSWERED - dt.timedelta(minutes=1),
    )


def test_a_call_in_the_minute_of_the_answer_counts_as_made_after_it(make_problem, office):
    """The form gives minutes: the office that rings at once is not refused."""
    problem = make_problem(Status.RESOLVED, now=NOW + dt.timedelta(seconds=25))
    answered = ANSWERED + dt.timedelta(seconds=25)
    callback = record(
        problem,
        office,
        satisfaction=Satisfaction.UNSATISFIED,
        said="仍未解决",
        called_at=ANSWERED,
        now=answered + dt.timedelta(seconds=15),
    )
    assert callback.called_at == answered


def test_too_long_a_text_is_refused(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(
        problem,
        office,
        "at most",
        satisfaction=Satisfaction.SATISFIED,
        said="长" * (NOTE_MAX_LENGTH + 1),
    )


def test_unsatisfied_needs_what_was_said(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(problem, office, "not satisfied with", satisfaction=Satisfaction.UNSATISFIED)


def test_a_satisfaction_is_required_when_reached(make_problem, office):
    problem = make_problem(Status.RESOLVED)
    refused(problem, office, "Choose", satisfaction="")


def test_an_open_problem_gets_no_call_back(make_problem, office):
    problem = make_problem(Status.IN_PROGRESS)
    refused(problem, office, "Only answered problems", satisfaction=Satisfaction.SATISFIED)


def test_only_the_office_records_call_backs(make_problem, lead_head, leader, enterprise_user):
    problem = make_problem(Status.RESOLVED)
    for user in (lead_head, leader, enterprise_user):
        refused(problem, user, "Only the liaison office", satisfaction=Satisfaction.SATISFIED)


# --- figures -----------------------------------------------------------------------------


def test_figures_count_evaluations_by_source(make_problem, office):
    by_enterprise = make_problem(Status.CLOSED)
    by_callback = make_problem(Status.RESOLVED)
    record(by_callback, office, satisfaction=Satisfaction.BASICALLY)
    unsatisfied = make_problem(Status.RESOLVED)
    record(unsatisfied, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    auto = make_problem(Status.RESOLVED)
    workflow.problem_auto_close(problem_id=auto.pk, now=NOW + dt.timedelta(days=10))
    figures = metrics.summarise(Problem.objects.all())
    assert figures["evaluated"] == 3
    assert figures["satisfied"] == 2
    assert figures["evaluated_by_callback"] == 2
    assert Problem.objects.filter(metrics.SATISFIED & metrics.BY_CALLBACK).count() == 1
    assert by_enterprise.pk  # counted in evaluated, not by call-back


# --- pages -------------------------------------------------------------------------------


@pytest.fixture
def queue(make_problem, office):
    """Two problems to call, one waiting for review, one done by call-back."""
    to_call = [make_problem(Status.RESOLVED, title=f"待回访 {i}") for i in range(2)]
    review = make_problem(Status.RESOLVED, title="待复核")
    record(review, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    done = make_problem(Status.RESOLVED, title="已回访")
    record(done, office, satisfaction=Satisfaction.SATISFIED)
    return {"to_call": to_call, "review": review, "done": done}


def test_queue_tabs_hold_what_they_say(client_as, office, queue):
    client = client_as(office)
    page = client.get(reverse("issues:callbacks"))
    assert page.status_code == 200
    text = page.content.decode()
    assert "待回访 0" in text and "待回访 1" in text
    assert "待复核" not in text and "已回访" not in text
    review = client.get(reverse("issues:callbacks"), {"tab": "review"}).content.decode()
    assert "待复核" in review and "待回访 0" not in review
    done = client.get(reverse("issues:callbacks"), {"tab": "done"}).content.decode()
    assert "已回访" in done and "待回访 0" not in done


def test_the_queue_samples_evaluated_problems_deterministically(make_problem, client_as, office):
    evaluated = [make_problem(Status.CLOSED) for _ in range(10)]
    sampled = [p for p in evaluated if p.pk % 10 == 0]
    text = client_as(office).get(reverse("issues:callbacks"), {"tab": "sample"}).content.decode()
    for problem in evaluated:
        assert (problem.reference in text) == (problem in sampled)


@pytest.mark.parametrize(
    "persona",
    ["leader", "principal", "lead_head", "lead_staff", "enterprise_user", "no_profile_user"],
)
def test_other_roles_get_404(client_as, request, persona, queue):
    client = client_as(request.getfixturevalue(persona))
    assert client.get(reverse("issues:callbacks")).status_code == 404
    problem = queue["to_call"][0]
    url = reverse("issues:callback", args=[problem.reference])
    assert client.get(url).status_code == 404
    assert client.post(url, {"outcome": "reached", "satisfaction": "satisfied"}).status_code == 404
    assert CallBack.objects.filter(problem=problem).count() == 0


def test_the_enterprise_does_not_see_the_review_reason(
    client_as, office, enterprise_user, leader, queue
):
    callback = CallBack.objects.get(problem=queue["review"])
    workflow.callback_review(
        callback_id=callback.pk, actor=office, decision=workflow.REVIEW_CLOSE, reason="内部理由XYZ"
    )
    url = reverse("issues:detail", args=[queue["review"].reference])
    assert "内部理由XYZ" not in client_as(enterprise_user).get(url).content.decode()
    assert "内部理由XYZ" in client_as(office).get(url).content.decode()
    assert "内部理由XYZ" in client_as(leader).get(url).content.decode()


def test_the_office_records_a_call_back_through_its_form(client_as, office, queue):
    problem = queue["to_call"][0]
    url = reverse("issues:callback", args=[problem.reference])
    client = client_as(office)
    form = client.get(url)
    assert form.status_code == 200
    data = {
        "outcome": "reached",
        "satisfaction": "satisfied",
        "said": "满意",
        "called_at": "2025-09-27 09:00",
        "version": problem.version,
    }
    response = client.post(url, data)
    assert response.status_code == 302
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.evaluation_source == EvaluationSource.CALLBACK
    # The same form again (double click, stale page): a message, nothing changes.
    again = client.post(url, data, follow=True, HTTP_ACCEPT_LANGUAGE="en")
    assert CallBack.objects.filter(problem=problem).count() == 1
    assert "changed by someone else" in again.content.decode() or "already" in (
        again.content.decode()
    )


def test_a_future_call_date_is_refused_by_the_form(client_as, office, queue):
    problem = queue["to_call"][0]
    url = reverse("issues:callback", args=[problem.reference])
    response = client_as(office).post(
        url,
        HTTP_ACCEPT_LANGUAGE="en",
        data={
            "outcome": "reached",
            "satisfaction": "satisfied",
            "called_at": "2099-01-01 09:00",
            "version": problem.version,
        },
    )
    assert response.status_code == 200
    assert "future" in response.content.decode()
    assert not CallBack.objects.filter(problem=problem).exists()


def test_queue_page_query_count_is_pinned(
    client_as, office, queue, make_problem, warm_calendar, django_assert_num_queries
):
    client = client_as(office)
    client.get(reverse("issues:callbacks"))
    for _ in range(3):
        make_problem(Status.RESOLVED)
    # Session, user, profile; the two tab counts; the page's count and its rows (with
    # their enterprise and department): the same whatever the number of problems.
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        client.get(reverse("issues:callbacks"))


def test_the_dashboard_says_how_many_evaluations_came_by_call_back(make_problem, client_as, office):
    from dashboard.summary import dashboard_refresh

    make_problem(Status.CLOSED)
    by_callback = make_problem(Status.RESOLVED)
    record(by_callback, office, satisfaction=Satisfaction.SATISFIED)
    dashboard_refresh(full=True)
    page = client_as(office).get(reverse("dashboard"), {"year": "2025"}, HTTP_ACCEPT_LANGUAGE="en")
    assert page.status_code == 200
    assert "Of 2 evaluations, 1 by call-back" in page.content.decode()


def test_opening_a_call_back_page_is_in_the_audit_trail(client_as, office, queue):
    from audit.models import AccessEvent, Action

    problem = queue["to_call"][0]
    client_as(office).get(reverse("issues:callback", args=[problem.reference]))
    event = AccessEvent.objects.get(action=Action.VIEWED_PROBLEM)
    assert event.actor == office and event.object_id == str(problem.pk)
    assert event.detail == "call-back"


def test_the_enterprise_cannot_evaluate_while_the_office_reviews(
    make_problem, office, enterprise_user, client_as
):
    problem = make_problem(Status.RESOLVED)
    url = reverse("issues:detail", args=[problem.reference])
    form = f'action="/problems/{problem.reference}/evaluate/"'
    assert form in client_as(enterprise_user).get(url).content.decode()
    record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    before = snapshot(Problem.objects.get(pk=problem.pk))
    for satisfaction in (Satisfaction.SATISFIED, Satisfaction.UNSATISFIED):
        with pytest.raises(workflow.WrongState, match="reviewing"):
            workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=enterprise_user,
                satisfaction=satisfaction,
                reason="再次评价",
            )
    assert snapshot(Problem.objects.get(pk=problem.pk)) == before
    assert form not in client_as(enterprise_user).get(url).content.decode()


def test_after_a_reopen_and_a_new_answer_the_enterprise_evaluates_again(
    make_problem, office, enterprise_user, lead_staff
):
    problem = make_problem(Status.RESOLVED)
    callback = record(problem, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    workflow.callback_review(
        callback_id=callback.pk, actor=office, decision=workflow.REVIEW_REOPEN, reason="重办"
    )
    workflow.problem_resolve(problem_id=problem.pk, actor=lead_staff, answer="已再次落实。")
    workflow.problem_evaluate(
        problem_id=problem.pk, actor=enterprise_user, satisfaction=Satisfaction.SATISFIED
    )
    problem.refresh_from_db()
    assert problem.status == Status.CLOSED
    assert problem.evaluation_source == EvaluationSource.ENTERPRISE


def test_recomputing_the_deadlines_does_not_restart_the_auto_close_of_a_review(
    make_problem, office
):
    from issues.recompute import deadlines_recompute

    waiting = make_problem(Status.RESOLVED)
    record(waiting, office, satisfaction=Satisfaction.UNSATISFIED, said="不满意")
    answered = make_problem(Status.RESOLVED)
    deadlines_recompute(LATER, everything=True)
    assert Problem.objects.get(pk=waiting.pk).autoclose_at is None
    assert Problem.objects.get(pk=answered.pk).autoclose_at is not None


def test_a_call_back_on_a_problem_evaluated_meanwhile_gets_a_message_and_changes_nothing(
    client_as, office, enterprise_user, queue
):
    """The office opened the form while the problem awaited evaluation; the enterprise
    evaluated it before the office sent the form: refused, with a message."""
    problem = queue["to_call"][0]
    url = reverse("issues:callback", args=[problem.reference])
    client = client_as(office)
    version = client.get(url).context["form"].initial["version"]
    workflow.problem_evaluate(
        problem_id=problem.pk, actor=enterprise_user, satisfaction=Satisfaction.SATISFIED
    )
    problem.refresh_from_db()
    before = snapshot(problem)
    response = client.post(
        url,
        {
            "outcome": "reached",
            "satisfaction": "unsatisfied",
            "said": "不满意",
            "called_at": timezone.localtime().strftime("%Y-%m-%d %H:%M"),
            "version": version,
        },
        follow=True,
    )
    assert [kind for kind, _ in messages_of(response)] == ["error"]
    assert snapshot(Problem.objects.get(pk=problem.pk)) == before
    assert not CallBack.objects.filter(problem=problem).exists()
    assert problem.evaluation_source == EvaluationSource.ENTERPRISE
