"""The home page of each role, the leaders' dashboard page and its .xlsx export (figures
from dashboard.figures), and the notification settings page."""

from __future__ import annotations

from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

import audit
from audit.models import Action
from issues.models import Problem
from issues.relief.money import format_yuan
from issues.selectors import ReliefTotals, relief_totals
from keytasks.selectors import leader_home_tasks, leader_panel
from liaison import permissions, workdays
from liaison.models import Role
from liaison.pages import role_required
from liaison.replicas import is_pinned, reads_may_lag
from liaison.templatetags.liaison_tags import person_name
from liaison.xlsx import add_table, new_workbook, rate, workbook_bytes, xlsx_response
from meetings.consultation_selectors import pending_for
from meetings.coordination_selectors import leader_action_items
from notifications import api as outbox
from service.selectors import commissioner_of

from .figures import LEAGUE_SORTS, Dashboard, dashboard, sort_league
from .filters import DashboardFilter
from .forms import NotificationSettingsForm
from .kept import kept
from .selectors import home_context

HOME_TEMPLATES = {
    Role.ENTERPRISE: "dashboard/home_enterprise.html",
    Role.DEPARTMENT_STAFF: "dashboard/home_department.html",
    Role.DEPARTMENT_HEAD: "dashboard/home_department.html",
    Role.OFFICE: "dashboard/home_office.html",
    Role.ADMIN: "dashboard/home_office.html",
    Role.LEADER: "dashboard/home_leader.html",
    Role.PRINCIPAL: "dashboard/home_leader.html",
}


@login_required
@require_GET
def home(request):
    role = permissions.role_of(request.user)
    template = HOME_TEMPLATES.get(role, "dashboard/home_none.html")
    context = home_context(user=request.user, role=role)
    context["can_see_head_phone"] = permissions.can_see_head_phone(request.user)
    if role == Role.ENTERPRISE:
        # Its commissioner (助企专员), with a phone to call (one query).
        context["commissioner"] = commissioner_of(permissions.enterprise_id_of(request.user))
    if role in (Role.LEADER, Role.PRINCIPAL):
        # The action items of the leader's coordination meetings: open, and overdue.
        context["action_items"] = leader_action_items(user=request.user)
        # Consultation requests (会商) waiting for the leader's answer (one query).
        context["pending_consultations"] = pending_for(request.user).count()
        # The leader's key tasks of the year, beside the escalations (one query).
        today = workdays.local_date(timezone.now())
        context["key_tasks"] = leader_home_tasks(request.user, today.year, today)
    return render(request, template, context)


@login_required
@require_http_methods(["GET", "POST"])
def notification_settings(request):
    """The user's notification choices: e-mail on or off, and the e-mails' language."""
    profile = getattr(request.user, "profile", None)
    if profile is None:  # an administrator without a role has nothing to choose
        return render(request, "dashboard/notification_settings.html", {"form": None})
    initial = {"email_notifications": profile.email_notifications, "language": profile.language}
    form = NotificationSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        outbox.preferences_set(user=request.user, **form.cleaned_data)
        messages.success(request, _("Your notification settings were saved."))
        return redirect("notification_settings")
    return render(
        request,
        "dashboard/notification_settings.html",
        {"form": form, "has_email": bool(request.user.email)},
    )


# --- The leaders' dashboard --------------------------------------------------------------


def _own_department(user):
    """A department head's department: their dashboard shows it alone."""
    if permissions.can_see_all_departments(user):
        return None
    return user.profile.department


def _chosen(request) -> DashboardFilter:
    """The filter the request asks for (not yet validated)."""
    return DashboardFilter(
        request.GET, queryset=Problem.objects.all(), department=_own_department(request.user)
    )


def _figures(chosen: DashboardFilter) -> Dashboard:
    department = chosen.forced_department
    return dashboard(
        chosen.qs,
        period=chosen.period(),
        list_params=chosen.list_params(),
        department_id=department.pk if department else None,
        summary=chosen.summary_lookups(),
    )


def _valid_filter(request) -> DashboardFilter:
    """The user's filter; when it is not valid, the default filter, with a message, and the
    user's form (with its errors at the fields) kept for the page."""
    chosen = _chosen(request)
    if not chosen.is_valid():
        messages.error(request, _("The filter was not applied: please correct it."))
        refused = chosen
        chosen = DashboardFilter(
            None, queryset=Problem.objects.all(), department=chosen.forced_department
        )
        chosen.is_valid()
        chosen.shown_errors = refused.form.errors
        chosen.shown_form = refused.form
    return chosen


def _page_figures(request, chosen: DashboardFilter):
    """The page's figures, relief totals and key-task panel for the valid filter `chosen`,
    as counted in this process less than LIAISON_DASHBOARD_KEEP_SECONDS ago for the same
    language, department and filter (dashboard.kept), or counted now."""
    department = chosen.forced_department
    key = (
        "dashboard",
        get_language(),
        department.pk if department else None,
        repr(sorted(chosen.list_params().items())),
    )

    def count():
        figures = _figures(chosen)
        year = figures.period[1].year
        # A department head's page is about the department's problems only.
        panel = leader_panel(year) if department is None else None
        return figures, _relief(chosen), panel

    seconds = settings.LIAISON_DASHBOARD_KEEP_SECONDS
    # Whether the user just wrote: a read of the cache, only when anything is kept.
    return kept(key, count, seconds=seconds, fresh=seconds > 0 and is_pinned(request.user))


def _relief(chosen: DashboardFilter) -> ReliefTotals:
    """Burden relief (减负) of the period (by first answer), of the chosen department if any."""
    first, last = chosen.period()
    return relief_totals(since=first, until=last, department=chosen.form.cleaned_data["department"])


def _relief_tables(relief: ReliefTotals) -> list[tuple[str, list, str]]:
    return [
        (_("By kind"), [row for row in relief.by_kind if row.lines], "relief-kinds"),
        (_("By lead department"), relief.by_department, "relief-departments"),
        (_("By town or street"), relief.by_town, "relief-towns"),
        (_("By year"), relief.by_year, "relief-years"),
    ]


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
            _("(Satisfied + basically satisfied) / evaluated, by the enterprise or by call-back."),
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
@reads_may_lag
def dashboard_page(request):
    chosen = _valid_filter(request)
    figures, relief, key_task_panel = _page_figures(request, chosen)
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
        "dashboard/dashboard.html",
        {
            "filter": chosen,
            "filter_form": getattr(chosen, "shown_form", chosen.form),
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
            "relief": relief,
            "relief_tables": _relief_tables(relief),
            # A stale summary: the office and the administrator are told to check the
            # workers; officials only that the figures are counted live.
            "shows_operations": permissions.is_office(request.user),
            # The year's key tasks per leader (one query); none on a department head's page.
            "key_task_year": key_task_year,
            "key_task_panel": key_task_panel,
        },
    )


# --- export ------------------------------------------------------------------------------


def _figure_columns() -> list[tuple[str, int]]:
    return [
        (_("Received"), 10),
        (_("Accepted"), 10),
        (_("Concluded"), 10),
        (_("Concluded on time"), 12),
        (_("Open"), 10),
        (_("Overdue now"), 10),
        (_("Conclusion rate %"), 12),
        (_("On-time rate %"), 12),
        (_("Satisfaction rate %"), 12),
    ]


def _figure_cells(f) -> list:
    return [
        f.received,
        f.accepted,
        f.concluded,
        f.on_time,
        f.open,
        f.overdue,
        rate(f.conclusion_rate),
        rate(f.on_time_rate),
        rate(f.satisfaction_rate),
    ]


def add_relief_sheet(workbook, relief: ReliefTotals) -> None:
    """Burden relief (减负): the headline in words, then each table; numbers as numbers."""
    rows: list[list] = [
        [
            _("Relieved enterprises of %(amount)s") % {"amount": format_yuan(relief.total.amount)},
            relief.total.amount,
            relief.total.firms,
            relief.total.jobs,
        ]
    ]
    for title, table_rows, _table_id in _relief_tables(relief):
        rows.append([title, "", "", ""])
        rows += [[row.label or _("(none)"), row.amount, row.firms, row.jobs] for row in table_rows]
    add_table(
        workbook,
        sheet_name=_("Burden relief"),
        columns=[("", 36), (_("Amount (yuan)"), 20), (_("Firms"), 10), (_("Jobs"), 10)],
        landscape=False,
        rows=rows,
    )


def dashboard_workbook(
    figures: Dashboard, period_text: str, relief: ReliefTotals | None = None
) -> bytes:
    """The dashboard's tables, one sheet each, headers in the active language."""
    workbook = new_workbook()
    h = figures.headline
    add_table(
        workbook,
        sheet_name=_("Summary"),
        columns=[(_("Figure"), 36), (period_text, 24)],
        landscape=False,
        rows=[
            [_("Received"), h.received],
            [_("Accepted"), h.accepted],
            [_("Concluded"), h.concluded],
            [_("Conclusion rate %"), rate(h.conclusion_rate)],
            [_("Concluded on time"), h.on_time],
            [_("On-time rate %"), rate(h.on_time_rate)],
            [_("Evaluated"), h.evaluated],
            [_("Satisfied or basically satisfied"), h.satisfied],
            [_("Of which evaluated by call-back"), h.evaluated_by_callback],
            [_("Satisfaction rate %"), rate(h.satisfaction_rate)],
            [_("Open"), h.open],
            [_("Overdue now"), h.overdue],
            [_("Escalated now"), h.escalated],
            [_("Average handling time (working days)"), h.average_working_days],
            # The summary's time when the figures come from it, else the time counted.
            [_("Figures as of"), timezone.localtime(figures.as_of or figures.now)],
        ],
    )
    add_table(
        workbook,
        sheet_name=_("Departments"),
        columns=[
            (_("Lead department"), 24),
            *_figure_columns(),
            (_("Average working days"), 12),
        ],
        rows=[[d.label, *_figure_cells(d), d.average_working_days] for d in figures.departments],
    )
    for title, label, rows in (
        (_("Categories"), _("Category"), figures.categories),
        (_("Appeal types"), _("Appeal type"), figures.appeal_types),
        (_("Towns and streets"), _("Town or street"), figures.towns),
        (_("Meetings"), _("Face-to-face meeting"), figures.meetings),
        (_("Months"), _("Month received"), figures.months),
    ):
        add_table(
            workbook,
            sheet_name=title,
            columns=[(label, 24), *_figure_columns()],
            rows=[[f.label or _("(none)"), *_figure_cells(f)] for f in rows],
        )
    add_table(
        workbook,
        sheet_name=_("Escalated"),
        columns=[
            (_("Reference"), 13),
            (_("Problem"), 40),
            (_("Enterprise"), 26),
            (_("Lead department"), 18),
            (_("Responsible leader"), 12),
            (_("Overdue working days"), 12),
        ],
        rows=[
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
    add_table(
        workbook,
        sheet_name=_("Action items overdue"),
        columns=[
            (_("Coordination meeting"), 26),
            (_("Department"), 18),
            (_("Task"), 40),
            (_("Due date"), 15),
            (_("Problem"), 13),
        ],
        rows=[
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
    if relief is not None:
        add_relief_sheet(workbook, relief)
    return workbook_bytes(workbook)


@role_required(permissions.can_view_dashboard)
@require_GET
@reads_may_lag
def dashboard_xlsx(request):
    chosen = _chosen(request)
    if not chosen.is_valid():
        # Only a hand-made link gets here (the page's link carries a valid filter): say what
        # is wrong rather than export other figures than those asked for.
        return render(
            request,
            "dashboard/dashboard_export_refused.html",
            {"form": chosen.form, "back": f"{reverse('dashboard')}?{request.GET.urlencode()}"},
            status=400,
        )
    figures = _figures(chosen)
    first, last = figures.period
    period_text = _("Received %(first)s to %(last)s") % {
        "first": formats.date_format(first),
        "last": formats.date_format(last),
    }
    filename = _("Dashboard %(first)s to %(last)s.xlsx") % {
        "first": first.isoformat(),
        "last": last.isoformat(),
    }
    audit.record(request, Action.EXPORTED, object_type="dashboard", label=filename)
    workbook = dashboard_workbook(figures, period_text, _relief(chosen))
    return xlsx_response(workbook, filename)
