"""Appeal types (诉求类型): suggested at submission, chosen at dispatch, changed later by the
office; shown on the problem page, filtered on the lists (issue 17, item 2)."""

from __future__ import annotations

import re
import uuid

import pytest
from django.urls import reverse
from django.utils import translation

from issues import forms, workflow
from issues.filters import ProblemFilter
from issues.models import (
    DEFAULT_APPEAL_TYPE,
    AppealType,
    EventKind,
    Problem,
    ProblemEvent,
    Status,
)
from issues.selectors import visible_to

from .conftest import NOW, messages_of, snapshot

pytestmark = pytest.mark.django_db

UNKNOWN_EN = (
    "Unknown appeal type: choose consultation, request for a solution, suggestion or complaint."
)


def detail_url(problem: Problem) -> str:
    return reverse("issues:detail", args=[problem.reference])


def submit(enterprise_user, category, **kwargs) -> Problem:
    return workflow.problem_submit(
        actor=enterprise_user,
        enterprise=enterprise_user.profile.enterprise,
        title="稳岗返还资金如何查询",
        description="去年按时足额缴纳社保，想了解稳岗返还的办理进度。",
        category=category,
        now=NOW,
        **kwargs,
    )


# --- the workflow ----------------------------------------------------------------------


def test_a_problem_without_a_suggestion_is_a_request(enterprise_user, category):
    problem = submit(enterprise_user, category)

    assert (problem.appeal_type, problem.suggested_appeal_type) == (DEFAULT_APPEAL_TYPE, "")
    assert DEFAULT_APPEAL_TYPE == AppealType.REQUEST


def test_the_enterprises_suggestion_is_kept_and_used_until_dispatch(enterprise_user, category):
    problem = submit(enterprise_user, category, appeal_type=AppealType.CONSULTATION)

    assert problem.appeal_type == AppealType.CONSULTATION
    assert problem.suggested_appeal_type == AppealType.CONSULTATION


def test_the_office_chooses_the_type_at_dispatch(enterprise_user, category, office, lead_staff):
    problem = submit(enterprise_user, category, appeal_type=AppealType.CONSULTATION)

    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_staff.profile.department,
        appeal_type=AppealType.COMPLAINT,
        now=NOW,
    )

    problem.refresh_from_db()
    assert problem.appeal_type == AppealType.COMPLAINT
    assert problem.suggested_appeal_type == AppealType.CONSULTATION  # what it said stays
    dispatched = problem.events.get(kind=EventKind.DISPATCHED)
    assert dispatched.data["appeal_type"] == AppealType.COMPLAINT


def test_a_dispatch_without_a_type_keeps_the_suggestion(
    enterprise_user, category, office, lead_staff
):
    problem = submit(enterprise_user, category, appeal_type=AppealType.SUGGESTION)

    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_staff.profile.department,
        now=NOW,
    )

    assert Problem.objects.get(pk=problem.pk).appeal_type == AppealType.SUGGESTION


def test_the_office_changes_the_type_later_with_an_internal_event(make_problem, office):
    problem = make_problem(Status.IN_PROGRESS)

    changed = workflow.problem_set_appeal_type(
        problem_id=problem.pk,
        actor=office,
        appeal_type=AppealType.COMPLAINT,
        note="企业此前已多次反映",
        expected_version=problem.version,
    )

    assert changed.appeal_type == AppealType.COMPLAINT
    assert changed.status == Status.IN_PROGRESS
    assert changed.version == problem.version + 1
    event = problem.events.get(kind=EventKind.APPEAL_TYPE_CHANGED)
    assert not event.is_public
    assert event.actor == office
    assert event.text == "企业此前已多次反映"
    assert event.data == {"from": AppealType.REQUEST, "to": AppealType.COMPLAINT}


def test_the_same_type_again_records_nothing(make_problem, office):
    problem = make_problem(Status.CLOSED)
    before = snapshot(problem)

    workflow.problem_set_appeal_type(
        problem_id=problem.pk, actor=office, appeal_type=problem.appeal_type
    )

    assert snapshot(problem) == before


@pytest.mark.parametrize(
    "who, state, value, message",
    [
        ("office", Status.IN_PROGRESS, "praise", UNKNOWN_EN),
        ("office", Status.IN_PROGRESS, "", UNKNOWN_EN),
        ("lead_head", Status.IN_PROGRESS, AppealType.COMPLAINT, "Only the liaison office"),
        ("leader", Status.CLOSED, AppealType.COMPLAINT, "Only the liaison office"),
        ("enterprise_user", Status.RESOLVED, AppealType.COMPLAINT, "Only the liaison office"),
        ("office", Status.SUBMITTED, AppealType.COMPLAINT, "when dispatching"),
    ],
)
def test_a_wrong_change_is_refused_and_changes_nothing(
    request, make_problem, who, state, value, message
):
    problem = make_problem(state)
    before = snapshot(problem)

    with translation.override("en"):
        with pytest.raises(workflow.TransitionError) as refused:
            workflow.problem_set_appeal_type(
                problem_id=problem.pk, actor=request.getfixturevalue(who), appeal_type=value
            )
        assert message in str(refused.value.message)
    assert snapshot(problem) == before


def test_a_change_from_a_stale_page_is_refused(make_problem, office):
    problem = make_problem(Status.IN_PROGRESS)
    stale = problem.version - 1

    with pytest.raises(workflow.StaleProblem):
        workflow.problem_set_appeal_type(
            problem_id=problem.pk,
            actor=office,
            appeal_type=AppealType.SUGGESTION,
            expected_version=stale,
        )
    assert Problem.objects.get(pk=problem.pk).appeal_type == DEFAULT_APPEAL_TYPE


def test_an_unknown_type_is_refused_at_submission_and_dispatch(
    enterprise_user, category, office, lead_staff
):
    with pytest.raises(workflow.NotAllowed):
        submit(enterprise_user, category, appeal_type="praise")
    assert not Problem.objects.exists()
    problem = submit(enterprise_user, category)
    with pytest.raises(workflow.NotAllowed):
        workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=lead_staff.profile.department,
            appeal_type="praise",
        )
    assert Problem.objects.get(pk=problem.pk).status == Status.SUBMITTED


# --- forms -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "language, message",
    [("en", UNKNOWN_EN), ("zh-hans", "未知的诉求类型：请选择咨询、求决、建议或投诉。")],
)
def test_a_form_refuses_an_unknown_type_in_the_users_language(language, message):
    with translation.override(language):
        form = forms.AppealTypeForm({"appeal_type": "praise", "version": "3"})
        assert not form.is_valid()
        assert form.errors["appeal_type"] == [message]


def test_the_submit_form_leaves_the_type_optional(category):
    form = forms.ProblemSubmitForm(
        {
            "submission_key": str(uuid.uuid4()),
            "title": "用电增容",
            "category": category.pk,
            "description": "新上生产线需要增容。",
        }
    )
    assert form.is_valid(), form.errors
    assert form.cleaned_data["appeal_type"] == ""


# --- pages -----------------------------------------------------------------------------


def test_an_enterprise_suggests_the_type_on_the_submit_form(client_as, enterprise_user, category):
    client = client_as(enterprise_user)
    page = client.get(reverse("issues:submit")).content.decode()
    assert 'name="appeal_type"' in page
    assert 'type="radio"' in page

    response = client.post(
        reverse("issues:submit"),
        {
            "submission_key": str(uuid.uuid4()),
            "title": "小升规奖励如何申请",
            "category": category.pk,
            "description": "今年产值预计过两千万，想了解奖励申报条件。",
            "appeal_type": "consultation",
        },
        follow=True,
    )

    problem = Problem.objects.get()
    assert problem.suggested_appeal_type == AppealType.CONSULTATION
    assert response.context["problem"].get_appeal_type_display() == "Consultation"


def test_a_submit_form_with_an_unknown_type_creates_nothing(client_as, enterprise_user, category):
    response = client_as(enterprise_user).post(
        reverse("issues:submit"),
        {
            "submission_key": str(uuid.uuid4()),
            "title": "小升规奖励如何申请",
            "category": category.pk,
            "description": "想了解奖励申报条件。",
            "appeal_type": "praise",
        },
    )

    assert response.status_code == 200
    assert UNKNOWN_EN in response.content.decode()
    assert not Problem.objects.exists()


def test_the_dispatch_form_is_prefilled_with_the_suggestion(
    client_as, office, enterprise_user, category
):
    problem = submit(enterprise_user, category, appeal_type=AppealType.SUGGESTION)

    response = client_as(office).get(detail_url(problem))

    form = response.context["actions"]["dispatch"]
    assert form["appeal_type"].value() == AppealType.SUGGESTION
    checked = re.findall(
        r'<input[^>]*name="appeal_type"[^>]*checked[^>]*>', response.content.decode()
    )
    assert len(checked) == 1 and 'value="suggestion"' in checked[0]


def test_the_office_dispatches_with_a_type_and_changes_it_later(
    client_as, office, enterprise_user, lead_staff, category
):
    problem = submit(enterprise_user, category, appeal_type=AppealType.CONSULTATION)
    client = client_as(office)

    client.post(
        reverse("issues:dispatch", args=[problem.reference]),
        {
            "version": problem.version,
            "lead_department": lead_staff.profile.department.pk,
            "appeal_type": "request",
        },
    )
    problem.refresh_from_db()
    assert (problem.status, problem.appeal_type) == (Status.DISPATCHED, AppealType.REQUEST)

    response = client.post(
        reverse("issues:appeal_type", args=[problem.reference]),
        {"version": problem.version, "appeal_type": "complaint", "note": "多次反映未果"},
        follow=True,
    )

    assert ("success", "The appeal type was saved.") in messages_of(response)
    problem.refresh_from_db()
    assert problem.appeal_type == AppealType.COMPLAINT
    html = response.content.decode()
    assert "Appeal type changed" in html
    assert "From “Request for a solution” to “Complaint”" in html
    assert "(suggested: Consultation)" in html


def test_the_enterprise_sees_the_type_but_not_the_change(
    client_as, make_problem, office, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)
    workflow.problem_set_appeal_type(
        problem_id=problem.pk, actor=office, appeal_type=AppealType.COMPLAINT, note="内部原因"
    )

    response = client_as(enterprise_user).get(detail_url(problem))

    html = response.content.decode()
    assert 'id="problem-appeal-type"' in html and "Complaint" in html
    assert "Appeal type changed" not in html
    assert "内部原因" not in html
    assert "appeal_type" not in response.context["actions"]


def test_a_refused_change_shows_the_form_again_and_changes_nothing(client_as, make_problem, office):
    problem = make_problem(Status.IN_PROGRESS)

    response = client_as(office).post(
        reverse("issues:appeal_type", args=[problem.reference]),
        {"version": problem.version, "appeal_type": "praise"},
    )

    assert response.status_code == 200
    assert UNKNOWN_EN in response.content.decode()
    assert Problem.objects.get(pk=problem.pk).appeal_type == DEFAULT_APPEAL_TYPE
    assert not ProblemEvent.objects.filter(kind=EventKind.APPEAL_TYPE_CHANGED).exists()


def test_others_cannot_post_a_change(client_as, make_problem, lead_head, other_enterprise_user):
    problem = make_problem(Status.IN_PROGRESS)
    url = reverse("issues:appeal_type", args=[problem.reference])
    data = {"version": problem.version, "appeal_type": "complaint"}

    client_as(lead_head).post(url, data)
    # Another enterprise may not even see the problem: 404, never a hint it exists.
    assert client_as(other_enterprise_user).post(url, data).status_code == 404
    assert Problem.objects.get(pk=problem.pk).appeal_type == DEFAULT_APPEAL_TYPE


# --- lists -----------------------------------------------------------------------------


def test_the_list_filters_by_appeal_type(make_problem, office, client_as):
    request_problem = make_problem(Status.IN_PROGRESS)
    complaint = make_problem(Status.IN_PROGRESS)
    consultation = make_problem(Status.CLOSED)
    Problem.objects.filter(pk=complaint.pk).update(appeal_type=AppealType.COMPLAINT)
    Problem.objects.filter(pk=consultation.pk).update(appeal_type=AppealType.CONSULTATION)

    def filtered(*types) -> set[str]:
        chosen = ProblemFilter({"appeal_type": list(types)}, queryset=visible_to(office))
        assert chosen.is_valid(), chosen.errors
        return set(chosen.qs.values_list("reference", flat=True))

    assert filtered("complaint") == {complaint.reference}
    assert filtered("complaint", "consultation") == {complaint.reference, consultation.reference}
    assert filtered("request") == {request_problem.reference}
    assert filtered() == {p.reference for p in (request_problem, complaint, consultation)}
    bad = ProblemFilter({"appeal_type": ["praise"]}, queryset=visible_to(office))
    assert not bad.is_valid()

    response = client_as(office).get(reverse("issues:list"), {"appeal_type": "complaint"})
    assert [p.reference for p in response.context["page"].object_list] == [complaint.reference]
    assert ("Appeal type", "Complaint") in response.context["active_filters"]


def test_the_filter_never_widens_what_a_department_sees(make_problem, other_staff, office):
    make_problem(Status.IN_PROGRESS)  # lead_department's, not other_department's
    chosen = ProblemFilter({"appeal_type": ["request"]}, queryset=visible_to(other_staff))

    assert chosen.is_valid()
    assert not chosen.qs.exists()
