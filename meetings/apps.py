from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class MeetingsConfig(AppConfig):
    name = "meetings"
    verbose_name = _("Meetings")

    def ready(self) -> None:
        # What issues' workflow and pages ask of meetings: issues builds below meetings,
        # so meetings registers it here (issues.extensions).
        from liaison import choices

        from .hooks import register
        from .models import Meeting

        register()
        # The dashboard's meeting list (liaison.choices) is read again on a change.
        choices.watch(Meeting)
