from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from liaison import readiness

        from .summary import summary_readiness_check

        # /readyz: the summary the dashboard reads was refreshed recently.
        readiness.register_check("dashboard_summary", summary_readiness_check)
