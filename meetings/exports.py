"""The handling list (问题办理清单) of a face-to-face meeting as an .xlsx workbook (openpyxl)."""

from __future__ import annotations

from django.utils.translation import gettext as _

from issues.models import Status
from liaison import workdays
from liaison.templatetags.liaison_tags import person_name
from liaison.xlsx import table_xlsx

from .models import Meeting


def handling_list_columns() -> list[tuple[str, int]]:
    """(header, width in characters) of each column, in the active language."""
    return [
        (_("No."), 6),
        (_("Reference"), 13),
        (_("Enterprise"), 26),
        (_("Problem"), 40),
        (_("Appeal type"), 12),
        (_("Lead department"), 18),
        (_("Co-departments"), 20),
        (_("Responsible leader"), 12),
        (_("Deadline"), 15),
        (_("Status"), 14),
        (_("Answer"), 50),
    ]


def handling_list_title(meeting: Meeting) -> str:
    return _("Handling list of face-to-face meeting No. %(number)s of %(year)s: %(theme)s") % {
        "number": meeting.number,
        "year": meeting.year,
        "theme": meeting.theme,
    }


def handling_list_filename(meeting: Meeting) -> str:
    """2026年第4期面对面联系会议问题办理清单.xlsx: the meeting as its page names it."""
    return _("Handling list of face-to-face meeting No. %(number)s of %(year)s.xlsx") % {
        "year": meeting.year,
        "number": meeting.number,
    }


def deadline_cell(problem):
    """The deadline's date (a date in the sheet), or why there is none yet."""
    if problem.due_at is not None:
        return workdays.local_date(problem.due_at)
    if problem.status == Status.DISPATCHED and problem.meeting_id is not None:
        return _("starts at the meeting")
    return None


def answer_text(problem) -> str:
    if problem.status == Status.REJECTED:
        return problem.rejection_reason
    return problem.answer


def handling_list_rows(problems) -> list[list]:
    rows = []
    for n, problem in enumerate(problems, start=1):
        department = problem.lead_department
        rows.append(
            [
                n,
                problem.reference,
                problem.enterprise.name,
                problem.title,
                problem.get_appeal_type_display(),
                department.name if department else "",
                "、".join(d.name for d in problem.co_departments.all()),
                person_name(problem.responsible) if problem.responsible else "",
                deadline_cell(problem),
                problem.get_status_display(),
                answer_text(problem),
            ]
        )
    return rows


def handling_list_xlsx(meeting: Meeting, problems) -> bytes:
    """The workbook: a title row, a frozen header row, one wrapped row per problem."""
    return table_xlsx(
        sheet_name=_("Handling list"),
        title=handling_list_title(meeting),
        columns=handling_list_columns(),
        rows=handling_list_rows(problems),
    )
