"""The year's key tasks as an .xlsx workbook (openpyxl), for the year-end review."""

from __future__ import annotations

import io

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from liaison.templatetags.liaison_tags import person_name
from meetings.exports import XLSX_CONTENT_TYPE, content_disposition

from .models import KeyTask

__all__ = ["XLSX_CONTENT_TYPE", "content_disposition", "year_title", "year_xlsx"]


def year_title(year: int, tasks) -> str:
    """ "2017: 29 tasks, 29 done" """
    done = sum(1 for task in tasks if task.status == KeyTask.Status.DONE)
    return ngettext(
        "%(year)s: %(n)d key task, %(done)d done",
        "%(year)s: %(n)d key tasks, %(done)d done",
        len(tasks),
    ) % {"year": year, "n": len(tasks), "done": done}


def year_filename(year: int) -> str:
    return _("key-tasks-%(year)s.xlsx") % {"year": year}


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
        done = milestone.done_date.isoformat() if milestone.done_date else _("not done")
        lines.append(f"{milestone.due_date.isoformat()} {milestone.title} — {done}")
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
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    columns = year_columns()
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = str(year)
    sheet.append([year_title(year, tasks)])
    sheet.merge_cells(start_row=1, start_column=1, end_row=1, end_column=len(columns))
    sheet["A1"].font = Font(bold=True, size=14)
    sheet["A1"].alignment = Alignment(horizontal="center")
    sheet.append([header for header, _width in columns])
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    for cell in sheet[2]:
        cell.font = Font(bold=True)
        cell.fill = PatternFill("solid", fgColor="DDE4EE")
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        cell.border = border
    for row in year_rows(tasks):
        sheet.append(row)
        for cell in sheet[sheet.max_row]:
            cell.alignment = Alignment(vertical="top", wrap_text=True)
            cell.border = border
    for index, (_header, width) in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A3"
    sheet.print_title_rows = "2:2"
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
