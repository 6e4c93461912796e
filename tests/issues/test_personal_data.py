"""A person's data on request: the admin exports everything held about them, and
anonymises them with every record kept, so that the dashboard counts the same."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import authenticate, get_user_model
from django.test import RequestFactory
from django.urls import reverse

from dashboard import figures as dashboard
from dashboard.filters import DashboardFilter
from dashboard.summary import dashboard_refresh
from issues import workflow
from issues.models import Problem, ProblemEvent, Status
from liaison.models import Enterprise
from liaison.personal_data import personal_data_anonymise, personal_data_export
from notifications.models import Notification

from .conftest import NOW

User = get_user_model()

NAME = ("洋", "刘")  # first_name, last_name: 刘洋
PHONE = "13900000001"
EMAIL = "liuyang@hefeng.example"
USERNAME = "liuyang-hf"
LATER = NOW + dt.timedelta(days=30)


@pytest.fixture
def person(enterprise_user, enterprise):
    """The enterprise's user, who is also its listed contact."""
    User.objects.filter(pk=enterprise_user.pk).update(
        username=USERNAME, first_name=NAME[0], last_name=NAME[1], email=EMAIL
    )
    enterprise_user.profile.phone = PHONE
    enterprise_user.profile.title = "行政主管"
    enterprise_user.profile.save(update_fields=["phone", "title"])
    Enterprise.objects.filter(pk=enterprise.pk).update(
        contact_person="刘洋", contact_phone=PHONE, email=EMAIL
    )
    return User.objects.get(pk=enterprise_user.pk)


@pytest.fixture
def history(person, make_problem, lead_head, lead_staff, office):
    """Problems in every state, one of them naming the person in its text, with a handler."""
    problems = [make_problem(state, submitter=person) for state in Status.values if state]
    named = workflow.problem_submit(
        actor=person,
        enterprise=person.profile.enterprise,
        title="请刘洋对接漆渣处置",
        description=f"联系人刘洋，电话 {PHONE}，邮箱 {EMAIL}。",
        category=problems[0].category,
        now=NOW,
    )
    workflow.problem_dispatch(
        problem_id=named.pk, actor=office, lead_department=lead_staff.profile.department, now=NOW
    )
    workflow.problem_assign_handler(problem_id=named.pk, actor=lead_head, handler=lead_staff)
    return problems + [named]


def figures() -> dict:
    """Every figure of the dashboard for 2025, counted live and from the summary."""
    dashboard_refresh(full=True, now=LATER)
    chosen = DashboardFilter({"year": "2025"}, queryset=Problem.objects.all())
    assert chosen.is_valid(), chosen.form.errors
    common = {"period": chosen.period(), "list_params": chosen.list_params(), "now": LATER}
    result = {}
    for name, board in (
        ("live", dashboard.dashboard(chosen.qs, **common)),
        ("summary", dashboard.dashboard(chosen.qs, summary=chosen.summary_lookups(), **common)),
    ):
        result[name] = {
            "headline": (board.headline.counts, board.headline.handling),
            **{
                group: [(f.key, f.counts, f.handling) for f in getattr(board, group)]
                for group in ("departments", "categories", "towns", "meetings", "months")
            },
            "escalated": [(n.problem.pk, n.overdue_working_days) for n in board.escalated],
        }
    return result


def text_of(data) -> str:
    return json.dumps(data, ensure_ascii=False, default=str)


def test_the_export_holds_everything_about_the_person(person, history):
    data = personal_data_export(user=person)

    assert data["account"]["username"] == USERNAME
    assert data["account"]["email"] == EMAIL
    assert data["profile"]["phone"] == PHONE
    assert data["profile"]["enterprise"]["name"] == person.profile.enterprise.name
    assert data["enterprise_contact"]["contact_person"] == "刘洋"
    submitted = data["records"]["issues.Problem.submitted_by"]
    assert {row["id"] for row in submitted} == {p.pk for p in history}
    assert any(PHONE in row["description"] for row in submitted)
    assert data["records"]["issues.ProblemEvent.actor"]
    assert {row["id"] for row in data["records"]["notifications.Notification.recipient"]} == set(
        Notification.objects.filter(recipient=person).values_list("pk", flat=True)
    )
    json.dumps(data, default=str)  # JSON-ready


def test_anonymising_keeps_every_figure_and_leaves_no_trace(person, history, lead_staff):
    before = figures()
    statuses = dict(Problem.objects.values_list("pk", "status"))
    events = ProblemEvent.objects.count()

    personal_data_anonymise(user=person)

    assert figures() == before
    assert dict(Problem.objects.values_list("pk", "status")) == statuses
    assert ProblemEvent.objects.count() == events
    person.refresh_from_db()
    assert person.username == f"anon-{person.pk}"
    assert (person.first_name, person.last_name, person.email) == ("", "", "")
    assert not person.is_active and not person.has_usable_password()
    assert (person.profile.phone, person.profile.title) == ("", "")
    enterprise = Enterprise.objects.get(pk=person.profile.enterprise_id)
    assert (enterprise.contact_person, enterprise.contact_phone, enterprise.email) == ("", "", "")
    # No trace in anything held about them: the export of their rows holds none.
    after = text_of(personal_data_export(user=person))
    for trace in ("刘洋", PHONE, "139 0000 0001", EMAIL, USERNAME):
        assert trace not in after
    named = Problem.objects.get(pk=history[-1].pk)
    assert named.title == f"请anon-{person.pk}对接漆渣处置"
    assert PHONE not in named.description and "刘洋" not in named.description


def test_the_anonymised_person_cannot_sign_in(client, person, history):
    def signs_in(username: str) -> bool:
        # authenticate() with a request, as the login form calls it (django-axes needs it)
        request = RequestFactory().post(reverse("login"))
        return (
            authenticate(request, username=username, password="Liaison-test-password-7") is not None
        )

    person.set_password("Liaison-test-password-7")
    person.save(update_fields=["password"])
    assert signs_in(USERNAME)
    client.force_login(person)
    personal_data_anonymise(user=person)

    assert not signs_in(USERNAME)
    assert not signs_in(f"anon-{person.pk}")
    # A session opened before is no longer honoured.
    assert client.get(reverse("home")).status_code == 302


def test_a_handler_s_name_leaves_the_entries_others_wrote(make_problem, lead_head, lead_staff):
    User.objects.filter(pk=lead_staff.pk).update(first_name="Hong", last_name="Zhang")
    lead_staff.refresh_from_db()
    problem = make_problem(Status.IN_PROGRESS)
    workflow.problem_assign_handler(problem_id=problem.pk, actor=lead_head, handler=lead_staff)
    (assigned,) = ProblemEvent.objects.filter(problem=problem, kind="handler_assigned")
    assert assigned.actor == lead_head and "Hong Zhang" in assigned.text

    personal_data_anonymise(user=lead_staff)

    assigned.refresh_from_db()
    assert assigned.text == f"anon-{lead_staff.pk}"
    assert assigned.actor == lead_head


# --- the admin ----------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, office):
    office.is_staff = True
    office.save(update_fields=["is_staff"])
    client.force_login(office)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


CHANGELIST = "/admin/auth/user/"


def test_the_admin_exports_one_person_s_data_and_logs_it(admin_client, person, history):
    response = admin_client.post(
        CHANGELIST, {"action": "export_personal_data", "_selected_action": [person.pk]}
    )

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json; charset=utf-8"
    assert f'filename="personal-data-{person.pk}.json"' in response["Content-Disposition"]
    assert json.loads(response.content)["account"]["email"] == EMAIL
    entry = LogEntry.objects.get(object_id=str(person.pk))
    assert entry.get_change_message() == "Exported the person's data."


def test_the_admin_exports_one_person_at_a_time(admin_client, person, office):
    response = admin_client.post(
        CHANGELIST,
        {"action": "export_personal_data", "_selected_action": [person.pk, office.pk]},
        follow=True,
    )

    assert "Choose one person to export their data." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_the_admin_asks_before_anonymising_then_anonymises_and_logs_it(
    admin_client, person, history
):
    asked = admin_client.post(
        CHANGELIST, {"action": "anonymise_personal_data", "_selected_action": [person.pk]}
    )

    html = asked.content.decode()
    assert asked.status_code == 200
    assert "Anonymise these people at their request?" in html and "刘洋" in html
    person.refresh_from_db()
    assert person.username == USERNAME  # nothing done yet

    done = admin_client.post(
        CHANGELIST,
        {"action": "anonymise_personal_data", "_selected_action": [person.pk], "post": "yes"},
        follow=True,
    )

    assert "1 person anonymised; their records are kept." in done.content.decode()
    person.refresh_from_db()
    assert person.username == f"anon-{person.pk}" and not person.is_active
    entry = LogEntry.objects.get(object_id=str(person.pk))
    assert entry.get_change_message() == "Anonymised at the person's request."
    assert entry.object_repr == f"anon-{person.pk}"


def test_the_confirmation_page_speaks_chinese(admin_client, person):
    asked = admin_client.post(
        CHANGELIST,
        {"action": "anonymise_personal_data", "_selected_action": [person.pk]},
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )

    assert "匿名化" in asked.content.decode()


def test_the_admin_cannot_anonymise_itself(admin_client, office):
    response = admin_client.post(
        CHANGELIST,
        {"action": "anonymise_personal_data", "_selected_action": [office.pk], "post": "yes"},
        follow=True,
    )

    assert "You cannot anonymise your own account." in response.content.decode()
    office.refresh_from_db()
    assert office.is_active
