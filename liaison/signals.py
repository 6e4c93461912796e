"""Keep the working-day cache and stored deadlines in step with calendar edits; role groups."""

from django.db.models.signals import post_delete, post_migrate, post_save
from django.dispatch import receiver

from .models import CalendarDay, CalendarYear


@receiver([post_save, post_delete], sender=CalendarDay)
@receiver([post_save, post_delete], sender=CalendarYear)
def calendar_changed(**kwargs) -> None:
    from .services import calendar_changed

    calendar_changed()


@receiver(post_migrate)
def create_role_groups(sender, **kwargs) -> None:
    if sender.name != "liaison":
        return
    from .services import role_groups_ensure

    role_groups_ensure()
