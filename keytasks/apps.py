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

        # The audit trail records every change of a key task and its milestones (progress
        # reports are append-only rows of their own). Not the version counter, bumped by
        # every change, nor the time of the last one, which the entry has.
        from audit.changes import track

        from .models import KeyTask, Milestone

        track(
            KeyTask,
            exclude_fields=["version", "updated_at"],
            m2m_fields={"supporting_departments"},
        )
        track(Milestone, exclude_fields=["flagged_at", "behind_at"])
