"""Keep the working-day cache and stored deadlines in step with calendar edits; role groups."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import Signal, receiver

from .models import CalendarDay, CalendarYear

# Sent after the commit of a calendar edit, once the calendar is re-read (sender:
# CalendarRevision). The apps above that store times computed from the calendar connect
# to it in their AppConfig.ready (issues recomputes the deadlines of unfinished problems):
# the core never imports them.
calendar_changed = Signal()


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_edited(**kwargs) -> None:
    from .services import calendar_changed

    calendar_changed()


@receiver(post_migrate)
def create_role_groups(sender, **kwargs) -> None:
    if sender.name != "liaison":
        return
    from .services import role_groups_ensure

    role_groups_ensure()
