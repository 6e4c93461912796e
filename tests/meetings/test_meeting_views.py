"""Face-to-face meeting pages: who sees what, the office's actions, the handling list."""

from __future__ import annotations

import datetime as dt
import io
from urllib.parse import quote

import pytest
from django.utils import translation
from openpyxl import load_workbook

from issues import workflow
from issues.models import Status
from meetings import services
from meetings.models import Meeting
from tests.dates import iso_dates_in_text, visible_text
from tests.issues.conftest import copy_problems, messages_of
from tests.meetings.fixtures_f2f import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_f2f import MEETING_AT, NOW, at
from tests.twofactor import TWO_FACTOR_DEVICE

pytestmark = pytest.mark.django_db

LIST_URL = "/meetings/"


def detail_url(meeting):
    return f"/meetings/{meeting.pk}/"


@pytest.fixture
def freeze(monkeypatch):
    """Pages think it is `moment` (services get explicit times anyway)."""
    from django.utils import timezone

    def set_now(moment):
        monkeypatch.setattr(timezone, "now", lambda: moment)

    return set_now


@pytest.fixture
def other_meeting(office):
    return services.meeting_create(
        actor=office,
        theme="人才招引专题",
        starts_at=at("2025-10-20 09:00"),
        venue="人社局",
        now=NOW,
    )


# --- visibility ------------------------------------------------------------------------


def test_officials_see_every_meeting(client_as, office, leader, meeting, other_meeting):
    for user in (office, leader):
        response = client_as(user).get(LIST_URL)
        assert list(response.context["page"].object_list) == [other_meeting, meeting]


def test_an_enterprise_sees_only_meetings_it_is_invited_to(
    client_as, enterprise_user, other_enterprise_user, meeting, other_meeting
):
    response = client_as(enterprise_user).get(LIST_URL)

    assert list(response.context["page"].object_list) == [meeting]
    assert client_as(enterprise_user).get(detail_url(other_meeting)).status_code == 404
    assert client_as(other_enterprise_user).get(detail_url(meeting)).status_code == 404


def test_a_department_sees_meetings_it_takes_part_in_or_has_problems_of(
    client_as,
    lead_staff,
    other_staff,
    other_department,
    meeting,
    other_meeting,
    raise_problem,
    dispatch,
):
    assert list(client_as(lead_staff).get(LIST_URL).context["page"].object_list) == [meeting]
    assert client_as(other_staff).get(detail_url(meeting)).status_code == 404

    dispatch(raise_problem(meeting), lead_department=other_department)

    response = client_as(other_staff).get(detail_url(meeting))
    assert response.status_code == 200
    assert len(response.context["problems"]) == 1


def test_the_list_counts_invitations_and_visible_problems(
    client_as, office, enterprise_user, meeting, raise_problem
):
    raise_problem(meeting)
    raise_problem(meeting, title="第二个问题")

    row = client_as(office).get(LIST_URL).context["page"].object_list[0]

    assert (row.invited_count, row.problem_count) == (1, 2)


@pytest.mark.parametrize("n", [2, 12])
def test_it_counts_list_queries(client_as, office, n, django_assert_num_queries, warm_calendar):
    for i in range(n):
        services.meeting_create(
            actor=office, theme=f"专题 {i}", starts_at=MEETING_AT, venue="会议室", now=NOW
        )
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 the page count, 5 the meetings with their counts
    with django_assert_num_queries(5 + TWO_FACTOR_DEVICE):
        response = client.get(LIST_URL)
    assert len(response.context["page"].object_list) == n


# --- the meeting page ------------------------------------------------------------------


@pytest.fixture
def busy_meeting(
    office, meeting, raise_problem, dispatch, enterprise, other_enterprise, co_department
):
    services.meeting_invite(meeting_id=meeting.pk, actor=office, enterprises=[other_enterprise])
    problem = dispatch(raise_problem(meeting), co_departments=[co_department])
    return meeting, problem


@pytest.mark.parametrize("n", [1, 15])
def test_it_counts_detail_queries(
    client_as, office, busy_meeting, n, django_assert_num_queries, warm_calendar, freeze
):
    meeting, problem = busy_meeting
    copy_problems(problem, n - 1)
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    freeze(MEETING_AT + dt.timedelta(hours=3))
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 the meeting, 5 presiding leaders, 6 departments,
    # 7 invitations with their enterprises, 8 the problems (enterprise, lead, meeting),
    # 9 their co-departments
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE):
        response = client.get(detail_url(meeting))
    assert len(response.context["problems"]) == n
    assert all(p.answer_form is not None for p in response.context["problems"])


@pytest.mark.parametrize(
    ("language", "dates"),
    [
        # The meeting's time; when it was marked held; its problem's deadline, with weekday.
        ("zh-hans", ["2025年9月30日 14:30", "2025年9月30日 16:30", "2025年10月21日（星期二）"]),
        ("en", ["30 Sep 2025, 14:30", "30 Sep 2025, 16:30", "Tue 21 Oct 2025"]),
    ],
)
def test_the_meeting_page_and_handling_list_print_dates_in_the_readers_language(
    client_as, office, busy_meeting, freeze, language, dates
):
    meeting, problem = busy_meeting
    services.meeting_mark_held(
        meeting_id=meeting.pk, actor=office, now=MEETING_AT + dt.timedelta(hours=2)
    )
    freeze(MEETING_AT + dt.timedelta(hours=3))
    client = client_as(office)

    page = client.get(detail_url(meeting), HTTP_ACCEPT_LANGUAGE=language).content.decode()
    handling = client.get(
        f"/meetings/{meeting.pk}/handling-list/", HTTP_ACCEPT_LANGUAGE=language
    ).content.decode()

    assert all(date in visible_text(page) for date in dates)
    assert dates[0] in visible_text(handling) and dates[2] in visible_text(handling)
    assert iso_dates_in_text(page) == [] and iso_dates_in_text(handling) == []


def test_the_page_says_when_an_early_dispatched_problem_starts_its_clock(
    client_as, office, busy_meeting, freeze
):
    meeting, problem = busy_meeting
    freeze(NOW + dt.timedelta(hours=2))

    detail = client_as(office).get(detail_url(meeting)).content.decode()
    problem_page = client_as(office).get(f"/problems/{problem.reference}/").content.decode()

    for page in (detail, problem_page):
        assert "clock starts at the meeting on 30 Sep 2025" in page
    assert f'href="/meetings/{meeting.pk}/"' in problem_page


def test_the_lists_say_it_too_reading_the_meetings_start_with_the_problem(
    client_as, office, busy_meeting, freeze
):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    meeting, problem = busy_meeting
    freeze(NOW + dt.timedelta(hours=2))
    client = client_as(office)

    with CaptureQueriesContext(connection) as queries:
        page = client.get("/problems/", HTTP_ACCEPT_LANGUAGE="en").content.decode()

    assert problem.reference in page
    assert "clock starts at the meeting on 30 Sep 2025" in page
    # The start comes with the problems (selectors.with_list_relations), in no query of
    # the meetings' own.
    assert not [q for q in queries if q["sql"].startswith('SELECT "meetings_meeting"')]


def test_the_office_plans_a_meeting(client_as, office, leader, lead_department, enterprise, freeze):
    freeze(NOW)
    response = client_as(office).post(
        "/meetings/new/",
        {
            "theme": "数字经济专题",
            "starts_at": "2025-10-15T14:30",
            "venue": "区行政中心",
            "presiding_leaders": [leader.pk],
            "departments": [lead_department.pk],
            "enterprises": [enterprise.pk],
        },
        follow=True,
    )

    meeting = Meeting.objects.get()
    assert response.redirect_chain[-1][0] == detail_url(meeting)
    assert meeting.starts_at == at("2025-10-15 14:30")
    assert list(meeting.enterprises.all()) == [enterprise]
    assert messages_of(response) == [("success", "Meeting No. 1 of 2025 was planned.")]


def test_the_office_records_a_meeting_that_took_place(
    client_as, office, enterprise, meeting, freeze
):
    freeze(NOW)
    client = client_as(office)
    response = client.post(
        "/meetings/new/",
        {
            "theme": "数字经济专题",
            "starts_at": "2025-09-20T14:30",
            "venue": "区行政中心",
            "enterprises": [enterprise.pk],
        },
        follow=True,
    )

    past = Meeting.objects.get(theme="数字经济专题")
    assert past.entered_afterwards
    # It took place before the meeting planned for 2025-09-30: it is No. 1 now.
    assert messages_of(response) == [
        (
            "success",
            "Meeting No. 1 of 2025 was recorded as entered afterwards: mark it held, then "
            "register its problems.",
        )
    ]
    meeting.refresh_from_db()
    assert meeting.number == 2
    page = response.content.decode()
    assert "Entered afterwards" in page
    assert 'id="entered-afterwards-steps"' in page
    assert 'id="meeting-register"' not in page  # registered once it is marked held
    assert 'id="mark-held"' in page
    assert 'id="meeting-replies"' not in page  # nobody was asked to reply to the past
    listed = client.get(LIST_URL).content.decode()
    assert listed.count("data-entered-afterwards") == 1


def test_the_page_offers_marking_held_once_the_meeting_has_started(
    client_as, office, meeting, freeze
):
    freeze(MEETING_AT - dt.timedelta(minutes=7))
    before = client_as(office).get(detail_url(meeting)).content.decode()
    freeze(MEETING_AT)
    after = client_as(office).get(detail_url(meeting)).content.decode()

    assert 'id="mark-held"' not in before
    assert "It can be marked held once it has started, at 30 Sep 2025, 14:30." in before
    assert 'id="mark-held"' in after
    assert 'id="mark-held-later"' not in after


def test_marking_held_before_the_start_is_refused_with_a_message(
    client_as, office, meeting, freeze
):
    freeze(MEETING_AT - dt.timedelta(minutes=7))

    response = client_as(office).post(
        f"/meetings/{meeting.pk}/held/", {"version": meeting.version}, follow=True
    )

    assert messages_of(response) == [
        (
            "error",
            "The meeting starts at 30 Sep 2025, 14:30: it can be marked held once it has started.",
        )
    ]
    meeting.refresh_from_db()
    assert meeting.status == Meeting.Status.PLANNED


@pytest.mark.parametrize("persona", ["leader", "lead_head", "enterprise_user"])
def test_only_the_office_opens_the_meeting_forms(client_as, request, meeting, persona):
    client = client_as(request.getfixturevalue(persona))

    assert client.get("/meetings/new/").status_code == 404
    assert client.post(f"/meetings/{meeting.pk}/held/").status_code == 404


def test_marking_held_twice_tells_the_office(client_as, office, busy_meeting, enterprise, freeze):
    meeting, problem = busy_meeting
    meeting.refresh_from_db()
    freeze(MEETING_AT + dt.timedelta(hours=2))
    client = client_as(office)
    form = {"version": meeting.version, "attended": [enterprise.pk]}

    first = client.post(f"/meetings/{meeting.pk}/held/", form, follow=True)
    second = client.post(f"/meetings/{meeting.pk}/held/", form, follow=True)

    assert messages_of(first) == [
        (
            "success",
            "The meeting was marked held. The deadline of 1 dispatched problem(s) started "
            "on the meeting's date.",
        )
    ]
    assert messages_of(second) == [
        (
            "info",
            "This meeting was already marked held on 30 Sep 2025, 16:30; nothing was changed.",
        )
    ]
    problem.refresh_from_db()
    assert problem.clock_started_at == MEETING_AT


def test_the_lead_records_an_on_site_answer_and_concludes(
    client_as, office, lead_staff, busy_meeting, freeze
):
    meeting, problem = busy_meeting
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    problem.refresh_from_db()
    freeze(MEETING_AT + dt.timedelta(hours=1))

    response = client_as(lead_staff).post(
        f"/meetings/{meeting.pk}/answer/",
        {"problem": problem.pk, "version": problem.version, "answer": "现场答复", "resolve": "on"},
        follow=True,
    )

    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    assert messages_of(response) == [
        ("success", "The problem was answered at the meeting and concluded.")
    ]


@pytest.fixture
def registered_afterwards(office, enterprise, category):
    """A meeting entered afterwards, marked held, with `n` problems registered for it."""

    def make(n: int):
        meeting = services.meeting_create(
            actor=office,
            theme="八月走访企业座谈",
            starts_at=at("2025-09-01 09:30"),
            venue="区行政中心",
            enterprises=[enterprise],
            now=NOW,
        )
        services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=NOW)
        problems = [
            workflow.problem_submit(
                actor=office,
                enterprise=enterprise,
                title=f"现场提出的问题 {i}",
                description="会上口头提出。",
                category=category,
                channel="meeting",
                meeting=meeting,
                now=NOW,
            )
            for i in range(n)
        ]
        return meeting, problems

    return make


def test_the_office_records_who_answered_a_registered_problem_on_site(
    client_as, office, registered_afterwards, lead_department, freeze
):
    meeting, [problem] = registered_afterwards(1)
    freeze(NOW + dt.timedelta(minutes=5))
    client = client_as(office)

    page = client.get(detail_url(meeting))
    form = page.context["problems"][0].answer_form
    assert form.initial["lead_department"] == lead_department.pk  # the category's default
    response = client.post(
        f"/meetings/{meeting.pk}/answer/",
        {
            "problem": problem.pk,
            "version": problem.version,
            "lead_department": lead_department.pk,
            "answer": "现场答复：本月完成增容。",
            "resolve": "on",
        },
        follow=True,
    )

    problem.refresh_from_db()
    assert (problem.status, problem.lead_department) == (Status.RESOLVED, lead_department)
    assert messages_of(response) == [
        ("success", "The problem was answered at the meeting and concluded.")
    ]
    handling = client.get(f"/meetings/{meeting.pk}/handling-list/").content.decode()
    assert "Entered afterwards" in handling


@pytest.mark.parametrize("n", [1, 8])
def test_it_counts_detail_queries_with_registered_problems(
    client_as, office, registered_afterwards, n, django_assert_num_queries, warm_calendar
):
    meeting, _problems = registered_afterwards(n)
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 the meeting, 5 presiding leaders, 6 departments,
    # 7 invitations with their enterprises, 8 the problems, 9 their co-departments,
    # 10 the active departments, once for every answer form's choice of who answered
    with django_assert_num_queries(10 + TWO_FACTOR_DEVICE):
        response = client.get(detail_url(meeting))
    forms = [p.answer_form for p in response.context["problems"]]
    assert len(forms) == n and all("lead_department" in f.fields for f in forms)


# --- submitting and dispatching for a meeting ------------------------------------------


def test_the_submit_form_offers_the_invited_planned_meetings(
    client_as, enterprise_user, meeting, other_meeting, category, freeze
):
    freeze(NOW)
    client = client_as(enterprise_user)

    form = client.get(f"/problems/new/?meeting={meeting.pk}").context["form"]
    assert [pk for pk, _label in form.fields["meeting"].choices] == ["", meeting.pk]
    assert form["meeting"].value() == str(meeting.pk)

    response = client.post(
        "/problems/new/",
        {
            "submission_key": "0b8f3f2a-6c1e-4a57-9d2e-3f7d1c2b4a10",
            "meeting": meeting.pk,
            "title": "漆渣处置",
            "category": category.pk,
            "description": "喷漆车间漆渣无处处置。",
        },
        follow=True,
    )
    assert response.status_code == 200
    assert meeting.problems.get().title == "漆渣处置"


def test_an_early_dispatch_says_the_clock_waits(
    client_as, office, meeting, raise_problem, lead_department, freeze
):
    problem = raise_problem(meeting)
    freeze(NOW + dt.timedelta(hours=1))

    response = client_as(office).post(
        f"/problems/{problem.reference}/dispatch/",
        {"version": problem.version, "lead_department": lead_department.pk},
        follow=True,
    )

    assert messages_of(response) == [
        (
            "success",
            "The problem was dispatched so the department can prepare; its deadline starts "
            "when the face-to-face meeting of 30 Sep 2025 is held.",
        )
    ]


# --- the handling list -----------------------------------------------------------------


@pytest.fixture
def handled_meeting(office, busy_meeting, lead_staff, leader):
    meeting, problem = busy_meeting
    services.meeting_mark_held(meeting_id=meeting.pk, actor=office, now=MEETING_AT)
    workflow.problem_acknowledge(
        problem_id=problem.pk, actor=lead_staff, now=at("2025-10-09 09:00")
    )
    workflow.problem_resolve(
        problem_id=problem.pk,
        actor=lead_staff,
        answer="已协调处置单位收运。",
        now=at("2025-10-10 15:00"),
    )
    return meeting, problem


def test_the_handling_list_shows_problem_deadline_and_answer(client_as, office, handled_meeting):
    meeting, problem = handled_meeting

    response = client_as(office).get(f"/meetings/{meeting.pk}/handling-list/")

    row = response.context["problems"][0]
    assert row == problem
    assert row.responsible.username == "leader"  # the lead department's supervising leader
    page = response.content.decode()
    assert "liaison-print-landscape" in page
    assert "2025-10-21" in page
    assert "已协调处置单位收运。" in page


def test_enterprises_do_not_open_the_handling_list(client_as, enterprise_user, meeting):
    client = client_as(enterprise_user)

    assert client.get(f"/meetings/{meeting.pk}/handling-list/").status_code == 404
    assert client.get(f"/meetings/{meeting.pk}/handling-list.xlsx").status_code == 404


@pytest.mark.parametrize("n", [1, 20])
def test_it_counts_handling_list_queries(
    client_as, office, handled_meeting, n, django_assert_num_queries, warm_calendar
):
    meeting, problem = handled_meeting
    copy_problems(problem, n - 1)
    client = client_as(office)

    # 1 session, 2 user, 3 profile, 4 the meeting, 5 the problems with enterprise, lead
    # department and its leader, responsible leader, meeting, 6 their co-departments,
    # 7 the audit trail's record of the print page or the export
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        response = client.get(f"/meetings/{meeting.pk}/handling-list/")
    assert len(response.context["problems"]) == n
    with django_assert_num_queries(7 + TWO_FACTOR_DEVICE):
        client.get(f"/meetings/{meeting.pk}/handling-list.xlsx")


def test_the_xlsx_has_chinese_headers_and_one_row_per_problem(
    client_as, office, handled_meeting, co_department, raise_problem, meeting
):
    _, problem = handled_meeting
    client = client_as(office)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"

    response = client.get(f"/meetings/{meeting.pk}/handling-list.xlsx")

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    filename = quote("2025年第1期面对面联系会议问题办理清单.xlsx")
    assert response["Content-Disposition"].endswith(f"filename*=utf-8''{filename}")
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    with translation.override("zh-hans"):
        headers = [
            translation.gettext(h)
            for h in (
                "No.",
                "Reference",
                "Enterprise",
                "Problem",
                "Appeal type",
                "Lead department",
                "Co-departments",
                "Responsible leader",
                "Deadline",
                "Status",
                "Answer",
            )
        ]
        resolved = translation.gettext("Answered, awaiting evaluation")
    assert list(rows[1]) == headers
    assert rows[2] == (
        1,
        problem.reference,
        "嘉禾精密机械有限公司",
        "漆渣无处处置",
        "求决",  # the default: nobody chose another
        "区生态环境分局",
        co_department.name,
        "leader",
        dt.datetime(2025, 10, 21),  # a date in the sheet, shown 2025年10月21日
        resolved,
        "已协调处置单位收运。",
    )
    assert len(rows) == 3
    assert sheet.freeze_panes == "A3"
    assert sheet.column_dimensions["D"].width == 40
    assert sheet["K3"].alignment.wrap_text
