"""Reads of bulletins: who sees which (the office and the leaders every one, department heads
the published ones, nobody else any), and the snapshot made ready for the page."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db.models import QuerySet
from django.http import Http404
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from liaison import permissions

from .models import Bulletin
from .sections import SECTIONS


def can_see_bulletins(user) -> bool:
    """The archive: the office, the leaders and department heads."""
    if permissions.can_see_all_departments(user):
        return True
    return permissions.is_department_head(user)


def can_manage_bulletins(user) -> bool:
    """Generate, regenerate, write the foreword, publish, set the thresholds: the office."""
    return permissions.is_office(user)


def visible_to(user) -> QuerySet[Bulletin]:
    bulletins = Bulletin.objects.all()
    if permissions.can_see_all_departments(user):
        return bulletins
    if permissions.is_department_head(user):
        return bulletins.filter(status=Bulletin.Status.PUBLISHED)
    return bulletins.none()


def month_from_slug(slug: str) -> dt.date:
    """2026-11 -> 2026-11-01; anything else is a page that does not exist."""
    try:
        if not re.fullmatch(r"\d{4}-\d{2}", slug):
            raise ValueError(slug)
        return dt.datetime.strptime(slug, "%Y-%m").date()
    except ValueError:
        raise Http404 from None


def bulletin_for_page(user, slug: str) -> Bulletin:
    """The bulletin of the month `slug` if the user may see it (one query), else 404."""
    bulletin = (
        visible_to(user)
        .select_related("published_by", "generated_by")
        .filter(month=month_from_slug(slug))
        .first()
    )
    if bulletin is None:
        raise Http404
    return bulletin


def archive(user) -> QuerySet[Bulletin]:
    """The archive's rows, newest month first (one query; no snapshot read)."""
    return visible_to(user).defer("snapshot", "foreword").order_by("-month")


def _decimal(value):
    return None if value in (None, "") else Decimal(value)


def _localise(value, english: bool):
    """Rates back to Decimals, and an English name where the snapshot has one."""
    if isinstance(value, dict):
        value = {k: _localise(v, english) for k, v in value.items()}
        if english and value.get("name_en"):
            value["name"] = value["name_en"]
        for key in list(value):
            if key.endswith(("_rate", "average_working_days")) and isinstance(value[key], str):
                value[key] = _decimal(value[key])
        return value
    if isinstance(value, list):
        return [_localise(v, english) for v in value]
    return value


def headline_rows() -> list[tuple[str, str, bool]]:
    """(key, label, is a rate) of the headline figures, in order (page and export)."""
    return [
        ("received", _("Received"), False),
        ("accepted", _("Accepted"), False),
        ("concluded", _("Concluded"), False),
        ("conclusion_rate", _("Conclusion rate %"), True),
        ("on_time", _("Concluded on time"), False),
        ("on_time_rate", _("On-time rate %"), True),
        ("evaluated", _("Evaluated"), False),
        ("satisfaction_rate", _("Satisfaction rate %"), True),
        ("overdue", _("Overdue now"), False),
        ("escalated", _("Escalated now"), False),
        ("average_working_days", _("Average handling time (working days)"), False),
    ]


def reason_labels() -> dict[str, str]:
    return {
        "on_time": _("On-time rate below the minimum"),
        "satisfaction": _("Satisfaction rate below the minimum"),
        "overdue": _("Too many problems overdue"),
    }


def _present_headline(data: dict) -> dict:
    current, previous, changes = data["current"], data["previous"], data["changes"]
    data["rows"] = [
        {
            "key": key,
            "label": label,
            "is_rate": is_rate,
            "current": current.get(key),
            "previous": previous.get(key),
            "change": changes.get(key),
        }
        for key, label, is_rate in headline_rows()
    ]
    return data


def _present_departments(data: dict) -> dict:
    labels = reason_labels()
    for row in data["rows"]:
        row["reason_labels"] = [labels.get(reason, reason) for reason in row["reasons"]]
    return data


def _present_key_tasks(data: dict) -> dict:
    from keytasks.models import KeyTask

    names = dict(KeyTask.Status.choices)
    for row in data["rows"]:
        row["status_label"] = str(names.get(row["status"], row["status"]))
    return data


def _present_overdue(data: dict) -> dict:
    for row in data["problems"]:
        row["due_date"] = dt.date.fromisoformat(row["due_date"])
    return data


# What a section's data needs for the page and the export beyond the snapshot: labels in
# the reader's language, dates as dates. Sections added later may register theirs.
PRESENTERS = {
    "headline": _present_headline,
    "departments_below": _present_departments,
    "key_tasks_behind": _present_key_tasks,
    "overdue": _present_overdue,
}


def sections_for_page(bulletin: Bulletin) -> list[tuple]:
    """(section, its data) for each section the snapshot holds, in the page's order."""
    english = not (get_language() or "").startswith("zh")
    held = bulletin.snapshot.get("sections", {})
    shown = []
    for s in SECTIONS:
        if s.key not in held:
            continue
        data = _localise(held[s.key], english)
        present = PRESENTERS.get(s.key)
        shown.append((s, present(data) if present else data))
    return shown


def can_see_all_problems(user) -> bool:
    """Whether the page links a problem's reference to it: the office and the leaders see
    every problem; a department head would find most of them missing."""
    return permissions.can_see_all_departments(user)
