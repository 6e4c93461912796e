from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Liaison")

    def ready(self) -> None:
        from . import signals  # noqa: F401  (calendar cache invalidation, role groups)
