from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class ServiceConfig(AppConfig):
    name = "service"
    verbose_name = _("Service to enterprises")

    def ready(self) -> None:
        # Commissioners are told of their enterprises' problems and may raise problems
        # from a visit: issues builds below service, so service registers it here.
        from .hooks import register

        register()

        # The audit trail records who assigned which commissioner and every visit recorded
        # or changed (not the version counter, the reminder's date or the form's key).
        from audit.changes import track

        from .models import CommissionerAssignment, Visit, VisitProblem

        track(CommissionerAssignment)
        track(
            Visit,
            exclude_fields=["version", "follow_up_reminded_on", "submission_key"],
            m2m_fields={"officials"},
        )
        track(VisitProblem)

        # A person's data (liaison.personal_data): what was found at a visit may name the
        # enterprise's people (its contact, the user who signs in for it).
        from liaison import personal_data

        from .selectors import visits_mentioning

        personal_data.register_mentions(visits_mentioning)
