from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Liaison")

    def ready(self) -> None:
        # The readiness checks of the database, broker and worker (/readyz); calendar
        # cache invalidation and role groups; the session stamps written at login.
        # The filter forms' choice lists (liaison.choices) showing these are read again
        # when one changes.
        from django.contrib.auth import get_user_model

        from . import choices, readiness, sessions, signals  # noqa: F401
        from .models import Department, Enterprise, Profile

        choices.watch(Department, Enterprise, Profile, get_user_model())
