"""Bring the leaders' dashboard summary up to date now (what the beat task does every minute).

python manage.py refresh_dashboard          # the months that changed
python manage.py refresh_dashboard --full   # rebuild every month (as nightly)
"""

from __future__ import annotations

import time

from django.core.management.base import BaseCommand

from dashboard.summary import dashboard_refresh


class Command(BaseCommand):
    help = "Recompute the dashboard summary: the months that changed, or all with --full."

    def add_arguments(self, parser):
        parser.add_argument("--full", action="store_true", help="rebuild every month")

    def handle(self, *args, full: bool, **options):
        started = time.monotonic()
        months = dashboard_refresh(full=full)
        self.stdout.write(
            f"Dashboard summary: {len(months)} month(s) recomputed in "
            f"{time.monotonic() - started:.1f} s"
            + (f" ({', '.join(m.strftime('%Y-%m') for m in months)})" if months else "")
        )
