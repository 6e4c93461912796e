"""Reads of the audit trail: the two lists the office searches, a page at a time."""

from __future__ import annotations

from dataclasses import dataclass

from auditlog.models import LogEntry
from django.db.models import QuerySet

from .models import AccessEvent

PAGE_SIZE = 50


def access_events() -> QuerySet[AccessEvent]:
    return AccessEvent.objects.select_related("enterprise").order_by("-id")


def change_entries() -> QuerySet[LogEntry]:
    return LogEntry.objects.select_related("content_type", "actor").order_by("-id")


@dataclass
class Page:
    """Newest first, PAGE_SIZE rows older than `before` (an id): a keyset page, which
    costs the same at the millionth row as at the first, and no COUNT."""

    rows: list
    before: int | None
    older: int | None


def page_before(queryset: QuerySet, before: int | None, size: int = PAGE_SIZE) -> Page:
    if before is not None:
        queryset = queryset.filter(id__lt=before)
    rows = list(queryset[: size + 1])
    older = rows[size - 1].id if len(rows) > size else None
    return Page(rows=rows[:size], before=before, older=older)


def _shown(value, choices: dict[str, str]) -> str:
    """A stored value as the page shows it: auditlog writes "None" for no value (a row
    created or deleted, an empty reference)."""
    text = str(value)
    if text == "None":
        return ""
    return choices.get(text, text)


def change_lines(entry: LogEntry) -> list[tuple[str, str, str]]:
    """(field, old, new) of a change entry, fields by their names in the user's language,
    choices by their labels; related records by id (no query per row)."""
    model = entry.content_type.model_class() if entry.content_type_id else None
    lines = []
    for name, value in (entry.changes_dict or {}).items():
        label, choices = name, {}
        if model is not None:
            try:
                field = model._meta.get_field(name)
            except Exception:
                field = None
            if field is not None:
                label = str(getattr(field, "verbose_name", name))
                choices = {str(k): str(v) for k, v in (getattr(field, "flatchoices", None) or [])}
        if isinstance(value, dict):  # many-to-many: {"type": "m2m", "operation", "objects"}
            objects = ", ".join(str(o) for o in value.get("objects", []))
            lines.append((label, str(value.get("operation", "")), objects))
            continue
        old, new = (_shown(v, choices) for v in (list(value) + ["", ""])[:2])
        lines.append((label, old, new))
    return lines
