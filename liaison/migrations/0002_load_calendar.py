"""Seed the working-day calendar from the chinesecalendar package.

Self-contained (no import of the app's code, which changes after this migration is
written): the copy `liaison.services.calendar_load_from_package` makes, on an empty
calendar. `manage.py load_calendar` brings it up to date later.
"""

from django.db import migrations


def load(apps, schema_editor):
    from chinese_calendar.constants import holidays, workdays

    CalendarDay = apps.get_model("liaison", "CalendarDay")
    CalendarYear = apps.get_model("liaison", "CalendarYear")
    wanted = {}
    for day, name in holidays.items():
        if day.weekday() < 5:  # a holiday on a weekend changes nothing
            wanted[day] = ("holiday", str(name))
    for day, name in workdays.items():
        if day.weekday() >= 5:  # a make-up working day is always a weekend day
            wanted[day] = ("workday", str(name))
    existing = set(CalendarDay.objects.filter(date__in=wanted).values_list("date", flat=True))
    CalendarDay.objects.bulk_create(
        CalendarDay(date=day, kind=kind, name=name, source="chinesecalendar")
        for day, (kind, name) in sorted(wanted.items())
        if day not in existing
    )
    for year in sorted({day.year for day in holidays}):
        CalendarYear.objects.update_or_create(
            year=year, defaults={"confirmed": True, "source": "chinesecalendar"}
        )


class Migration(migrations.Migration):
    dependencies = [("liaison", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
