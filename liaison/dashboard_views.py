"""The leaders' dashboard page and its .xlsx export (figures from liaison.dashboard)."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.shortcuts import render
from django.urls import path
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET
from openpyxl import Workbook
from openpyxl.styles import Font

from issues.models import Problem
from issues.views import role_required
from keytasks.selectors import leader_panel
from liaison.templatetags.liaison_tags import person_name

from . import permissions
from .dashboard import LEAGUE_SORTS, Dashboard, dashboard, sort_league
from .dashboard_filters import DashboardFilter
from .xlsx import workbook_bytes, xlsx_response


def _own_department(user):
    """A department head's department: their dashboard shows it alone."""
    if permissions.can_see_all_departments(user):
        return None
    return user.profile.department


def _load(request) -> tuple[DashboardFilter, Dashboard]:
    """The user's filter (the default one, with a message, when it is not valid) and figures."""
    department = _own_department(request.user)
    problems = Problem.objects.all()
    chosen = DashboardFilter(request.GET, queryset=problems, department=department)
    if not chosen.is_valid():
        messages.error(request, _("The filter was not applied: please correct it."))
        errors = chosen.form.errors
        chosen = DashboardFilter(None, queryset=problems, department=department)
        chosen.is_valid()
        chosen.shown_errors = errors
    figures = dashboard(
        chosen.qs,
        period=chosen.period(),
        list_params=chosen.list_params(),
        department_id=department.pk if department else None,
        summary=chosen.summary_lookups(),
    )
    return chosen, figures


def _headline_cards(figures: Dashboard) -> list[tuple[str, object, str, str, str]]:
    """(key, value, label, definition, link) of each headline figure (DESIGN.md §7)."""
    h = figures.headline
    links = h.links
    return [
        ("received", h.received, _("Received"), _("Every problem received."), links["received"]),
        (
            "accepted",
            h.accepted,
            _("Accepted"),
            _("Every problem except those waiting for dispatch and those not accepted."),
            links["accepted"],
        ),
        (
            "concluded",
            h.concluded,
            _("Concluded"),
            _("Answered by the lead department (answered or closed)."),
            links["concluded"],
        ),
        (
            "conclusion_rate",
            h.conclusion_rate,
            _("Conclusion rate"),
            _("Concluded / accepted."),
            links["concluded"],
        ),
        (
            "on_time_rate",
            h.on_time_rate,
            _("On-time rate"),
            _("Concluded, first answered by the deadline in force then / concluded."),
            links["on_time"],
        ),
        (
            "satisfaction_rate",
            h.satisfaction_rate,
            _("Satisfaction rate"),
            _("(Satisfied + basically satisfied) / evaluated by the enterprise."),
            links["satisfied"],
        ),
        (
            "open",
            h.open,
            _("Open"),
            _("Dispatched or in progress."),
            links["open"],
        ),
        (
            "overdue",
            h.overdue,
            _("Overdue now"),
            _("Open with its deadline passed."),
            links["overdue"],
        ),
        (
            "escalated",
            h.escalated,
            _("Escalated now"),
            _("Open and escalated to a district leader."),
            links["escalated"],
        ),
        (
            "handling",
            h.average_working_days,
            _("Average handling time"),
            _("Working days from clock start to first answer, over answered problems."),
            links["concluded"],
        ),
    ]


@role_required(permissions.can_view_dashboard)
@require_GET
def dashboard_page(request):
    chosen, figures = _load(request)
    sort = request.GET.get("sort", "")
    descending = request.GET.get("dir") != "asc"
    departments = sort_league(figures.departments, sort, descending) if sort else None
    params = chosen.export_params()
    sort_links = {
        key: "?"
        + urlencode({**params, "sort": key, "dir": "asc" if key == sort and descending else "desc"})
        for key in LEAGUE_SORTS
    }
    own_department = _own_department(request.user)
    key_task_year = figures.period[1].year
    columns = [
        ("name", _("Lead department"), ""),
        ("received", _("Received"), "text-end"),
        ("concluded", _("Concluded"), "text-end"),
        ("conclusion_rate", _("Conclusion rate"), "text-end"),
        ("on_time", _("On time"), "text-end"),
        ("on_time_rate", _("On-time rate"), "text-end"),
        ("overdue", _("Overdue now"), "text-end"),
        ("handling", _("Average working days"), "text-end"),
        ("satisfaction_rate", _("Satisfaction rate"), "text-end"),
    ]
    return render(
        request,
        "liaison/dashboard.html",
        {
            "filter": chosen,
            "form_errors": getattr(chosen, "shown_errors", None),
            "d": figures,
            "departments": departments if departments is not None else figures.departments,
            "sort": sort if sort in LEAGUE_SORTS else "",
            "descending": descending,
            "league_columns": [(*column, sort_links[column[0]]) for column in columns],
            "export_query": urlencode(params),
            "chart_data": figures.chart_data(),
            "cards": _headline_cards(figures),
            "chart_labels": {
                "received": _("Received"),
                "concluded": _("Concluded"),
                "overdue": _("Overdue now"),
                "on_time_rate": _("On-time rate %"),
            },
            "own_department": own_department,
            # The year's key tasks per leader (one query); a department head's page is
            # about the department's problems only.
            "key_task_year": key_task_year,
            "key_task_panel": leader_panel(key_task_year) if own_department is None else None,
        },
    )


# --- export ------------------------------------------------------------------------------


def _rate(value):
    return None if value is None else float(value) / 100


def _sheet(workbook: Workbook, title: str, headers: list[str], rows: list[list]) -> None:
    sheet = workbook.create_sheet(title=title[:31])
    sheet.append(headers)
    for cell in sheet[1]:
        cell.font = Font(bold=True)
    for row in rows:
        sheet.append(row)
    sheet.freeze_panes = "A2"
    for index, header in enumerate(headers, start=1):
        letter = sheet.cell(row=1, column=index).column_letter
        sheet.column_dimensions[letter].width = max(10, min(40, len(header) * 2 + 2))
    for column in sheet.iter_cols(min_row=2):
        header = column[0].offset(row=-1).value if column else ""
        # "Conclusion rate %" in English, "办结率（%）" in Chinese.
        if header and "%" in str(header):
            for cell in column:
                cell.number_format = "0.0%"


def _figure_headers() -> list[str]:
    return [
        _("Received"),
        _("Accepted"),
        _("Concluded"),
        _("Concluded on time"),
        _("Open"),
        _("Overdue now"),
        _("Conclusion rate %"),
        _("On-time rate %"),
        _("Satisfaction rate %"),
    ]


def _figure_cells(f) -> list:
    return [
        f.received,
        f.accepted,
        f.concluded,
        f.on_time,
        f.open,
        f.overdue,
        _rate(f.conclusion_rate),
        _rate(f.on_time_rate),
        _rate(f.satisfaction_rate),
    ]


def dashboard_workbook(figures: Dashboard, period_text: str) -> bytes:
    """The dashboard's tables, one sheet each, headers in the active language."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    h = figures.headline
    _sheet(
        workbook,
        _("Summary"),
        [_("Figure"), period_text],
        [
            [_("Received"), h.received],
            [_("Accepted"), h.accepted],
            [_("Concluded"), h.concluded],
            [_("Conclusion rate %"), _rate(h.conclusion_rate)],
            [_("Concluded on time"), h.on_time],
            [_("On-time rate %"), _rate(h.on_time_rate)],
            [_("Evaluated"), h.evaluated],
            [_("Satisfied or basically satisfied"), h.satisfied],
            [_("Satisfaction rate %"), _rate(h.satisfaction_rate)],
            [_("Open"), h.open],
            [_("Overdue now"), h.overdue],
            [_("Escalated now"), h.escalated],
            [
                _("Average handling time (working days)"),
                None if h.average_working_days is None else float(h.average_working_days),
            ],
        ],
    )
    summary = workbook[_("Summary")[:31]]
    for row in (5, 7, 10):
        summary.cell(row=row, column=2).number_format = "0.0%"
    _sheet(
        workbook,
        _("Departments"),
        [_("Lead department"), *_figure_headers(), _("Average working days")],
        [
            [
                d.label,
                *_figure_cells(d),
                None if d.average_working_days is None else float(d.average_working_days),
            ]
            for d in figures.departments
        ],
    )
    for title, label, rows in (
        (_("Categories"), _("Category"), figures.categories),
        (_("Towns and streets"), _("Town or street"), figures.towns),
        (_("Meetings"), _("Face-to-face meeting"), figures.meetings),
        (_("Months"), _("Month received"), figures.months),
    ):
        _sheet(
            workbook,
            title,
            [label, *_figure_headers()],
            [[f.label or _("(none)"), *_figure_cells(f)] for f in rows],
        )
    _sheet(
        workbook,
        _("Escalated"),
        [
            _("Reference"),
            _("Problem"),
            _("Enterprise"),
            _("Lead department"),
            _("Responsible leader"),
            _("Overdue working days"),
        ],
        [
            [
                row.problem.reference,
                row.problem.title,
                row.problem.enterprise.name,
                row.problem.lead_department.name if row.problem.lead_department else "",
                person_name(row.leader),
                row.overdue_working_days,
            ]
            for row in figures.escalated
        ],
    )
    _sheet(
        workbook,
        _("Action items overdue"),
        [_("Coordination meeting"), _("Department"), _("Task"), _("Due date"), _("Problem")],
        [
            [
                str(item.meeting),
                item.department.name,
                item.task,
                item.due_date,
                item.problem.reference if item.problem else "",
            ]
            for item in figures.action_items_overdue
        ],
    )
    return workbook_bytes(workbook)


@role_required(permissions.can_view_dashboard)
@require_GET
def dashboard_xlsx(request):
    chosen, figures = _load(request)
    first, last = figures.period
    period_text = _("Received %(first)s to %(last)s") % {
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
    filename = _("dashboard-%(first)s-%(last)s.xlsx") % {
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
    return xlsx_response(dashboard_workbook(figures, period_text), filename)


# Included at "dashboard/" by liaison/urls.py.
urlpatterns = [
    path("", dashboard_page, name="dashboard"),
    path("export.xlsx", dashboard_xlsx, name="dashboard_xlsx"),
]
