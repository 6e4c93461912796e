from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardConfig(AppConfig):
    name = "dashboard"
    verbose_name = _("Dashboard")

    def ready(self) -> None:
        from liaison import readiness

        from .bulletin import sections_more
        from .summary import summary_readiness_check

        # The bulletin's sections that other apps' figures make (policy; assessment, relief).
        sections_more.register_all()
        # /readyz: the summary the dashboard reads was refreshed recently.
        readiness.register_check("dashboard_summary", summary_readiness_check)
