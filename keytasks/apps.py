from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class KeytasksConfig(AppConfig):
    name = "keytasks"
    verbose_name = _("Key tasks")

    def ready(self) -> None:
        # The deadline sweep (issues.deadlines) also flags overdue milestones, each rule
        # in its own transaction; keytasks builds on issues, so it registers its rule here.
        from issues import deadlines

        from .deadlines import flag_overdue_milestones

        deadlines.register_rule("key_task_milestones", flag_overdue_milestones)
