"""The service side in the admin (looking up, not changing), in the audit trail, and in a
person's data on request."""

from __future__ import annotations

import datetime as dt

import pytest
from auditlog.models import LogEntry
from django.contrib.auth import get_user_model
from django.urls import reverse

from liaison.personal_data import personal_data_anonymise, personal_data_export
from service import services
from service.models import CommissionerAssignment, Visit, VisitProblem

pytestmark = pytest.mark.django_db

TODAY = dt.date(2025, 9, 26)
MODELS = ("commissionerassignment", "visit", "visitproblem")


@pytest.fixture
def visit(commissioner, enterprise, leader):
    return services.visit_record(
        actor=commissioner,
        enterprise=enterprise,
        visited_on=TODAY,
        status=Visit.Status.DONE,
        purpose="了解用工需求",
        findings="企业联系人刘洋反映招工难。",
        officials=[commissioner],
        leader=leader,
    )


@pytest.fixture
def raised(visit, commissioner, category):
    return services.visit_raise_problem(
        actor=commissioner,
        visit=visit,
        expected_version=visit.version,
        title="招工难",
        description="缺少熟练挡车工。",
        category=category,
    )


@pytest.fixture
def admin_client(client):
    user = get_user_model().objects.create_superuser("root", "root@example.com", "x")
    client.force_login(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.mark.parametrize("model", MODELS)
def test_the_admin_lists_searches_filters_and_shows_each_model(
    admin_client, model, assigned, visit, raised
):
    changelist = reverse(f"admin:service_{model}_changelist")
    response = admin_client.get(changelist)
    assert response.status_code == 200
    assert response.context["cl"].result_count == 1
    searched = admin_client.get(changelist, {"q": "ZZZ-nothing"})
    assert searched.context["cl"].result_count == 0
    obj = {
        "commissionerassignment": assigned,
        "visit": visit,
        "visitproblem": VisitProblem.objects.get(),
    }[model]
    change = admin_client.get(reverse(f"admin:service_{model}_change", args=[obj.pk]))
    assert change.status_code == 200
    # For looking up: writes go through the service pages.
    assert admin_client.get(reverse(f"admin:service_{model}_add")).status_code == 403
    assert b'name="_save"' not in change.content


def test_the_admin_filters_visits_and_searches_their_findings(admin_client, visit):
    changelist = reverse("admin:service_visit_changelist")
    assert admin_client.get(changelist, {"q": "招工难"}).context["cl"].result_count == 1
    assert (
        admin_client.get(changelist, {"status__exact": "planned"}).context["cl"].result_count == 0
    )
    # A bad lookup is refused, not a 500 (liaison.admin.BoundedLookupsMixin).
    assert admin_client.get(changelist, {"visited_on__year": "x"}).status_code in (200, 302, 400)


@pytest.mark.parametrize("persona", ["office", "commissioner", "enterprise_user"])
def test_others_do_not_get_the_service_admin(client, request, persona, visit):
    client.force_login(request.getfixturevalue(persona))
    response = client.get(reverse("admin:service_visit_changelist"))
    assert response.status_code in (302, 403)


def test_assigning_and_ending_a_commissioner_is_in_the_audit_trail(
    office, enterprise, commissioner
):
    assignment = services.commissioner_assign(
        actor=office, enterprise=enterprise, commissioner=commissioner
    )
    services.commissioner_unassign(actor=office, enterprise=enterprise)
    created, ended = LogEntry.objects.get_for_object(assignment).order_by("pk")
    assert created.action == LogEntry.Action.CREATE
    assert ended.action == LogEntry.Action.UPDATE
    assert ended.changes_dict["active"] == ["True", "False"]
    assert not CommissionerAssignment.objects.filter(active=True).exists()


def test_a_visit_and_its_problems_are_in_the_audit_trail(visit, raised, commissioner):
    entries = list(LogEntry.objects.get_for_object(visit).order_by("pk"))
    assert entries[0].action == LogEntry.Action.CREATE
    assert entries[0].changes_dict["purpose"][1] == "了解用工需求"
    assert "version" not in entries[0].changes_dict
    assert "submission_key" not in entries[0].changes_dict
    officials = [e for e in entries if "officials" in e.changes_dict]
    assert officials and officials[0].changes_dict["officials"]["objects"] == [str(commissioner)]
    assert LogEntry.objects.get_for_object(VisitProblem.objects.get()).exists()


def test_a_persons_data_covers_the_visits_that_name_them(enterprise_user, visit):
    get_user_model().objects.filter(pk=enterprise_user.pk).update(first_name="洋", last_name="刘")
    enterprise_user.refresh_from_db()
    exported = personal_data_export(user=enterprise_user)
    assert [row["id"] for row in exported["mentions"]["service.Visit"]] == [visit.pk]

    personal_data_anonymise(user=enterprise_user)

    visit.refresh_from_db()
    assert "刘洋" not in visit.findings
    assert visit.purpose == "了解用工需求"  # what does not name them stays
