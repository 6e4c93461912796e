"""Published lists (heads' contacts, guidance services) and meeting statistics: pages and .xlsx."""

from __future__ import annotations

from collections.abc import Iterable
from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import render
from django.template.defaultfilters import floatformat
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

import audit
from audit.models import Action
from liaison import permissions
from liaison.pages import role_required
from liaison.privacy import mask_phone
from liaison.selectors import departments_active
from liaison.templatetags.liaison_tags import person_name
from liaison.xlsx import (
    add_table,
    new_workbook,
    rate,
    table_xlsx,
    workbook_bytes,
    xlsx_response,
)

from .statistics import YearStatistics, meeting_years, year_statistics

# Years the statistics page accepts; anything else is refused with a message.
FIRST_YEAR = 2000


# --- who may see what ----------------------------------------------------------------


def can_see_published_lists(user) -> bool:
    """The lists are for enterprises (and officials); public when the setting says so."""
    if settings.LIAISON_PUBLIC_LISTS:
        return True
    return bool(getattr(user, "is_authenticated", False))


def can_see_meeting_statistics(user) -> bool:
    if permissions.is_office(user):
        return True
    if permissions.is_leader(user):
        return True
    return permissions.is_department_head(user)


def published_list(view):
    """Logged-in users only, unless LIAISON_PUBLIC_LISTS opens the lists to everyone."""

    @wraps(view)
    def wrapped(request, *args, **kwargs):
        if not can_see_published_lists(request.user):
            return redirect_to_login(request.get_full_path())
        return view(request, *args, **kwargs)

    return wrapped


# A head's mobile number for a stranger (138****5678), as every masked phone is shown.
masked_phone = mask_phone


# --- published lists ---------------------------------------------------------------------


def _audited(request, action: str, object_type: str, label: str = "") -> None:
    """A signed-in user's view or export of a list is in the audit trail; an anonymous
    visitor's (LIAISON_PUBLIC_LISTS) is not: it sees heads' mobile numbers masked."""
    if request.user.is_authenticated:
        audit.record(request, action, object_type=object_type, label=label)


def _contact_rows(request) -> list[dict]:
    """One row per active department, in display order; heads' mobiles masked for strangers."""
    show_head_phone = permissions.can_see_head_phone(request.user)
    rows = []
    for department in departments_active():
        head_phone = department.head_phone
        rows.append(
            {
                "department": department,
                "head_name": department.head_name,
                "head_phone": head_phone if show_head_phone else masked_phone(head_phone),
                "head_phone_masked": bool(head_phone) and not show_head_phone,
                "office_phone": department.office_phone,
                "leader": person_name(department.supervising_leader),
            }
        )
    return rows


@published_list
@require_GET
def contacts(request):
    """部门“一把手”电话联系清单: who heads each department and how to reach them."""
    _audited(request, Action.VIEWED_CONTACT_LIST, "contacts", _("Department heads' contact list"))
    return render(request, "meetings/lists_contacts.html", {"rows": _contact_rows(request)})


@published_list
@require_GET
def contacts_xlsx(request):
    title = _("Department heads' contact list")
    content = table_xlsx(
        sheet_name=title,
        title=None,
        columns=[
            (_("No."), 6),
            (_("Department"), 28),
            (_("Head"), 12),
            (_("Head's phone"), 16),
            (_("Office phone"), 16),
            (_("Supervising district leader"), 14),
        ],
        landscape=False,
        rows=(
            [
                number,
                row["department"].name,
                row["head_name"],
                row["head_phone"],
                row["office_phone"],
                row["leader"],
            ]
            for number, row in enumerate(_contact_rows(request), start=1)
        ),
    )
    _audited(request, Action.EXPORTED, "contacts", label=f"{title}.xlsx")
    return xlsx_response(content, f"{title}.xlsx")


@published_list
@require_GET
def guidance(request):
    """部门指导服务清单: what each department offers enterprises."""
    departments = [
        (department, department.guidance_service_list()) for department in departments_active()
    ]
    _audited(request, Action.VIEWED_CONTACT_LIST, "guidance", _("Department guidance services"))
    return render(request, "meetings/lists_guidance.html", {"departments": departments})


@published_list
@require_GET
def guidance_xlsx(request):
    title = _("Department guidance services")
    content = table_xlsx(
        sheet_name=title,
        title=None,
        columns=[
            (_("No."), 6),
            (_("Department"), 28),
            (_("Guidance services"), 60),
            (_("Office phone"), 16),
        ],
        rows=(
            [
                number,
                department.name,
                "\n".join(department.guidance_service_list()),
                department.office_phone,
            ]
            for number, department in enumerate(departments_active(), start=1)
        ),
    )
    _audited(request, Action.EXPORTED, "guidance", label=f"{title}.xlsx")
    return xlsx_response(content, f"{title}.xlsx")


# --- meeting statistics ------------------------------------------------------------------


def _chosen_year(request) -> int:
    """?year=YYYY if it is a plausible year; else this year, and the user is told why."""
    this_year = timezone.localdate().year
    raw = request.GET.get("year", "").strip()
    if not raw:
        return this_year
    if raw.isdigit() and FIRST_YEAR <= int(raw) <= this_year + 1:
        return int(raw)
    messages.warning(
        request,
        _("“%(year)s” is not a year with statistics; showing %(this_year)s instead.")
        % {"year": raw[:10], "this_year": this_year},
    )
    return this_year


def _year_choices(chosen: int) -> list[int]:
    return sorted({*meeting_years(), timezone.localdate().year, chosen}, reverse=True)


@role_required(can_see_meeting_statistics)
@require_GET
def statistics(request):
    """Face-to-face meetings of a year: the summary, and one row per meeting."""
    year = _chosen_year(request)
    stats = year_statistics(year)
    return render(
        request,
        "meetings/statistics.html",
        {"year": year, "years": _year_choices(year), "stats": stats, "summary": _summary(stats)},
    )


def percent(value) -> str | None:
    """A rate in percent as shown: "100%", "97.2%"; None when there was nothing to rate."""
    return None if value is None else f"{floatformat(value, -1)}%"


def _summary(stats: YearStatistics) -> list[tuple[str, object, str]]:
    """(key, value, label) of the year's headline figures."""
    return [
        ("meetings_held", stats.meetings_held, _("meetings held")),
        ("enterprises_attended", stats.enterprises_attended, _("enterprises attended")),
        ("problems", stats.problems, _("problems raised")),
        ("concluded", stats.concluded, _("concluded")),
        ("on_time", stats.on_time, _("concluded on time")),
        ("conclusion_rate", percent(stats.conclusion_rate), _("conclusion rate")),
    ]


def _statistics_rows(stats: YearStatistics) -> Iterable[list]:
    for row in stats.meetings:
        meeting = row.meeting
        yield [
            _("No. %(number)s") % {"number": meeting.number},
            meeting.local_date,
            meeting.theme,
            meeting.get_status_display(),
            row.invited,
            row.attended,
            row.problems,
            row.concluded,
            row.on_time,
            rate(row.conclusion_rate),
        ]


@role_required(can_see_meeting_statistics)
@require_GET
def statistics_xlsx(request):
    year = _chosen_year(request)
    stats = year_statistics(year)
    workbook = new_workbook()
    add_table(
        workbook,
        sheet_name=_("Summary"),
        columns=[(_("Year"), 34), (str(year), 14)],
        landscape=False,
        rows=[
            [_("Meetings held"), stats.meetings_held],
            [_("Enterprises attended (distinct)"), stats.enterprises_attended],
            [_("Problems raised"), stats.problems],
            [_("Concluded"), stats.concluded],
            [_("Concluded on time"), stats.on_time],
            [_("Conclusion rate"), rate(stats.conclusion_rate)],
            [_("On-time rate"), rate(stats.on_time_rate)],
        ],
    )
    add_table(
        workbook,
        sheet_name=_("Meetings"),
        columns=[
            (_("Meeting"), 10),
            (_("Date"), 15),
            (_("Theme"), 40),
            (_("Status"), 10),
            (_("Enterprises invited"), 12),
            (_("Enterprises attended"), 12),
            (_("Problems raised"), 12),
            (_("Concluded"), 10),
            (_("Concluded on time"), 12),
            (_("Conclusion rate"), 12),
        ],
        rows=_statistics_rows(stats),
    )
    filename = _("Face-to-face meeting statistics %(year)s") % {"year": year}
    audit.record(request, Action.EXPORTED, object_type="statistics", label=f"{filename}.xlsx")
    return xlsx_response(workbook_bytes(workbook), f"{filename}.xlsx")


urlpatterns = [
    path("lists/contacts/", contacts, name="contacts"),
    path("lists/contacts.xlsx", contacts_xlsx, name="contacts_xlsx"),
    path("lists/guidance/", guidance, name="guidance"),
    path("lists/guidance.xlsx", guidance_xlsx, name="guidance_xlsx"),
    path("statistics/", statistics, name="statistics"),
    path("statistics.xlsx", statistics_xlsx, name="statistics_xlsx"),
]
