from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PolicyConfig(AppConfig):
    name = "policy"
    verbose_name = _("Common problems")

    def ready(self) -> None:
        # The enterprise's file (service) lists the common problems its problems are
        # linked to; policy builds on service, so it registers that section here.
        from service import hooks as service_hooks

        from .hooks import enterprise_file_section

        service_hooks.register_file_section(enterprise_file_section)

        # The audit trail records every change of a common problem, its measures and
        # milestones; the links and the timeline are rows of their own.
        from audit.changes import track

        from .models import CommonProblem, PolicyMeasure, PolicyMilestone

        track(CommonProblem, exclude_fields=["version", "updated_at"])
        track(PolicyMeasure, m2m_fields={"departments"})
        track(PolicyMilestone)
