"""Freeze the assessment's months whose freezing day has come, or one month.

    python manage.py freeze_assessment                # what the daily beat task does
    python manage.py freeze_assessment --month 2026-03   # that month, if over and not frozen

A frozen month is never recounted here: the office recalculates it on the ranking page.
"""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from dashboard.assessment.services import AssessmentError, assessments_freeze_due, month_freeze
from dashboard.assessment.views import parse_month


class Command(BaseCommand):
    help = "Freeze the department assessment of past months (once each)."

    def add_arguments(self, parser):
        parser.add_argument("--month", help="YYYY-MM: freeze this month only")

    def handle(self, *args, month: str | None, **options):
        if month:
            chosen = parse_month(month)
            if chosen is None:
                raise CommandError("--month is YYYY-MM")
            try:
                frozen = [a for a in [month_freeze(month=chosen)] if a is not None]
            except AssessmentError as error:
                raise CommandError(error.message) from None
        else:
            frozen = assessments_freeze_due()
        for assessment in frozen:
            self.stdout.write(f"frozen {assessment.month:%Y-%m}")
        if not frozen:
            self.stdout.write("nothing to freeze")
