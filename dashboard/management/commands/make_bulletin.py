"""Generate a month's bulletin (a draft), as the monthly task does on the first working day.

    python manage.py make_bulletin --month 2026-11 [--regenerate]

Idempotent: a month that has its bulletin already is left as it is (say --regenerate to
count a draft's figures again; a published bulletin never changes).
"""

from __future__ import annotations

import datetime as dt
import re

from django.core.management.base import BaseCommand, CommandError

from dashboard.bulletin import services


def _month(value: str) -> dt.date:
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", value):
            raise ValueError(value)
        return dt.datetime.strptime(value, "%Y-%m").date()
    except ValueError:
        raise CommandError(f"--month must be YYYY-MM, e.g. 2026-11 (not {value!r})") from None


class Command(BaseCommand):
    help = "Generate the monthly bulletin of --month YYYY-MM (a draft), once."

    def add_arguments(self, parser):
        parser.add_argument("--month", required=True, help="YYYY-MM, a month that is over")
        parser.add_argument(
            "--regenerate", action="store_true", help="count a draft's figures again"
        )

    def handle(self, *args, month: str, regenerate: bool, **options):
        try:
            bulletin, created = services.bulletin_generate(month=_month(month))
            if not created and regenerate:
                if bulletin.is_published:
                    raise CommandError(f"The bulletin of {bulletin.slug} is published: it stays.")
                bulletin = services.bulletin_regenerate(bulletin_id=bulletin.pk, by=None)
                self.stdout.write(f"Regenerated the draft bulletin of {bulletin.slug}.")
                return
        except services.BulletinError as error:
            raise CommandError(str(error.message)) from None
        if created:
            self.stdout.write(f"Generated the bulletin of {bulletin.slug} (draft).")
        else:
            self.stdout.write(
                f"The bulletin of {bulletin.slug} exists already ({bulletin.status}): "
                "left as it is."
            )
