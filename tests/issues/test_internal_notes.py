"""Officials' notes on public events stay internal: never shown or sent to enterprises."""

from django.urls import reverse

from issues import workflow
from issues.models import ExtensionRequest, Status
from notifications.models import Notification


def page(client_as, user, problem):
    return client_as(user).get(reverse("issues:detail", args=[problem.reference]))


def test_it_keeps_the_dispatch_note_from_the_enterprise(
    client_as, make_problem, office, lead_department, enterprise_user, lead_head
):
    problem = make_problem(Status.SUBMITTED)
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=lead_department,
        note="INTERNAL-NOTE 该企业情况特殊",
    )

    assert "INTERNAL-NOTE" not in page(client_as, enterprise_user, problem).content.decode()
    assert "INTERNAL-NOTE" in page(client_as, lead_head, problem).content.decode()
    for message in Notification.objects.filter(problem=problem):
        if message.recipient_id == enterprise_user.pk:
            assert "INTERNAL-NOTE" not in message.body + message.subject


def test_it_keeps_the_extension_decision_note_from_the_enterprise(
    client_as, make_problem, office, lead_head, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)
    request = workflow.problem_request_extension(
        problem_id=problem.pk, actor=lead_head, days=3, reason="需协调"
    )
    workflow.problem_decide_extension(
        extension_id=request.pk, actor=office, approve=True, note="LEADER-NOTE 下不为例"
    )

    assert ExtensionRequest.objects.get(pk=request.pk).decision == "approved"
    assert "LEADER-NOTE" not in page(client_as, enterprise_user, problem).content.decode()
    assert "LEADER-NOTE" in page(client_as, lead_head, problem).content.decode()
