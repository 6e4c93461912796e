"""Delete audit records older than the retention (what the nightly beat task does)."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from audit.models import MIN_RETENTION_DAYS
from audit.services import audit_purge


class Command(BaseCommand):
    help = (
        "Delete access records and change entries older than LIAISON_AUDIT_RETENTION_DAYS "
        f"(or --days, at least {MIN_RETENTION_DAYS})."
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help="Keep this many days instead of LIAISON_AUDIT_RETENTION_DAYS.",
        )

    def handle(self, *args, **options):
        days = options["days"] if options["days"] is not None else None
        if days is not None and days < MIN_RETENTION_DAYS:
            raise CommandError(f"--days must be at least {MIN_RETENTION_DAYS}.")
        result = audit_purge(days=days)
        kept = days if days is not None else settings.LIAISON_AUDIT_RETENTION_DAYS
        self.stdout.write(
            f"Kept {kept} days (from {result.before:%Y-%m-%d %H:%M} UTC): deleted "
            f"{result.access_records} access records and {result.change_entries} change entries."
        )
