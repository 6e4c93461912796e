from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class IssuesConfig(AppConfig):
    name = "issues"
    verbose_name = _("Problems")

    def ready(self) -> None:
        from liaison import choices, personal_data, readiness
        from liaison.signals import calendar_changed
        from notifications.api import register_html_renderer

        from .deadlines import sweep_readiness_check
        from .models import Category
        from .notifications import html_of
        from .selectors import events_mentioning
        from .tasks import recompute_after_calendar_change

        # A calendar edit moves the stored deadlines of unfinished problems.
        calendar_changed.connect(
            recompute_after_calendar_change, dispatch_uid="issues.recompute_deadlines"
        )
        # The HTML part of an event's e-mail, rendered when it is sent.
        register_html_renderer(html_of)
        # The filter forms' category lists (liaison.choices) are read again on a change.
        choices.watch(Category)
        # /readyz: the sweep's last completed run is recent.
        readiness.register_check("deadline_sweep", sweep_readiness_check)
        # A person's data (liaison.personal_data): timeline entries others wrote that may
        # name them ("handler: 刘洋"), on the problems they submitted, handle or lead.
        personal_data.register_mentions(events_mentioning)
