"""The bulletin's pages: who sees what, the office's actions, pinned queries, the .xlsx."""

from __future__ import annotations

import datetime as dt
import io

import openpyxl
import pytest
from django.utils import translation

from dashboard.bulletin import services
from dashboard.bulletin.models import Bulletin, BulletinThresholds
from issues.models import Status
from liaison.models import Role
from notifications.models import Notification
from tests.twofactor import TWO_FACTOR_DEVICE

from .test_dashboard import (
    NOW,
    make_problem,
    world_fixture,  # noqa: F401 - the hand-made data set, as `world`
)

APRIL = dt.date(2025, 4, 1)
ARCHIVE = "/bulletins/"
PAGE = "/bulletins/2025-04/"
XLSX = "/bulletins/2025-04/export.xlsx"


def generate(month=APRIL) -> Bulletin:
    return services.bulletin_generate(month=month, now=NOW)[0]


def publish(bulletin, office, foreword="") -> Bulletin:
    return services.bulletin_publish(bulletin_id=bulletin.pk, by=office, foreword=foreword)


@pytest.fixture
def warm_calendar(db):
    from liaison import workdays

    workdays.is_working_day(dt.date.today())


# --- who sees what ---------------------------------------------------------------------


@pytest.mark.parametrize("persona", [Role.OFFICE, Role.ADMIN, Role.LEADER, Role.PRINCIPAL])
def test_the_office_and_leaders_see_drafts_and_published(client, world, persona):
    generate()
    client.force_login(world["district"].users[persona])
    archive = client.get(ARCHIVE)
    assert archive.status_code == 200
    assert 'id="bulletin-2025-04"' in archive.content.decode()
    assert client.get(PAGE).status_code == 200
    assert client.get(XLSX).status_code == 200


def test_a_department_head_sees_published_bulletins_only(client, world):
    district = world["district"]
    draft = generate()
    client.force_login(district.users[Role.DEPARTMENT_HEAD])
    assert 'id="bulletin-2025-04"' not in client.get(ARCHIVE).content.decode()
    assert client.get(PAGE).status_code == 404
    assert client.get(XLSX).status_code == 404

    publish(draft, district.users[Role.OFFICE])
    page = client.get(PAGE)
    assert page.status_code == 200
    assert client.get(XLSX).status_code == 200
    # Not the office's: no foreword form, no links to problems it may not see.
    content = page.content.decode()
    assert 'id="foreword-form"' not in content
    assert f'href="/problems/{world["problems"][4].reference}/"' not in content


@pytest.mark.parametrize("persona", [Role.ENTERPRISE, Role.DEPARTMENT_STAFF, None])
def test_others_find_no_bulletin(client, world, persona):
    bulletin = generate()
    publish(bulletin, world["district"].users[Role.OFFICE])
    client.force_login(world["district"].users[persona])
    for url in (ARCHIVE, PAGE, XLSX, "/bulletins/thresholds/"):
        assert client.get(url).status_code == 404, url
    assert client.post("/bulletins/generate/", {"month": "2025-05"}).status_code == 404


@pytest.mark.parametrize("persona", [Role.LEADER, Role.DEPARTMENT_HEAD])
def test_only_the_office_acts(client, world, persona):
    bulletin = generate()
    client.force_login(world["district"].users[persona])
    for url, data in (
        ("/bulletins/generate/", {"month": "2025-05"}),
        (f"{PAGE}regenerate/", {"version": 1}),
        (f"{PAGE}foreword/", {"version": 1, "foreword": "x", "action": "publish"}),
        ("/bulletins/thresholds/", {}),
    ):
        assert client.post(url, data).status_code == 404, url
    bulletin.refresh_from_db()
    assert not bulletin.is_published and Bulletin.objects.count() == 1


def test_an_unknown_or_malformed_month_is_404(client, world):
    client.force_login(world["district"].users[Role.LEADER])
    for url in ("/bulletins/2025-05/", "/bulletins/2025-13/", "/bulletins/april/"):
        assert client.get(url).status_code == 404, url


def test_anonymous_visitors_are_sent_to_log_in(client, db):
    response = client.get(ARCHIVE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


# --- the office's actions ----------------------------------------------------------------


def test_the_office_generates_writes_a_foreword_and_publishes(client, world):
    district = world["district"]
    client.force_login(district.users[Role.OFFICE])

    response = client.post("/bulletins/generate/", {"month": "2025-04"})
    assert response.status_code == 302 and response["Location"] == PAGE
    bulletin = Bulletin.objects.get()
    assert bulletin.generated_by == district.users[Role.OFFICE]
    page = client.get(PAGE).content.decode()
    assert 'id="foreword-form"' in page and 'id="bulletin-draft"' in page

    client.post(f"{PAGE}foreword/", {"version": 1, "foreword": "四月：办结率需提升。"})
    bulletin.refresh_from_db()
    assert bulletin.foreword == "四月：办结率需提升。" and not bulletin.is_published

    response = client.post(
        f"{PAGE}foreword/",
        {"version": 2, "foreword": "四月：按时办结率需提升。", "action": "publish"},
    )
    assert response.status_code == 302
    bulletin.refresh_from_db()
    assert bulletin.is_published and bulletin.published_by == district.users[Role.OFFICE]
    assert bulletin.foreword == "四月：按时办结率需提升。"
    page = client.get(PAGE).content.decode()
    assert "四月：按时办结率需提升。" in page and 'id="foreword-form"' not in page

    # The leaders and the department head are told, each in their language, once.
    told = Notification.objects.filter(kind="bulletin_published", channel="in_app")
    assert set(told.values_list("recipient_id", flat=True)) == {
        district.users[Role.LEADER].pk,
        district.users[Role.PRINCIPAL].pk,
        district.users[Role.DEPARTMENT_HEAD].pk,
    }
    assert told.first().subject == "2025年4月月度通报已发布"
    assert told.first().url == PAGE


def test_publishing_tells_each_in_their_language(world):
    district = world["district"]
    leader = district.users[Role.LEADER]
    leader.profile.language = "en"
    leader.profile.save(update_fields=["language"])
    bulletin = generate()
    publish(bulletin, district.users[Role.OFFICE])
    publish_again = Notification.objects.filter(kind="bulletin_published").count()

    english = Notification.objects.get(recipient=leader, channel="in_app")
    assert english.subject == "The monthly bulletin for Apr 2025 is published"
    head = Notification.objects.get(
        recipient=district.users[Role.DEPARTMENT_HEAD], channel="in_app"
    )
    assert "月度通报" in head.subject
    assert publish_again == Notification.objects.filter(kind="bulletin_published").count()


def test_a_stale_page_does_not_publish(client, world):
    office = world["district"].users[Role.OFFICE]
    bulletin = generate()
    services.bulletin_set_foreword(bulletin_id=bulletin.pk, by=office, foreword="新")
    client.force_login(office)
    response = client.post(
        f"{PAGE}foreword/", {"version": 1, "foreword": "旧", "action": "publish"}, follow=True
    )
    assert response.status_code == 200
    bulletin.refresh_from_db()
    assert not bulletin.is_published and bulletin.foreword == "新"


def test_a_month_not_over_or_malformed_is_refused_with_a_message(client, world):
    client.force_login(world["district"].users[Role.OFFICE])
    with translation.override("en"):
        for month, message in (
            ("2099-01", "a month that is over"),
            ("2025-4", "Give a month as YYYY-MM"),
            ("", "Choose the month"),
        ):
            response = client.post(
                "/bulletins/generate/", {"month": month}, follow=True, HTTP_ACCEPT_LANGUAGE="en"
            )
            assert message in response.content.decode(), month
    assert not Bulletin.objects.exists()


def test_a_long_foreword_is_refused_and_nothing_changes(client, world):
    bulletin = generate()
    client.force_login(world["district"].users[Role.OFFICE])
    response = client.post(
        f"{PAGE}foreword/",
        {"version": 1, "foreword": "长" * 3001, "action": "publish"},
        follow=True,
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert "at most 3000 characters" in response.content.decode()
    bulletin.refresh_from_db()
    assert not bulletin.is_published and bulletin.foreword == ""


def test_the_office_sets_the_thresholds(client, world):
    client.force_login(world["district"].users[Role.OFFICE])
    assert client.get("/bulletins/thresholds/").status_code == 200
    response = client.post(
        "/bulletins/thresholds/",
        {
            "min_on_time_rate": "95.5",
            "min_satisfaction_rate": "85",
            "max_overdue": "2",
            "min_rated": "5",
        },
    )
    assert response.status_code == 302
    row = BulletinThresholds.objects.get()
    assert (str(row.min_on_time_rate), row.max_overdue, row.min_rated) == ("95.5", 2, 5)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("min_on_time_rate", "101", "A rate is between 0 and 100."),
        ("min_satisfaction_rate", "92.55", "at most one decimal"),
        ("min_satisfaction_rate", "ninety", "as a number between 0 and 100"),
        ("max_overdue", "-1", "cannot be below 0"),
        ("min_rated", "0", "at least 1 problem"),
    ],
)
def test_bad_thresholds_are_refused_at_their_field(client, world, field, value, message):
    client.force_login(world["district"].users[Role.OFFICE])
    data = {"min_on_time_rate": "90", "min_satisfaction_rate": "90", "max_overdue": "0"}
    data = {**data, "min_rated": "3", field: value}
    response = client.post("/bulletins/thresholds/", data, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not BulletinThresholds.objects.exists()


# --- pinned queries: the page reads the snapshot -------------------------------------------


def add_problems(world, n: int) -> None:
    for i in range(n):
        make_problem(world, Status.SUBMITTED, created=f"2025-04-{1 + i % 28:02d} 09:00")


# session, user, profile (+ the two-factor device); the bulletin (with who published it).
PAGE_QUERIES = 4 + TWO_FACTOR_DEVICE
# session, user, profile (+ device); the bulletins.
ARCHIVE_QUERIES = 4 + TWO_FACTOR_DEVICE


@pytest.mark.parametrize("n", [0, 30])
@pytest.mark.parametrize("persona", [Role.LEADER, Role.OFFICE, Role.DEPARTMENT_HEAD])
def test_the_bulletin_page_reads_only_the_snapshot(
    client, world, warm_calendar, django_assert_num_queries, persona, n
):
    add_problems(world, n)
    bulletin = generate()
    publish(bulletin, world["district"].users[Role.OFFICE], foreword="前言")
    client.force_login(world["district"].users[persona])
    with django_assert_num_queries(PAGE_QUERIES):
        response = client.get(PAGE)
    assert response.status_code == 200
    # The export reads the same row, plus the audit record of the export.
    with django_assert_num_queries(PAGE_QUERIES + 1):
        assert client.get(XLSX).status_code == 200


@pytest.mark.parametrize("months", [1, 12])
def test_the_archive_is_one_query_whatever_the_months(
    client, world, warm_calendar, django_assert_num_queries, months
):
    for i in range(months):
        generate(dt.date(2024, 1, 1) + dt.timedelta(days=31 * i))
    client.force_login(world["district"].users[Role.LEADER])
    with django_assert_num_queries(ARCHIVE_QUERIES):
        response = client.get(ARCHIVE)
    assert len(response.context["bulletins"]) == months


# --- what the page and the export show -------------------------------------------------


def test_the_page_shows_the_snapshot_in_the_readers_language(client, world):
    bulletin = generate()
    publish(bulletin, world["district"].users[Role.OFFICE], foreword="请各单位对照整改。")
    client.force_login(world["district"].users[Role.LEADER])

    zh = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2025年4月" in zh and "请各单位对照整改。" in zh
    assert "用工" in zh  # the rising category, by its Chinese name
    assert f'href="/problems/{world["problems"][4].reference}/"' in zh  # leaders follow it

    en = client.get(PAGE, HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "Monthly bulletin Apr 2025" in en and "Labour" in en
    assert "data-print" in en and 'id="bulletin-xlsx"' in en
    for section in (
        "headline",
        "hotspots",
        "departments_below",
        "assessment",
        "common_problems",
        "key_tasks_behind",
        "relief",
        "overdue",
    ):
        assert f'id="section-{section}"' in en, section


def test_the_xlsx_holds_the_figures_as_numbers_and_text(client, world):
    bulletin = generate()
    # A foreword that a spreadsheet would take for a formula stays text.
    publish(bulletin, world["district"].users[Role.OFFICE], foreword='=HYPERLINK("http://x","y")')
    client.force_login(world["district"].users[Role.LEADER])
    with translation.override("en"):
        response = client.get(XLSX, HTTP_ACCEPT_LANGUAGE="en")
    book = openpyxl.load_workbook(io.BytesIO(response.content))

    assert book.sheetnames[:3] == ["Bulletin", "Headline figures", "Rising categories"]
    cover = {row[0]: row[1] for row in book["Bulletin"].iter_rows(min_row=3, values_only=True)}
    assert cover["Month"] == "2025-04"
    assert cover["Foreword"] == '=HYPERLINK("http://x","y")'
    foreword_cell = next(c for c in book["Bulletin"]["B"] if c.value == cover["Foreword"])
    assert foreword_cell.data_type == "s" and foreword_cell.quotePrefix

    headline = {
        row[0]: row[1:] for row in book["Headline figures"].iter_rows(min_row=2, values_only=True)
    }
    assert headline["Received"] == (2, 2, 0)
    assert headline["Concluded"] == (1, 2, -1)
    from decimal import Decimal

    assert headline["On-time rate %"][:2] == (1, Decimal("0.5")) or headline["On-time rate %"][
        :2
    ] == (1, 0.5)
    assert book["Rising categories"]["A2"].value == "Labour"
    below = list(book["Departments below"].iter_rows(min_row=2, values_only=True))
    assert below[0][0] == world["district"].department.short_name
    assert below[0][-1] == "Too many problems overdue"
    overdue = list(book["Most overdue problems"].iter_rows(min_row=2, values_only=True))
    assert overdue[0][0] == world["problems"][4].reference
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", (sheet.title, cell.coordinate)
