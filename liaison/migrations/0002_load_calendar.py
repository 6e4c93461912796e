"""Seed the working-day calendar from the chinesecalendar package."""

from django.db import migrations


def load(apps, schema_editor):
    from liaison.services import calendar_load_from_package

    calendar_load_from_package(
        models={
            "CalendarDay": apps.get_model("liaison", "CalendarDay"),
            "CalendarYear": apps.get_model("liaison", "CalendarYear"),
        }
    )


class Migration(migrations.Migration):
    dependencies = [("liaison", "0001_initial")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
