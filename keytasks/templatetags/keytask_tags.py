"""Key-task template helpers: the status badge's colour."""

from django import template

register = template.Library()

STATUS_CLASS = {
    "not_started": "text-bg-secondary",
    "on_track": "text-bg-primary",
    "at_risk": "text-bg-warning",
    "behind": "text-bg-danger",
    "done": "text-bg-success",
}


@register.filter
def keytask_status_class(status: str) -> str:
    return STATUS_CLASS.get(status, "text-bg-light")
