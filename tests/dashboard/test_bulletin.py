"""The monthly bulletin's figures (dashboard.bulletin), on the dashboard's hand-made data set.

The data set is tests/dashboard/test_dashboard.py's (see its docstring); "now" is
2025-12-01. The bulletin of April 2025, counted by hand:

  April (this month):  #3 (dept A, C2, E2 no town, answered on time Apr 1 -> Apr 3: 2 wd)
                       #4 (dept A, C1, E1 in the town, in progress, overdue, escalated)
  March (month before): #1 (A, C1, E1, closed on time, satisfied, 5 wd)
                        #2 (A, C1, E1, closed late, unsatisfied, 13 wd)
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
import time_machine
from django.utils import timezone, translation

from dashboard.bulletin import services
from dashboard.bulletin.models import Bulletin, BulletinThresholds
from dashboard.bulletin.sections import SECTIONS, Section, build_snapshot, register
from dashboard.tasks import generate_monthly_bulletin
from issues.models import Problem, Status
from keytasks.models import KeyTask, Milestone
from liaison import workdays
from liaison.models import CalendarDay, Role

from .test_dashboard import (
    NOW,
    at,
    figures_for,
    make_problem,
    world_fixture,  # noqa: F401 - the hand-made data set, as `world`
)

APRIL = dt.date(2025, 4, 1)


@pytest.fixture(autouse=True)
def in_english():
    """The messages matched below are the English ones."""
    with translation.override("en"):
        yield


def snapshot(month=APRIL, now=NOW, thresholds=None) -> dict:
    return build_snapshot(month, now=now, thresholds=thresholds or BulletinThresholds())


def test_it_computes_the_headline_by_hand(world):
    headline = snapshot()["sections"]["headline"]
    current, previous, changes = headline["current"], headline["previous"], headline["changes"]

    assert (current["received"], current["accepted"], current["concluded"]) == (2, 2, 1)
    assert (current["on_time"], current["open"], current["overdue"]) == (1, 1, 1)
    assert (current["evaluated"], current["escalated"]) == (0, 1)
    assert current["conclusion_rate"] == "50.0"  # 1 / 2
    assert current["on_time_rate"] == "100.0"  # 1 / 1
    assert current["satisfaction_rate"] is None  # nothing evaluated
    assert current["average_working_days"] == "2.0"

    assert (previous["received"], previous["concluded"], previous["on_time"]) == (2, 2, 1)
    assert (previous["evaluated"], previous["satisfied"]) == (2, 1)
    assert previous["on_time_rate"] == "50.0"
    assert previous["satisfaction_rate"] == "50.0"
    assert previous["average_working_days"] == "9.0"  # (5 + 13) / 2

    assert (changes["received"], changes["concluded"], changes["overdue"]) == (0, -1, 1)
    assert changes["on_time_rate"] == "50.0"  # percentage points
    assert changes["conclusion_rate"] == "-50.0"
    assert changes["satisfaction_rate"] is None
    assert changes["average_working_days"] == "-7.0"


@pytest.mark.parametrize("month", [dt.date(2025, 3, 1), APRIL, dt.date(2025, 6, 1)])
def test_the_headline_is_the_dashboards_for_the_same_month(world, month):
    first = month.isoformat()
    last = (month.replace(day=28) + dt.timedelta(days=4)).replace(day=1) - dt.timedelta(days=1)
    dashboard = figures_for({"date_from": first, "date_to": last.isoformat()}).headline
    current = snapshot(month)["sections"]["headline"]["current"]

    for name in ("received", "accepted", "concluded", "on_time", "open", "overdue"):
        assert current[name] == getattr(dashboard, name), name
    for name in ("evaluated", "satisfied", "escalated"):
        assert current[name] == getattr(dashboard, name), name
    for name in ("conclusion_rate", "on_time_rate", "satisfaction_rate"):
        value = getattr(dashboard, name)
        assert current[name] == (None if value is None else str(value)), name


def test_rising_categories_and_towns_are_the_hotspots(world):
    hotspots = snapshot()["sections"]["hotspots"]

    # April: C1 1 (March 2), C2 1 (March 0) -> only Labour rose.
    assert hotspots["categories"] == [
        {"name": "用工", "name_en": "Labour", "current": 1, "previous": 0, "change": 1}
    ]
    # The town had 2 in March and 1 in April; the enterprise without a town is no place.
    assert hotspots["towns"] == []

    june = snapshot(dt.date(2025, 6, 1))["sections"]["hotspots"]
    # June: #7 (C1, E1 in the town) and #8 (C2, E2); May: #5 (C2, E1) and #6 (C2, E2).
    assert [c["name"] for c in june["categories"]] == ["环保"]
    assert june["towns"] == []


def test_departments_below_the_thresholds(world):
    district = world["district"]
    a = district.department
    # The defaults: 90% / 90% over at least 3 problems, none overdue. April's department A
    # has one concluded problem (too few to judge) but one overdue now.
    rows = snapshot()["sections"]["departments_below"]["rows"]
    assert rows == [
        {
            "name": a.short_name,
            "received": 2,
            "concluded": 1,
            "on_time_rate": "100.0",
            "evaluated": 0,
            "satisfaction_rate": None,
            "overdue": 1,
            "reasons": ["overdue"],
        }
    ]

    strict = BulletinThresholds(
        min_on_time_rate=Decimal("90"),
        min_satisfaction_rate=Decimal("60"),
        max_overdue=1,
        min_rated=1,
    )
    march = snapshot(dt.date(2025, 3, 1), thresholds=strict)["sections"]["departments_below"]
    # March: A 1 of 2 on time (50%), 1 of 2 satisfied (50%), 1 overdue (allowed: 1).
    assert [(r["name"], r["reasons"]) for r in march["rows"]] == [
        (a.short_name, ["on_time", "satisfaction"])
    ]
    assert march["thresholds"] == {
        "min_on_time_rate": "90",
        "min_satisfaction_rate": "60",
        "max_overdue": 1,
        "min_rated": 1,
    }


def test_overdue_and_escalated_problems_are_the_backlog(world):
    overdue = snapshot()["sections"]["overdue"]
    p4 = world["problems"][4]
    due_day = workdays.local_date(p4.due_at)

    assert (overdue["overdue"], overdue["escalated"]) == (1, 1)
    assert overdue["by_department"] == [
        {"name": world["district"].department.short_name, "overdue": 1, "escalated": 1}
    ]
    [row] = overdue["problems"]
    assert row["reference"] == p4.reference
    assert row["due_date"] == due_day.isoformat()
    assert row["leader"] == "李志强"
    assert row["escalation_level"] == 1
    assert (
        row["overdue_working_days"]
        == workdays.working_days_between(due_day, dt.date(2025, 12, 1)).value
    )


def test_key_tasks_at_risk_or_behind_are_named(world):
    district = world["district"]
    common = {
        "year": 2025,
        "target": "完成",
        "leader": district.users[Role.LEADER],
        "lead_department": district.department,
    }
    behind = KeyTask.objects.create(
        number=1, title="危废处置中心建设", status=KeyTask.Status.BEHIND, percent=40, **common
    )
    Milestone.objects.create(task=behind, title="选址", due_date=dt.date(2025, 6, 30))
    Milestone.objects.create(task=behind, title="环评", due_date=dt.date(2025, 9, 30))
    Milestone.objects.create(task=behind, title="竣工", due_date=dt.date(2025, 12, 31))
    KeyTask.objects.create(number=2, title="用工招聘", status=KeyTask.Status.ON_TRACK, **common)
    KeyTask.objects.create(
        number=3, title="直购电", status=KeyTask.Status.AT_RISK, **{**common, "year": 2024}
    )

    rows = snapshot()["sections"]["key_tasks_behind"]["rows"]

    assert rows == [
        {
            "year": 2025,
            "number": 1,
            "title": "危废处置中心建设",
            "leader": "李志强",
            "lead_department": district.department.short_name,
            "status": "behind",
            "percent": 40,
            "overdue_milestones": 2,
        }
    ]


def test_an_empty_month_has_every_section_and_no_rate(district):
    data = snapshot(dt.date(2020, 2, 1), now=NOW)
    assert set(data["sections"]) == {s.key for s in SECTIONS}
    assert data["sections"]["headline"]["current"]["received"] == 0
    assert data["sections"]["headline"]["current"]["on_time_rate"] is None
    assert data["period"] == ["2020-02-01", "2020-02-29"]
    assert data["previous_month"] == "2020-01"


def test_a_section_registered_later_is_built_in_its_place(world, monkeypatch):
    monkeypatch.setattr("dashboard.bulletin.sections.SECTIONS", list(SECTIONS))
    register(Section("extra", "Extra", lambda ctx: {"total": 3}), after="hotspots")
    register(Section("nothing", "Left out", lambda ctx: None))
    from dashboard.bulletin import sections

    keys = [s.key for s in sections.SECTIONS]
    assert keys.index("extra") == keys.index("hotspots") + 1
    data = sections.build_snapshot(APRIL, now=NOW, thresholds=BulletinThresholds())
    assert data["sections"]["extra"] == {"total": 3}
    assert "nothing" not in data["sections"]


# --- generation: once a month, published never changes ---------------------------------


def test_it_generates_a_month_once(world):
    first, created = services.bulletin_generate(month=dt.date(2025, 4, 17), now=NOW)
    again, created_again = services.bulletin_generate(month=APRIL, now=NOW)

    assert created and not created_again
    assert again.pk == first.pk
    assert first.month == APRIL and first.status == Bulletin.Status.DRAFT
    assert Bulletin.objects.count() == 1


@pytest.mark.parametrize(
    ("month", "message"),
    [
        (dt.date(2025, 12, 1), "a month that is over"),
        (dt.date(2026, 3, 1), "a month that is over"),
        (dt.date(1999, 12, 1), "before 2000"),
    ],
)
def test_it_refuses_a_month_not_over(district, month, message):
    with pytest.raises(services.BulletinError, match=message):
        services.bulletin_generate(month=month, now=NOW)
    assert not Bulletin.objects.exists()


def test_only_the_office_generates_and_publishes(world):
    leader = world["district"].users[Role.LEADER]
    with pytest.raises(services.BulletinError, match="Only the liaison office"):
        services.bulletin_generate(month=APRIL, by=leader, now=NOW)
    bulletin, _ = services.bulletin_generate(month=APRIL, now=NOW)
    with pytest.raises(services.BulletinError, match="Only the liaison office"):
        services.bulletin_publish(bulletin_id=bulletin.pk, by=leader)
    bulletin.refresh_from_db()
    assert not bulletin.is_published


def test_a_published_bulletin_never_changes(world):
    office = world["district"].users[Role.OFFICE]
    bulletin, _ = services.bulletin_generate(month=APRIL, now=NOW)
    services.bulletin_publish(bulletin_id=bulletin.pk, by=office, foreword="四月通报。")
    frozen = Bulletin.objects.get(pk=bulletin.pk).snapshot

    # A late problem of April, received after publication.
    make_problem(world, Status.SUBMITTED, created="2025-04-30 16:00")
    with pytest.raises(services.BulletinError, match="published"):
        services.bulletin_regenerate(bulletin_id=bulletin.pk, by=office)
    with pytest.raises(services.BulletinError, match="published"):
        services.bulletin_set_foreword(bulletin_id=bulletin.pk, by=office, foreword="改")
    again, created = services.bulletin_generate(month=APRIL, now=NOW)

    assert not created
    assert again.snapshot == frozen
    assert again.foreword == "四月通报。"
    assert again.snapshot["sections"]["headline"]["current"]["received"] == 2


def test_regenerating_a_draft_counts_again(world):
    office = world["district"].users[Role.OFFICE]
    bulletin, _ = services.bulletin_generate(month=APRIL, now=NOW)
    make_problem(world, Status.SUBMITTED, created="2025-04-30 16:00")

    regenerated = services.bulletin_regenerate(
        bulletin_id=bulletin.pk, by=office, version=bulletin.version
    )

    assert regenerated.snapshot["sections"]["headline"]["current"]["received"] == 3
    assert regenerated.version == bulletin.version + 1
    assert regenerated.generated_by == office
    with pytest.raises(services.StaleBulletin):  # the page read version 1
        services.bulletin_regenerate(bulletin_id=bulletin.pk, by=office, version=1)


def test_the_foreword_is_bounded(world):
    office = world["district"].users[Role.OFFICE]
    bulletin, _ = services.bulletin_generate(month=APRIL, now=NOW)
    with pytest.raises(services.BulletinError, match="at most 3000 characters"):
        services.bulletin_publish(bulletin_id=bulletin.pk, by=office, foreword="长" * 3001)
    bulletin.refresh_from_db()
    assert not bulletin.is_published and bulletin.foreword == ""


# --- the monthly task ------------------------------------------------------------------


def shanghai(day: str, hour: int = 7) -> dt.datetime:
    return dt.datetime.fromisoformat(day).replace(hour=hour, tzinfo=workdays.SHANGHAI)


def test_it_generates_on_the_first_working_day_after_national_day(district):
    # 2026: 1-7 October are holidays, the 8th (Thursday) is the first working day.
    assert services.first_working_day(dt.date(2026, 10, 1)) == dt.date(2026, 10, 8)
    for day in ("2026-10-01", "2026-10-05", "2026-10-07"):
        assert services.bulletin_generate_due(now=shanghai(day)) is None
    assert not Bulletin.objects.exists()

    bulletin = services.bulletin_generate_due(now=shanghai("2026-10-08"))

    assert bulletin.month == dt.date(2026, 9, 1)
    assert bulletin.generated_at == shanghai("2026-10-08")
    # The next mornings: it exists, nothing more.
    assert services.bulletin_generate_due(now=shanghai("2026-10-09")) is None
    assert services.bulletin_generate_due(now=shanghai("2026-10-12")) is None
    assert Bulletin.objects.count() == 1


def test_a_holiday_the_office_adds_moves_the_day(district):
    # The office marks 8 October a holiday too: the 9th becomes the first working day.
    CalendarDay.objects.update_or_create(
        date=dt.date(2026, 10, 8), defaults={"kind": "holiday", "name": "国庆节"}
    )
    workdays.invalidate()
    try:
        assert services.first_working_day(dt.date(2026, 10, 1)) == dt.date(2026, 10, 9)
        assert services.bulletin_generate_due(now=shanghai("2026-10-08")) is None
        assert services.bulletin_generate_due(now=shanghai("2026-10-09")).month == dt.date(
            2026, 9, 1
        )
    finally:
        CalendarDay.objects.filter(date=dt.date(2026, 10, 8)).delete()
        workdays.invalidate()


def test_a_missed_first_working_day_is_caught_up(district):
    assert services.bulletin_generate_due(now=shanghai("2026-10-12")).month == dt.date(2026, 9, 1)


def test_the_beat_task_generates_last_months_bulletin_once(district):
    with time_machine.travel(shanghai("2026-10-08", 7), tick=False):
        assert generate_monthly_bulletin.run() == "2026-09"
        assert generate_monthly_bulletin.run() == ""
    with time_machine.travel(shanghai("2026-11-02", 7), tick=False):  # Monday
        assert generate_monthly_bulletin.run() == "2026-10"
    assert list(Bulletin.objects.values_list("month", flat=True)) == [
        dt.date(2026, 10, 1),
        dt.date(2026, 9, 1),
    ]


def test_the_beat_schedule_runs_the_task_every_morning(settings):
    entry = settings.CELERY_BEAT_SCHEDULE["generate-monthly-bulletin"]
    assert entry["task"] == generate_monthly_bulletin.name
    assert settings.CELERY_TASK_ROUTES[entry["task"]] == {"queue": "deadlines"}


# --- thresholds --------------------------------------------------------------------------


def test_thresholds_are_saved_and_applied_by_the_next_bulletin(world):
    office = world["district"].users[Role.OFFICE]
    services.thresholds_update(
        by=office,
        min_on_time_rate=Decimal("95.5"),
        min_satisfaction_rate=Decimal("80"),
        max_overdue=5,
        min_rated=1,
    )
    bulletin, _ = services.bulletin_generate(month=APRIL, now=NOW)
    applied = bulletin.snapshot["sections"]["departments_below"]
    assert applied["thresholds"]["min_on_time_rate"] == "95.5"
    assert applied["rows"] == []  # A: 100% on time, none evaluated, 1 overdue (5 allowed)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ({"min_on_time_rate": Decimal("100.1")}, "less than or equal to 100"),
        ({"min_satisfaction_rate": Decimal("-1")}, "greater than or equal to 0"),
        ({"min_rated": 0}, "greater than or equal to 1"),
        ({"max_overdue": 10_001}, "less than or equal to 10000"),
    ],
)
def test_bad_thresholds_are_refused_and_nothing_changes(district, values, message):
    office = district.users[Role.OFFICE]
    good = {
        "min_on_time_rate": Decimal("90"),
        "min_satisfaction_rate": Decimal("90"),
        "max_overdue": 0,
        "min_rated": 3,
    }
    with pytest.raises(services.BulletinError, match=message):
        services.thresholds_update(by=office, **{**good, **values})
    assert not BulletinThresholds.objects.exists()


def test_problems_outside_the_month_do_not_count(world):
    # Received at 00:00 on 1 May Asia/Shanghai (still 30 April in UTC): May's, not April's.
    make_problem(world, Status.SUBMITTED, created="2025-05-01 00:00")
    make_problem(world, Status.SUBMITTED, created="2025-04-30 23:59")
    current = snapshot()["sections"]["headline"]["current"]
    assert current["received"] == 3
    assert Problem.objects.filter(created_at__gte=at("2025-05-01 00:00")).count() == 5  # 5-8, new


# --- the demo ------------------------------------------------------------------------------


def test_the_demo_has_twelve_bulletins_the_latest_a_draft_with_a_foreword(world):
    from collections import Counter
    from types import SimpleNamespace

    from dashboard.bulletin.demo import seed_bulletins

    district = SimpleNamespace(created=Counter())
    seed_bulletins(district)
    seed_bulletins(district)  # idempotent: nothing more

    assert district.created["bulletin"] == 12
    bulletins = list(Bulletin.objects.order_by("-month"))
    assert len(bulletins) == 12
    this_month = workdays.local_date(timezone.now()).replace(day=1)
    assert bulletins[0].month == (this_month - dt.timedelta(days=1)).replace(day=1)
    assert not bulletins[0].is_published and bulletins[0].foreword
    assert all(b.is_published and b.foreword for b in bulletins[1:])
    assert len({b.month for b in bulletins}) == 12


# --- the command -----------------------------------------------------------------------


def run_make_bulletin(*args) -> str:
    from io import StringIO

    from django.core.management import call_command

    out = StringIO()
    call_command("make_bulletin", *args, stdout=out)
    return out.getvalue()


def test_make_bulletin_generates_once_and_regenerates_a_draft_on_request(world):
    assert "Generated the bulletin of 2025-04" in run_make_bulletin("--month", "2025-04")
    assert "exists already (draft)" in run_make_bulletin("--month", "2025-04")
    make_problem(world, Status.SUBMITTED, created="2025-04-30 16:00")
    assert "Regenerated" in run_make_bulletin("--month", "2025-04", "--regenerate")
    bulletin = Bulletin.objects.get()
    assert bulletin.snapshot["sections"]["headline"]["current"]["received"] == 3

    services.bulletin_publish(bulletin_id=bulletin.pk, by=world["district"].users[Role.OFFICE])
    from django.core.management import CommandError

    with pytest.raises(CommandError, match="published"):
        run_make_bulletin("--month", "2025-04", "--regenerate")
    for bad in ("2025-4", "April", "2099-01"):
        with pytest.raises(CommandError):
            run_make_bulletin("--month", bad)
    assert Bulletin.objects.count() == 1


# --- sections of other apps ----------------------------------------------------------------


def test_common_problems_progress_in_the_month(world):
    from policy.models import CommonProblem, CommonProblemLink, PolicyMilestone

    district = world["district"]
    office = district.users[Role.OFFICE]
    common = CommonProblem.objects.create(
        title="危废处置难",
        description="多家企业漆渣无处处置。",
        category=world["c1"],
        lead_department=district.department,
        status=CommonProblem.Status.IN_PROGRESS,
        created_by=office,
        created_at=at("2025-03-10 09:00"),
        updated_at=at("2025-04-20 09:00"),
    )
    for number, linked in ((1, "2025-03-10 09:00"), (2, "2025-04-02 09:00")):
        CommonProblemLink.objects.create(
            common_problem=common,
            problem=world["problems"][number],
            linked_by=office,
            linked_at=at(linked),
        )
    PolicyMilestone.objects.create(
        common_problem=common, title="出台处置办法", due_date=dt.date(2025, 4, 10)
    )
    PolicyMilestone.objects.create(
        common_problem=common,
        title="签约处置单位",
        due_date=dt.date(2025, 4, 20),
        done_date=dt.date(2025, 4, 18),
    )

    [row] = snapshot()["sections"]["common_problems"]["rows"]

    assert row["title"] == "危废处置难" and row["status"] == "in_progress"
    assert (row["problems_total"], row["problems_linked"], row["enterprises_total"]) == (2, 1, 1)
    assert (row["milestones_done"], row["milestones_overdue"]) == (1, 1)
    assert row["measures_issued"] == 0


def test_burden_relief_of_the_month_and_the_year(world):
    from issues.relief.models import ReliefOutcome

    office = world["district"].users[Role.OFFICE]
    p = world["problems"]
    for problem, kind, amount, firms, day in (
        (p[3], "power", "91000000.00", 1126, "2025-04-03"),  # April
        (p[3], "tax_fees", "50000.00", 1, "2025-04-03"),  # April
        (p[1], "tax_fees", "1961000000.00", 3, "2025-03-10"),  # March: the year only
        (p[8], "subsidy", "20000.00", 1, "2025-06-04"),  # June: neither
    ):
        ReliefOutcome.objects.create(
            problem=problem,
            kind=kind,
            amount=Decimal(amount),
            firms=firms,
            counted_on=dt.date.fromisoformat(day),
            recorded_by=office,
        )

    relief = snapshot()["sections"]["relief"]

    assert relief["month"]["amount"] == "91050000.00"
    assert (relief["month"]["firms"], relief["month"]["lines"]) == (1127, 2)
    assert [k["kind"] for k in relief["month"]["by_kind"]] == ["power", "tax_fees"]
    assert relief["year"]["amount"] == "2052050000.00"
    assert relief["by_department"] == [
        {"name": world["district"].department.name, "amount": "91050000.00", "lines": 2}
    ]
    from dashboard.bulletin.sections_more import ten_thousands

    assert ten_thousands(relief["year"]["amount"]) == Decimal("205205.00")  # 20.52 亿元


def test_the_assessment_ranking_frozen_or_provisional(world):
    from dashboard.assessment.selectors import frozen_ranking
    from dashboard.assessment.services import month_freeze

    provisional = snapshot()["sections"]["assessment"]
    assert provisional["frozen"] is False

    month_freeze(month=APRIL, now=NOW)
    frozen = snapshot()["sections"]["assessment"]
    ranking = frozen_ranking(APRIL)

    assert frozen["frozen"] is True
    assert [(r["rank"], r["name"]) for r in frozen["rows"]] == [
        (s.rank, s.label) for s in ranking.standings
    ]
    assert [r["score"] for r in frozen["rows"]] == [
        None if s.score is None else str(s.score) for s in ranking.standings
    ]
    assert frozen["rows"][0]["name"] == world["district"].department.name
    assert frozen["rows"][0]["accepted"] == 2
