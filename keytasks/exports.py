"""The year's key tasks as an .xlsx workbook (openpyxl), for the year-end review."""

from __future__ import annotations

from django.utils import formats
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from liaison.templatetags.liaison_tags import person_name
from liaison.xlsx import table_xlsx

from .models import KeyTask


def year_title(year: int, tasks) -> str:
    """ "2017: 29 tasks, 29 done" """
    done = sum(1 for task in tasks if task.status == KeyTask.Status.DONE)
    return ngettext(
        "%(year)s: %(n)d key task, %(done)d done",
        "%(year)s: %(n)d key tasks, %(done)d done",
        len(tasks),
    ) % {"year": year, "n": len(tasks), "done": done}


def year_filename(year: int) -> str:
    return _("Key tasks %(year)s.xlsx") % {"year": year}


def year_columns() -> list[tuple[str, int]]:
    return [
        (_("No."), 6),
        (_("Key task"), 30),
        (_("Target"), 36),
        (_("Leading district leader"), 12),
        (_("Lead department"), 18),
        (_("Supporting departments"), 24),
        (_("Status"), 10),
        (_("Progress (%)"), 10),
        (_("Milestones done"), 12),
        (_("Overdue milestones"), 12),
        (_("Milestones"), 50),
    ]


def milestones_text(task) -> str:
    lines = []
    for milestone in task.milestones.all():
        # Text in one cell, so dates as the reader writes them (the sheet's dates are dates).
        done = formats.date_format(milestone.done_date) if milestone.done_date else _("not done")
        lines.append(f"{formats.date_format(milestone.due_date)} {milestone.title} — {done}")
    return "\n".join(lines)


def year_rows(tasks) -> list[list]:
    return [
        [
            task.number,
            task.title,
            task.target,
            person_name(task.leader),
            task.lead_department.name,
            "、".join(d.name for d in task.supporting_departments.all()),
            task.get_status_display(),
            task.percent,
            f"{task.milestones_done}/{task.milestones_total}",
            task.overdue_count,
            milestones_text(task),
        ]
        for task in tasks
    ]


def year_xlsx(year: int, tasks) -> bytes:
    """A title row ("2017: 29 key tasks, 29 done"), a frozen header row, a row per task."""
    return table_xlsx(
        sheet_name=str(year),
        title=year_title(year, tasks),
        columns=year_columns(),
        rows=year_rows(tasks),
    )
