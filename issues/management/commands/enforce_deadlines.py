"""Run the deadline sweep once, now (the Celery beat task runs it every few minutes)."""

from django.core.management.base import BaseCommand

from issues import deadlines
from issues.recompute import deadlines_recompute


class Command(BaseCommand):
    help = "Warn, escalate, remind and auto-close problems whose stored times have passed."

    def add_arguments(self, parser):
        parser.add_argument(
            "--recompute",
            action="store_true",
            help="First recompute every unfinished problem's stored times from the calendar "
            "(after restoring data, or for problems created before the sweep existed).",
        )

    def handle(self, *args, recompute: bool = False, **options):
        if recompute:
            changed = deadlines_recompute(everything=True)
            self.stdout.write(f"recomputed: {changed}")
        result = deadlines.sweep()
        deadlines.sweep_record_run()
        for name, value in result.as_dict().items():
            if name == "failed":
                value = ", ".join(value) or "none"
            self.stdout.write(f"{name}: {value}")
        if result.failed:
            self.stderr.write(self.style.ERROR("some rules failed; see the log"))
