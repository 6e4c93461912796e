"""The working-day calendar checked against the State Council's published holiday schedules.

The expected data below is typed in from the notices themselves
(国务院办公厅关于20XX年部分节假日安排的通知), not derived from the `chinesecalendar`
package that seeds the database: the point is to check the package.
"""

import datetime as dt
import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command

from liaison import workdays
from liaison.models import CalendarDay, CalendarYear

UTC = dt.UTC
SHANGHAI = ZoneInfo("Asia/Shanghai")

pytestmark = pytest.mark.django_db


def d(iso: str) -> dt.date:
    return dt.date.fromisoformat(iso)


# Each year: the days off as the notice states them (name, first day, last day; weekends
# inside a range included, as the notice counts them), the make-up working days (调休上班,
# always a Saturday or Sunday), and two totals worked out by hand as a check on the typing.
OFFICIAL_SCHEDULES = {
    2024: {
        "notice": "国办发明电〔2023〕7号",
        "days_off": [
            ("元旦", "2023-12-30", "2024-01-01"),
            ("春节", "2024-02-10", "2024-02-17"),
            ("清明节", "2024-04-04", "2024-04-06"),
            ("劳动节", "2024-05-01", "2024-05-05"),
            ("端午节", "2024-06-08", "2024-06-10"),
            ("中秋节", "2024-09-15", "2024-09-17"),
            ("国庆节", "2024-10-01", "2024-10-07"),
        ],
        "make_up_days": [
            "2024-02-04",
            "2024-02-18",
            "2024-04-07",
            "2024-04-28",
            "2024-05-11",
            "2024-09-14",
            "2024-09-29",
            "2024-10-12",
        ],
        "weekday_holidays": 19,
        "working_days": 251,
    },
    2025: {
        "notice": "国办发明电〔2024〕12号",
        "days_off": [
            ("元旦", "2025-01-01", "2025-01-01"),
            ("春节", "2025-01-28", "2025-02-04"),
            ("清明节", "2025-04-04", "2025-04-06"),
            ("劳动节", "2025-05-01", "2025-05-05"),
            ("端午节", "2025-05-31", "2025-06-02"),
            ("国庆节、中秋节", "2025-10-01", "2025-10-08"),
        ],
        "make_up_days": ["2025-01-26", "2025-02-08", "2025-04-27", "2025-09-28", "2025-10-11"],
        "weekday_holidays": 18,
        "working_days": 248,
    },
    2026: {
        "notice": "国办发明电〔2025〕7号",
        "days_off": [
            ("元旦", "2026-01-01", "2026-01-03"),
            ("春节", "2026-02-15", "2026-02-23"),
            ("清明节", "2026-04-04", "2026-04-06"),
            ("劳动节", "2026-05-01", "2026-05-05"),
            ("端午节", "2026-06-19", "2026-06-21"),
            ("中秋节", "2026-09-25", "2026-09-27"),
            ("国庆节", "2026-10-01", "2026-10-07"),
        ],
        "make_up_days": [
            "2026-01-04",
            "2026-02-14",
            "2026-02-28",
            "2026-05-09",
            "2026-09-20",
            "2026-10-10",
        ],
        "weekday_holidays": 19,
        "working_days": 248,
    },
}


def days_off(year: int) -> dict[dt.date, str]:
    off = {}
    for name, first, last in OFFICIAL_SCHEDULES[year]["days_off"]:
        day = d(first)
        while day <= d(last):
            off[day] = name
            day += dt.timedelta(days=1)
    return off


def make_up_days(year: int) -> set[dt.date]:
    return {d(iso) for iso in OFFICIAL_SCHEDULES[year]["make_up_days"]}


def days_of(year: int):
    day = dt.date(year, 1, 1)
    while day.year == year:
        yield day
        day += dt.timedelta(days=1)


def officially_working(day: dt.date) -> bool:
    if day in make_up_days(day.year):
        return True
    if day in days_off(day.year):
        return False
    return day.weekday() < 5


HOLIDAY_WEEKDAYS = [
    pytest.param(day, id=f"{day} {name}")
    for year in OFFICIAL_SCHEDULES
    for day, name in sorted(days_off(year).items())
    if day.weekday() < 5
]
MAKE_UP_DAYS = [
    pytest.param(day, id=str(day))
    for year in OFFICIAL_SCHEDULES
    for day in sorted(make_up_days(year))
]


@pytest.fixture(autouse=True)
def fresh_calendar():
    """The calendar cache is per process; a test's rolled-back rows must not leak into the next."""
    workdays.invalidate()
    yield
    workdays.invalidate()


# The typed-in schedules themselves.


@pytest.mark.parametrize("year", OFFICIAL_SCHEDULES)
def test_typed_schedule_totals_add_up(year):
    weekday_holidays = [day for day in days_off(year) if day.year == year and day.weekday() < 5]
    working = [day for day in days_of(year) if officially_working(day)]

    assert len(weekday_holidays) == OFFICIAL_SCHEDULES[year]["weekday_holidays"]
    assert len(working) == OFFICIAL_SCHEDULES[year]["working_days"]
    assert all(day.weekday() >= 5 for day in make_up_days(year))


# The calendar (seeded from the package) against the notices.


@pytest.mark.parametrize("day", HOLIDAY_WEEKDAYS)
def test_statutory_holiday_on_a_weekday_is_not_a_working_day(day):
    assert not workdays.is_working_day(day)


@pytest.mark.parametrize("day", MAKE_UP_DAYS)
def test_make_up_day_on_a_weekend_is_a_working_day(day):
    assert workdays.is_working_day(day)


@pytest.mark.parametrize("year", OFFICIAL_SCHEDULES)
def test_every_day_of_the_year_matches_the_notice(year):
    mismatches = [
        (str(day), workdays.is_working_day(day))
        for day in days_of(year)
        if workdays.is_working_day(day) != officially_working(day)
    ]

    assert mismatches == []


def test_new_years_eve_2024_is_a_working_day_the_notice_only_encourages_leave():
    assert workdays.is_working_day(d("2024-02-09"))


def test_new_years_eve_is_a_statutory_holiday_from_2025():
    assert not workdays.is_working_day(d("2025-01-28"))
    assert not workdays.is_working_day(d("2026-02-16"))


@pytest.mark.parametrize("year", OFFICIAL_SCHEDULES)
def test_published_years_are_confirmed(year):
    assert workdays.is_year_confirmed(year)


# deadline_after: the examples of DESIGN.md section 5 and the counting rules.


def shanghai(*args) -> dt.datetime:
    return dt.datetime(*args, tzinfo=SHANGHAI)


def test_deadline_after_national_day_example():
    result = workdays.deadline_after(shanghai(2025, 9, 26, 10, 0), 10)

    assert result.value == shanghai(2025, 10, 16, 23, 59, 59)
    assert result.value.weekday() == 3  # Thursday
    assert result.provisional is False


def test_deadline_after_spring_festival_example():
    result = workdays.deadline_after(shanghai(2025, 1, 24, 9, 0), 10)

    assert result.value == shanghai(2025, 2, 13, 23, 59, 59)
    assert result.provisional is False


@pytest.mark.parametrize(
    ("start", "due"),
    [
        # An ordinary Saturday: day 1 is the Monday, not "Monday is day 0".
        pytest.param("2025-03-08", "2025-03-21", id="ordinary-saturday"),
        # A make-up Sunday is a working day, but the starting day is never counted.
        pytest.param("2025-09-28", "2025-10-17", id="make-up-sunday"),
        # Saturday inside a holiday; day 1 is the make-up Sunday after it (2024 is leap).
        pytest.param("2024-02-17", "2024-02-29", id="holiday-saturday"),
        # A statutory holiday on a weekday.
        pytest.param("2025-10-03", "2025-10-21", id="holiday-friday"),
    ],
)
def test_starting_day_is_not_counted_whatever_it_is(start, due):
    result = workdays.deadline_after(dt.datetime.combine(d(start), dt.time(10), SHANGHAI), 10)

    assert result.value == dt.datetime.combine(d(due), workdays.END_OF_DAY, SHANGHAI)


def test_late_evening_counts_the_shanghai_date():
    # Thu 2025-09-25 23:30 in Shanghai is still the 25th there, but 15:30 UTC.
    late_thursday = dt.datetime(2025, 9, 25, 15, 30, tzinfo=UTC)
    # Half an hour after midnight in Shanghai it is Friday, though still the 25th in UTC.
    just_after_midnight = dt.datetime(2025, 9, 25, 16, 30, tzinfo=UTC)

    assert workdays.deadline_after(late_thursday, 10).value == shanghai(2025, 10, 15, 23, 59, 59)
    assert workdays.deadline_after(just_after_midnight, 10).value == shanghai(
        2025, 10, 16, 23, 59, 59
    )


def test_utc_and_shanghai_times_of_one_moment_give_the_same_deadline():
    moment = shanghai(2025, 1, 24, 23, 30)

    in_utc = workdays.deadline_after(moment.astimezone(UTC), 10)
    in_shanghai = workdays.deadline_after(moment, 10)

    assert in_utc == in_shanghai
    assert in_utc.value.astimezone(UTC) == dt.datetime(2025, 2, 13, 15, 59, 59, tzinfo=UTC)


def test_deadline_after_rejects_a_naive_datetime():
    with pytest.raises(ValueError, match="aware"):
        workdays.deadline_after(dt.datetime(2025, 9, 26, 10, 0), 10)


# add_working_days and working_days_between.


def test_add_zero_working_days_gives_the_start_even_on_a_holiday():
    assert workdays.add_working_days(d("2025-10-03"), 0).value == d("2025-10-03")


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        ("2025-09-30", 1, "2025-10-09"),
        ("2025-09-26", 1, "2025-09-28"),
        ("2025-01-24", 10, "2025-02-13"),
        ("2026-02-13", 2, "2026-02-24"),
        ("2025-10-09", -1, "2025-09-30"),
        ("2025-02-05", -3, "2025-01-24"),
        ("2025-02-13", -10, "2025-01-24"),
    ],
)
def test_add_working_days(start, n, expected):
    assert workdays.add_working_days(d(start), n) == (d(expected), False)


@pytest.mark.parametrize(
    ("a", "b", "expected"),
    [
        ("2025-01-24", "2025-02-13", 10),
        ("2025-02-13", "2025-01-24", -10),
        ("2025-09-26", "2025-09-26", 0),
        ("2025-10-01", "2025-10-08", 0),
        ("2024-02-09", "2024-02-19", 2),
        ("2026-02-13", "2026-02-24", 2),
        ("2026-02-24", "2026-02-13", -2),
    ],
)
def test_working_days_between(a, b, expected):
    assert workdays.working_days_between(d(a), d(b)) == (expected, False)


def test_working_days_between_inverts_add_working_days_across_the_spring_festival():
    start = d("2026-02-10")
    for n in range(1, 15):
        end = workdays.add_working_days(start, n).value
        assert workdays.working_days_between(start, end).value == n


# Provisional results: a year whose schedule is not confirmed uses the weekday rule.


def test_computation_reaching_an_unconfirmed_year_is_provisional():
    assert not workdays.is_year_confirmed(2027)

    result = workdays.add_working_days(d("2026-12-25"), 10)

    assert result == (d("2027-01-08"), True)
    assert workdays.deadline_after(shanghai(2026, 12, 25, 10, 0), 10).provisional is True
    assert workdays.working_days_between(d("2026-12-30"), d("2027-01-05")).provisional is True


def test_computation_inside_confirmed_years_is_not_provisional():
    assert workdays.add_working_days(d("2024-01-02"), 700).provisional is False
    assert workdays.working_days_between(d("2024-01-01"), d("2026-12-31")).provisional is False


def test_confirming_a_year_makes_its_computations_final(django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        CalendarYear.objects.create(year=2027, confirmed=True, source="国办发明电〔2026〕")

    assert callbacks, "saving a CalendarYear must schedule a cache invalidation"
    assert workdays.add_working_days(d("2026-12-25"), 10) == (d("2027-01-08"), False)


# Edits to the calendar take effect in the running process.


def test_a_holiday_added_through_the_orm_takes_effect_after_commit(
    django_capture_on_commit_callbacks,
):
    tuesday = d("2026-03-10")
    assert workdays.is_working_day(tuesday)

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        day = CalendarDay.objects.create(date=tuesday, kind=CalendarDay.Kind.HOLIDAY, name="x")
    # Before commit nothing changes: other processes could not see the row yet either.
    assert workdays.is_working_day(tuesday)
    assert len(callbacks) == 1

    callbacks[0]()  # the commit

    assert not workdays.is_working_day(tuesday)
    assert workdays.deadline_after(shanghai(2026, 3, 9, 10, 0), 1).value == shanghai(
        2026, 3, 11, 23, 59, 59
    )

    with django_capture_on_commit_callbacks(execute=True):
        day.delete()

    assert workdays.is_working_day(tuesday)


def test_an_edit_made_by_another_process_is_seen_after_the_version_check_interval():
    tuesday = d("2026-03-10")
    assert workdays.is_working_day(tuesday)
    # Another process commits a row and bumps the shared version; this process's
    # post_save handler never runs, so only the version in the cache tells it.
    CalendarDay.objects.bulk_create([CalendarDay(date=tuesday, kind=CalendarDay.Kind.HOLIDAY)])
    from django.core.cache import cache

    cache.set(workdays.VERSION_KEY, "another-process", timeout=None)

    assert workdays.is_working_day(tuesday)  # within the interval the cached answer stands

    workdays._calendar.checked_at -= workdays.VERSION_CHECK_SECONDS + 1

    assert not workdays.is_working_day(tuesday)


def test_an_invalidation_during_a_load_forces_another_load(monkeypatch):
    tuesday = d("2026-03-10")
    read_rows = CalendarDay.objects.values_list

    def read_then_commit_elsewhere(*args, **kwargs):
        rows = list(read_rows(*args, **kwargs))
        # A request in another thread commits a holiday after our read.
        CalendarDay.objects.bulk_create([CalendarDay(date=tuesday, kind="holiday")])
        workdays.invalidate()
        return rows

    monkeypatch.setattr(CalendarDay.objects, "values_list", read_then_commit_elsewhere)
    workdays.is_working_day(tuesday)  # loads, and is overtaken by the commit
    monkeypatch.undo()

    assert not workdays.is_working_day(tuesday)


def test_a_cache_outage_does_not_stop_the_calendar(monkeypatch):
    workdays.is_working_day(d("2025-01-01"))
    workdays._calendar.checked_at -= workdays.VERSION_CHECK_SECONDS + 1

    def unavailable(*args, **kwargs):
        raise ConnectionError("redis is down")

    monkeypatch.setattr(workdays.cache, "get", unavailable)
    monkeypatch.setattr(workdays.cache, "set", unavailable)

    assert not workdays.is_working_day(d("2025-10-08"))
    workdays.invalidate()  # an edit while the cache is down still resets this process
    assert workdays.is_working_day(d("2025-10-09"))


def test_warm_cache_answers_without_queries(django_assert_num_queries):
    workdays.is_working_day(d("2025-01-01"))
    days = [d("2024-01-01") + dt.timedelta(days=i) for i in range(1000)]

    with django_assert_num_queries(0):
        for day in days:
            workdays.is_working_day(day)
        workdays.deadline_after(shanghai(2025, 9, 26, 10, 0), 10)
        workdays.working_days_between(d("2024-01-01"), d("2026-12-31"))


# The load_calendar command.


def load_calendar() -> str:
    out = io.StringIO()
    call_command("load_calendar", stdout=out)
    return out.getvalue()


def test_load_calendar_is_idempotent():
    # The data migration has already loaded the package.
    count = CalendarDay.objects.count()

    assert "0 days added, 0 updated" in load_calendar()
    assert CalendarDay.objects.count() == count


def test_load_calendar_restores_a_deleted_package_day():
    CalendarDay.objects.filter(date=d("2025-10-08")).delete()

    assert "1 days added" in load_calendar()
    assert CalendarDay.objects.get(date=d("2025-10-08")).kind == CalendarDay.Kind.HOLIDAY
    assert "0 days added, 0 updated" in load_calendar()


def test_load_calendar_leaves_a_manual_day_alone():
    CalendarDay.objects.filter(date=d("2025-10-08")).update(
        kind=CalendarDay.Kind.WORKDAY, name="corrected by hand", source=CalendarDay.Source.MANUAL
    )

    load_calendar()

    day = CalendarDay.objects.get(date=d("2025-10-08"))
    assert (day.kind, day.name, day.source) == ("workday", "corrected by hand", "manual")


def test_working_days_between_counts_as_walking_the_days_does():
    """The count without walking the days (whole weeks, the days left over, then each
    exception in the range) is the walk's for every pair of days over three years of
    holidays and make-up days, both ways, and after a calendar edit."""
    import random

    from liaison.models import CalendarDay

    def walked(a, b):
        lo, hi, sign = (a, b, 1) if a <= b else (b, a, -1)
        count, day = 0, lo
        while day < hi:
            day += dt.timedelta(days=1)
            count += workdays.is_working_day(day)
        return sign * count

    chooser = random.Random(18)
    first = d("2024-12-20")
    for _ in range(400):
        a = first + dt.timedelta(days=chooser.randrange(0, 900))
        b = a + dt.timedelta(days=chooser.randrange(-60, 400))
        assert workdays.working_days_between(a, b).value == walked(a, b), (a, b)
    CalendarDay.objects.create(
        date=d("2025-03-08"), kind=CalendarDay.Kind.WORKDAY, name="test make-up day"
    )
    workdays.invalidate()
    assert workdays.working_days_between(d("2025-03-01"), d("2025-03-31")).value == walked(
        d("2025-03-01"), d("2025-03-31")
    )
