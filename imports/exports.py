"""The .xlsx templates (Chinese headers, one example row) and exports in the same columns.

An export is a file the import takes back: the same headers and sheets. Every cell is
written by liaison.xlsx (user text stays text, never a formula).
"""

from __future__ import annotations

from django.db.models import Prefetch
from django.utils import timezone

from issues.models import CONCLUDED_STATUSES, Problem, Satisfaction
from liaison import xlsx
from meetings.models import Invitation, Meeting

from .history import (
    APPEAL_TYPE_NAMES,
    MEETING_COLUMNS,
    MEETING_SHEET,
    PROBLEM_COLUMNS,
    PROBLEM_SHEET,
)
from .services import KINDS

WIDTH = 18


def _columns(headers) -> list[tuple[str, int]]:
    return [(header, WIDTH) for header in headers]


def resource_headers(kind: str) -> list[str]:
    resource = KINDS[kind]()
    return [str(field.column_name) for field in resource.get_export_fields()]


def template_xlsx(kind: str) -> bytes:
    """An empty workbook of `kind`'s columns: what the office fills in."""
    workbook = xlsx.new_workbook()
    if kind == "history":
        xlsx.add_table(
            workbook,
            sheet_name=MEETING_SHEET,
            title=None,
            columns=_columns([c[0] for c in MEETING_COLUMNS]),
            rows=[],
        )
        xlsx.add_table(
            workbook,
            sheet_name=PROBLEM_SHEET,
            title=None,
            columns=_columns([c[0] for c in PROBLEM_COLUMNS]),
            rows=[],
        )
    else:
        xlsx.add_table(
            workbook, sheet_name=kind, title=None, columns=_columns(resource_headers(kind)), rows=[]
        )
    return xlsx.workbook_bytes(workbook)  # fmt: skip


def export_xlsx(kind: str) -> bytes:
    """Everything of `kind` stored now, in the template's columns."""
    workbook = xlsx.new_workbook()
    if kind == "history":
        meetings, problems = history_rows()
        xlsx.add_table(
            workbook,
            sheet_name=MEETING_SHEET,
            title=None,
            columns=_columns([c[0] for c in MEETING_COLUMNS]),
            rows=meetings,
        )
        xlsx.add_table(
            workbook,
            sheet_name=PROBLEM_SHEET,
            title=None,
            columns=_columns([c[0] for c in PROBLEM_COLUMNS]),
            rows=problems,
        )
    else:
        resource = KINDS[kind]()
        dataset = resource.export()
        rows = ([("" if v is None else v) for v in row] for row in dataset)
        xlsx.add_table(
            workbook, sheet_name=kind, title=None, columns=_columns(dataset.headers), rows=rows
        )
    return xlsx.workbook_bytes(workbook)  # fmt: skip


def _local(moment):
    return timezone.localtime(moment).date() if moment else ""


SATISFACTION_LABELS = {
    Satisfaction.SATISFIED: "满意",
    Satisfaction.BASICALLY: "基本满意",
    Satisfaction.NOT_EVALUATED: "未评价",
}


# 咨询、求决、建议、投诉: what the import reads back.
APPEAL_TYPE_LABELS = {
    value: name for name, value in APPEAL_TYPE_NAMES.items() if not name.isascii()
}


def history_rows() -> tuple[list[list], list[list]]:
    """The held meetings and the concluded problems, as the history sheets hold them."""
    meetings = (
        Meeting.objects.exclude(status=Meeting.Status.PLANNED)
        .prefetch_related(
            "presiding_leaders",
            "departments",
            Prefetch("invitations", Invitation.objects.select_related("enterprise")),
        )
        .order_by("starts_at", "pk")
    )
    meeting_rows = []
    for m in meetings:
        invitations = list(m.invitations.all())
        meeting_rows.append(
            [
                m.local_date,
                timezone.localtime(m.starts_at).strftime("%H:%M"),
                m.theme,
                m.venue,
                "、".join(u.username for u in m.presiding_leaders.all()),
                "、".join(d.name for d in m.departments.all()),
                "、".join(i.enterprise.credit_code for i in invitations),
                "、".join(i.enterprise.credit_code for i in invitations if i.attended),
                m.minutes,
                _local(m.closed_at),
            ]
        )
    problems = (
        Problem.objects.filter(status__in=CONCLUDED_STATUSES, closed_at__isnull=False)
        .exclude(satisfaction="")
        .select_related(
            "enterprise", "category", "lead_department", "responsible_leader", "meeting"
        )
        .prefetch_related("co_departments")
        .order_by("created_at", "pk")
    )
    dispatched = {}
    problem_rows = []
    for p in problems:
        dispatched[p.pk] = p.clock_started_at
        problem_rows.append(
            [
                p.reference,
                p.enterprise.credit_code,
                p.meeting.local_date if p.meeting else "",
                p.meeting.theme if p.meeting else "",
                p.title,
                p.description,
                p.category.name_zh,
                p.lead_department.name,
                "、".join(d.name for d in p.co_departments.all()),
                p.responsible_leader.username if p.responsible_leader else "",
                _local(p.created_at),
                _local(p.created_at) if p.meeting else _local(p.clock_started_at),
                _local(p.first_resolved_at),
                p.answer,
                SATISFACTION_LABELS.get(p.satisfaction, ""),
                _local(p.closed_at),
                APPEAL_TYPE_LABELS[p.appeal_type],
            ]
        )
    return meeting_rows, problem_rows
