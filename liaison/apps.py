from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Liaison")

    def ready(self) -> None:
        # The readiness checks of the database, broker and worker (/readyz); calendar
        # cache invalidation and role groups; the session stamps written at login.
        from . import readiness, sessions, signals  # noqa: F401
