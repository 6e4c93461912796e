"""/audit/: the office searches the audit trail (reads and sign-ins, changes) and exports it."""

from __future__ import annotations

from django.shortcuts import render
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from liaison import permissions
from liaison.models import Role
from liaison.pages import role_required
from liaison.replicas import reads_may_lag
from liaison.xlsx import table_xlsx, xlsx_response

from . import selectors
from .filters import CHANGE_ACTIONS, AccessEventFilter, ChangeEntryFilter
from .models import AccessEvent, Action
from .services import access_record

CHANGES = "changes"
ACCESS = "access"
# An export holds at most this many rows, newest first; the sheet's title says so.
EXPORT_MAX_ROWS = 20_000
MAX_ID = 2**63 - 1


def _tab(request) -> str:
    return CHANGES if request.GET.get("tab") == CHANGES else ACCESS


def _filter(request, tab: str):
    data = request.GET.copy()
    for key in ("tab", "before"):
        data.pop(key, None)
    if tab == CHANGES:
        return ChangeEntryFilter(data, queryset=selectors.change_entries())
    return AccessEventFilter(data, queryset=selectors.access_events())


def _active(chosen) -> list[tuple[str, str]]:
    """(label, value) of each filter in use, for the line above the list."""
    shown = []
    for name, field in chosen.form.fields.items():
        value = chosen.form.cleaned_data.get(name)
        if value in (None, ""):
            continue
        if hasattr(field, "choices") and not hasattr(value, "pk"):
            value = {str(key): label for key, label in field.choices}.get(str(value), value)
        if hasattr(value, "isoformat"):
            value = formats.date_format(value)
        shown.append((str(field.label), str(value)))
    return shown


def _before(request) -> int | None:
    raw = request.GET.get("before", "")
    if raw.isascii() and raw.isdigit() and 0 < int(raw) <= MAX_ID:
        return int(raw)
    return None


def _querystring(request, **changes) -> str:
    query = request.GET.copy()
    query.pop("before", None)
    for key, value in changes.items():
        if value is None:
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@role_required(permissions.is_office)
@never_cache
@require_GET
def audit_page(request):
    tab = _tab(request)
    chosen = _filter(request, tab)
    page, active = None, []
    if chosen.is_valid():
        active = _active(chosen)
        page = selectors.page_before(chosen.qs, _before(request))
        if tab == CHANGES:
            actions = dict(CHANGE_ACTIONS)
            page.rows = [
                (
                    entry,
                    actions.get(entry.action, ""),
                    _record_type(entry),
                    selectors.change_lines(entry),
                )
                for entry in page.rows
            ]
    return render(
        request,
        "audit/audit_page.html",
        {
            "tab": tab,
            "filter": chosen,
            "page": page,
            "active_filters": active,
            "access_tab_query": _querystring(request, tab=None, action=None, record_type=None),
            "changes_tab_query": _querystring(request, tab=CHANGES, action=None, record_type=None),
            "this_query": _querystring(request),
            "older_query": _querystring(request, before=str(page.older))
            if page and page.older
            else "",
        },
    )


def _record_type(entry) -> str:
    model = entry.content_type.model_class()
    return str(model._meta.verbose_name) if model else entry.content_type.model


def _access_rows(events):
    labels, roles = dict(Action.choices), dict(Role.choices)
    for event in events:
        yield [
            event.at,
            event.username,
            str(roles.get(event.role, event.role)),
            str(labels.get(event.action, event.action)),
            event.object_type,
            event.object_label or event.object_id,
            event.enterprise.name if event.enterprise else "",
            event.ip_address or "",
            event.path,
            event.detail,
        ]


def _change_rows(entries):
    actions = dict(CHANGE_ACTIONS)
    for entry in entries:
        lines = selectors.change_lines(entry)
        yield [
            entry.timestamp,
            entry.actor.get_username() if entry.actor else "",
            str(actions.get(entry.action, entry.action)),
            _record_type(entry),
            entry.object_repr,
            "\n".join(f"{field}: {old} → {new}" for field, old, new in lines),
            entry.remote_addr or "",
        ]


@role_required(permissions.is_office)
@never_cache
@require_GET
@reads_may_lag
def audit_xlsx(request):
    tab = _tab(request)
    chosen = _filter(request, tab)
    if not chosen.is_valid():
        return render(
            request,
            "audit/audit_page.html",
            {"tab": tab, "filter": chosen, "page": None, "this_query": _querystring(request)},
            status=400,
        )
    rows = list(chosen.qs[:EXPORT_MAX_ROWS])
    day = timezone.localdate().isoformat()
    if tab == CHANGES:
        name = _("Audit trail, changes %(date)s") % {"date": day}
        columns = [
            (_("Time"), 18),
            (_("User"), 16),
            (_("Change"), 10),
            (_("Record type"), 16),
            (_("Record"), 30),
            (_("What changed"), 60),
            (_("IP address"), 16),
        ]
        table = _change_rows(rows)
    else:
        name = _("Audit trail, access %(date)s") % {"date": day}
        columns = [
            (_("Time"), 18),
            (_("User"), 16),
            (_("Role"), 12),
            (_("Action"), 20),
            (_("Object type"), 14),
            (_("Object"), 30),
            (_("Enterprise"), 24),
            (_("IP address"), 16),
            (_("Page"), 30),
            (_("Detail"), 24),
        ]
        table = _access_rows(rows)
    title = name
    if len(rows) == EXPORT_MAX_ROWS:
        title = _("%(name)s (the newest %(count)s rows: narrow the filters for the rest)") % {
            "name": name,
            "count": EXPORT_MAX_ROWS,
        }
    content = table_xlsx(sheet_name=name, title=title, columns=columns, rows=table)
    # Exporting the trail is itself in the trail.
    access_record(
        request,
        Action.EXPORTED,
        object_type=AccessEvent._meta.model_name if tab == ACCESS else "logentry",
        label=f"{name}.xlsx",
        detail=_querystring(request),
    )
    return xlsx_response(content, f"{name}.xlsx")
