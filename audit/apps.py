from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AuditConfig(AppConfig):
    name = "audit"
    verbose_name = _("Audit trail")

    def ready(self) -> None:
        # Sign-in, sign-out and failed sign-ins (django.contrib.auth's signals), and the
        # change entries of the core's organisations, people, roles and calendar.
        from . import changes, signals  # noqa: F401

        changes.track_core_models()
