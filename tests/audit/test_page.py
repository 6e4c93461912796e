"""/audit/: the office searches the audit trail by person, enterprise, action and period,
pages through it and exports it; nobody else finds the page."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from auditlog.models import LogEntry
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from audit import selectors
from audit.models import AccessEvent, Action
from liaison.models import Enterprise
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import credit_code

pytestmark = pytest.mark.django_db

PAGE = reverse("audit:page")
XLSX = reverse("audit:xlsx")


def event(username="lead_staff", *, action=Action.VIEWED_PROBLEM, at=None, **fields):
    return AccessEvent.objects.create(
        at=at or timezone.now(), username=username, action=action, **fields
    )


def shown(response) -> list[AccessEvent]:
    return response.context["page"].rows


@pytest.mark.parametrize(
    "persona",
    ["enterprise_user", "lead_staff", "lead_head", "leader", "principal", "no_profile_user"],
)
def test_only_the_office_finds_the_page(client_as, request, persona):
    client = client_as(request.getfixturevalue(persona))

    assert client.get(PAGE).status_code == 404
    assert client.get(XLSX).status_code == 404


def test_anonymous_visitors_are_sent_to_sign_in(client_as):
    response = client_as(None).get(PAGE)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("persona", ["office", "superuser"])
def test_the_office_and_administrators_see_the_newest_records_first(client_as, request, persona):
    first, second = event("lead_staff"), event("co_staff")

    response = client_as(request.getfixturevalue(persona)).get(PAGE)

    assert response.status_code == 200
    assert [e.pk for e in shown(response) if e.pk in (first.pk, second.pk)] == [
        second.pk,
        first.pk,
    ]
    assert "co_staff" in response.content.decode()


def test_it_is_in_the_office_users_menu(client_as, office, lead_staff):
    assert PAGE in client_as(office).get(reverse("home")).content.decode()
    assert PAGE not in client_as(lead_staff).get(reverse("home")).content.decode()


def test_it_filters_by_person_enterprise_action_and_period(client_as, office, enterprise):
    other = Enterprise.objects.create(name="其他企业", credit_code=credit_code(77))
    wanted = event("lead_staff", enterprise=enterprise, at=timezone.now() - dt.timedelta(days=3))
    event("lead_staff", enterprise=other, at=wanted.at)
    event("co_staff", enterprise=enterprise, at=wanted.at)
    event("lead_staff", enterprise=enterprise, action=Action.EXPORTED, at=wanted.at)
    event("lead_staff", enterprise=enterprise, at=timezone.now() - dt.timedelta(days=40))
    day = timezone.localdate(wanted.at).isoformat()

    response = client_as(office).get(
        PAGE,
        {
            "person": "LEAD_",
            "enterprise": enterprise.pk,
            "action": Action.VIEWED_PROBLEM,
            "date_from": day,
            "date_to": day,
        },
    )

    assert [e.pk for e in shown(response)] == [wanted.pk]
    assert response.context["active_filters"] == [
        ("Person (user name contains)", "LEAD_"),
        ("Enterprise", enterprise.name),
        ("From", timezone.localdate(wanted.at).strftime("%-d %b %Y")),
        ("Until", timezone.localdate(wanted.at).strftime("%-d %b %Y")),
        ("Action", "Viewed a problem"),
    ]


@pytest.mark.parametrize(
    "params, message",
    [
        ({"date_from": "2026-05-02", "date_to": "2026-05-01"}, "ends before it starts"),
        ({"date_from": "1999-12-31"}, "2000"),
        ({"date_to": "2101-01-01"}, "2100"),
        ({"person": "x" * 151}, "at most 150"),
        ({"action": "looked_around"}, "Select a valid choice"),
    ],
)
def test_bad_filters_are_refused_with_a_message(client_as, office, params, message):
    event()

    response = client_as(office).get(PAGE, params)

    assert response.status_code == 200
    assert response.context["page"] is None
    assert message in response.content.decode()
    assert client_as(office).get(XLSX, params).status_code == 400


def test_it_pages_older_records_by_keyset(client_as, office):
    events = [event(f"user{i}") for i in range(selectors.PAGE_SIZE + 5)]
    client = client_as(office)

    first = client.get(PAGE, {"person": "user"})
    older = client.get(PAGE, {"person": "user", "before": first.context["page"].older})

    assert len(shown(first)) == selectors.PAGE_SIZE
    assert [e.pk for e in shown(older)] == [e.pk for e in reversed(events[:5])]
    assert older.context["page"].older is None


@pytest.mark.parametrize("before", ["abc", "²", "-1", "0", str(2**64)])
def test_a_bad_page_marker_shows_the_newest_records(client_as, office, before):
    client = client_as(office)
    newest = event()

    response = client.get(PAGE, {"before": before})

    assert response.status_code == 200
    assert shown(response)[0].pk == newest.pk


def test_the_page_costs_a_fixed_number_of_queries(client_as, office, django_assert_num_queries):
    for i in range(60):
        event(f"user{i}")
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 the enterprises of the filter's choices, 5 the page
    # of records with their enterprises
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        client.get(PAGE)


def test_the_changes_tab_shows_and_filters_change_entries(
    client_as, office, enterprise, other_enterprise
):
    enterprise.contact_person = "周敏"
    enterprise.save(update_fields=["contact_person"])
    other_enterprise.contact_person = "李雷"
    other_enterprise.save(update_fields=["contact_person"])
    client = client_as(office)

    response = client.get(
        PAGE,
        {"tab": "changes", "enterprise": enterprise.pk, "action": LogEntry.Action.UPDATE},
    )

    assert response.status_code == 200
    rows = response.context["page"].rows
    assert [entry.object_id for entry, *_ in rows] == [enterprise.pk]
    entry, change, record_type, lines = rows[0]
    assert (str(change), str(record_type)) == ("Changed", "enterprise")
    assert ("contact person", "", "周敏") in lines
    assert "周敏" in response.content.decode()


def test_the_changes_tab_filters_by_record_type(client_as, office, enterprise, lead_department):
    response = client_as(office).get(PAGE, {"tab": "changes", "record_type": "liaison.department"})

    types = {str(record_type) for _, _, record_type, _ in response.context["page"].rows}
    assert types == {"department"}


def test_the_export_is_text_cells_and_is_itself_recorded(client_as, office, enterprise):
    event('=HYPERLINK("http://evil","x")', enterprise=enterprise, detail="+1")

    response = client_as(office).get(XLSX, {"enterprise": enterprise.pk})

    assert response.status_code == 200
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(min_row=3))
    assert len(rows) == 1
    cells = {cell.value: cell for cell in rows[0] if isinstance(cell.value, str)}
    assert '=HYPERLINK("http://evil","x")' in cells
    assert all(cell.data_type == "s" for cell in cells.values())
    assert enterprise.name in cells
    exported = AccessEvent.objects.filter(action=Action.EXPORTED).get()
    assert (exported.username, exported.object_type) == ("office", "accessevent")
    assert f"enterprise={enterprise.pk}" in exported.detail


def test_the_changes_export_lists_what_changed(client_as, office, enterprise):
    enterprise.industry = "纺织"
    enterprise.save(update_fields=["industry"])

    response = client_as(office).get(XLSX, {"tab": "changes", "enterprise": enterprise.pk})

    sheet = load_workbook(io.BytesIO(response.content)).active
    texts = [cell.value for row in sheet.iter_rows(min_row=3) for cell in row]
    assert "industry:  → 纺织" in texts


def test_a_created_record_shows_its_values_by_their_labels():
    from django.utils import translation

    from liaison.models import CalendarDay

    day = CalendarDay.objects.create(date=dt.date(2031, 10, 8), kind="holiday", name="国庆节")
    created = LogEntry.objects.get_for_object(day).get()

    with translation.override("en"):
        lines = selectors.change_lines(created)

    assert ("kind", "", "Holiday (no work)") in lines
    assert ("name", "", "国庆节") in lines
