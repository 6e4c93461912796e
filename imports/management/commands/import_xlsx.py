"""`manage.py import_xlsx <kind> <file> [--dry-run]`: the admin's import, from a shell."""

from pathlib import Path

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from imports.services import KINDS, import_workbook
from liaison.models import Role


class Command(BaseCommand):
    help = "Import enterprises, departments, officials or a past year's meetings from .xlsx."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(KINDS))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="validate, write nothing")
        parser.add_argument(
            "--user", help="the office or admin user the import is recorded as (history)"
        )

    def handle(self, *args, kind, file, dry_run, user, **options):
        path = Path(file)
        if not path.is_file():
            raise CommandError(_("No such file: %(path)s") % {"path": file})
        actor = _actor(user)
        report = import_workbook(
            kind=kind, name=path.name, content=path.read_bytes(), actor=actor, dry_run=dry_run
        )
        if report.file_error:
            raise CommandError(report.file_error)
        for error in report.errors:
            for message in error.messages:
                self.stderr.write(
                    _("%(sheet)s row %(row)s: %(message)s")
                    % {"sheet": error.sheet, "row": error.row, "message": message}
                )
        summary = _(
            "%(rows)s rows: %(created)s new, %(updated)s changed, %(skipped)s unchanged."
        ) % {
            "rows": report.rows,
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
        }
        if report.errors:
            raise CommandError(
                _("%(n)s rows have errors; nothing was imported.") % {"n": len(report.errors)}
            )
        if dry_run:
            self.stdout.write(summary + " " + _("Dry run: nothing was written."))
        else:
            self.stdout.write(summary + " " + _("Imported."))


def _actor(username):
    User = get_user_model()
    users = User.objects.filter(is_active=True, profile__role__in=[Role.OFFICE, Role.ADMIN])
    if username:
        user = users.filter(username=username).first()
        if user is None:
            raise CommandError(
                _("%(name)s is not an active office or admin user.") % {"name": username}
            )
        return user
    user = users.order_by("-profile__role", "pk").first()
    if user is None:
        raise CommandError(_("Create an office or admin user first, or name one with --user."))
    return user
