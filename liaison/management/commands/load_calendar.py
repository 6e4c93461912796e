"""Load the official holiday schedules from the chinesecalendar package (idempotent)."""

from django.core.management.base import BaseCommand

from liaison.services import calendar_load_from_package


class Command(BaseCommand):
    help = "Copy holidays and make-up working days from the chinesecalendar package."

    def handle(self, *args, **options):
        result = calendar_load_from_package()
        years = result.years_confirmed
        self.stdout.write(
            f"Calendar: {result.created} days added, {result.updated} updated; "
            f"years {years[0]}-{years[-1]} confirmed."
        )
