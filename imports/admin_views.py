"""The admin's "Import from Excel" page: templates, exports, dry run, confirm.

Every view here is wrapped by the admin (admin.site.admin_view, see imports.admin): who
may not use the admin (permissions.can_use_admin) is sent to its login page like
anywhere else in it. The two steps:

1. upload (kind + .xlsx): a dry run. The page lists each row's errors (sheet, row,
   column, message in the user's language) and what the import would create, change
   and leave as it is; nothing is written. A file without errors is kept
   (imports.pending) and the page carries a signed token to confirm it.
2. confirm (the token): the kept file is taken (once: a double click imports once),
   validated again and imported, all or nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import wraps

from django import forms
from django.contrib import admin, messages
from django.http import Http404, HttpResponseRedirect
from django.template.defaultfilters import filesizeformat
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

import audit
from audit.models import Action
from liaison import permissions
from liaison.middleware import accepts_uploads
from liaison.xlsx import xlsx_response

from . import pending
from .exports import export_xlsx, resource_headers, template_xlsx
from .files import MAX_FILE_SIZE
from .history import MEETING_COLUMNS, PROBLEM_COLUMNS
from .services import KIND_LABELS, KINDS, Report, import_workbook

# In the order a district imports them (README: Importing from Excel).
KIND_ORDER = ("officials", "departments", "enterprises", "history")
# A report lists at most this many errors; the count says how many there are.
ERRORS_SHOWN = 500


def office_only(view):
    """Within the admin (can_use_admin), the import is the office's (can_import_records)."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        if not permissions.can_import_records(request.user):
            raise Http404
        return view(request, *args, **kwargs)

    return wrapper


def kind_choices():
    return [(kind, KIND_LABELS[kind]) for kind in KIND_ORDER]


class UploadForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("What the file holds"), choices=kind_choices)
    file = forms.FileField(
        label=gettext_lazy("Excel workbook (.xlsx)"),
        max_length=200,
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx"}),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_FILE_SIZE:
            raise forms.ValidationError(
                _("The file is %(size)s; an import file may be at most %(max)s.")
                % {"size": filesizeformat(upload.size), "max": filesizeformat(MAX_FILE_SIZE)}
            )
        if not upload.name.lower().endswith(".xlsx"):
            raise forms.ValidationError(
                _("Upload an Excel workbook (.xlsx), such as the template.")
            )
        return upload


@dataclass
class ErrorLine:
    sheet: str
    row: int
    column: str
    message: str


def kind_headers(kind: str) -> set[str]:
    if kind == "history":
        return {c[0] for c in MEETING_COLUMNS} | {c[0] for c in PROBLEM_COLUMNS}
    return set(resource_headers(kind))


def error_lines(report: Report) -> list[ErrorLine]:
    """Each message of each bad row, its column split off when it names one."""
    headers = kind_headers(report.kind) if report.kind in KINDS else set()
    lines = []
    for error in report.errors:
        for message in error.messages:
            column, separator, rest = message.partition(": ")
            if separator and column.strip() in headers:
                lines.append(ErrorLine(error.sheet, error.row, column.strip(), rest))
            else:
                lines.append(ErrorLine(error.sheet, error.row, "", message))
    return lines


def _page(request, *, form, report=None, token="", file_name=""):
    lines = error_lines(report) if report else []
    context = {
        **admin.site.each_context(request),
        "title": _("Import from Excel"),
        "form": form,
        "kinds": [(kind, KIND_LABELS[kind]) for kind in KIND_ORDER],
        "report": report,
        "report_kind": KIND_LABELS.get(report.kind, "") if report else "",
        "error_lines": lines[:ERRORS_SHOWN],
        "error_count": len(lines),
        "errors_hidden": max(len(lines) - ERRORS_SHOWN, 0),
        "bad_rows": len({(e.sheet, e.row) for e in report.errors}) if report else 0,
        "token": token,
        "file_name": file_name,
        "max_size": MAX_FILE_SIZE,
    }
    return TemplateResponse(request, "admin/imports/import.html", context)


@office_only
@accepts_uploads(max_files=1, max_file_size=MAX_FILE_SIZE)
def import_page(request):
    """GET: the kinds, their templates and exports, the upload form. POST: the dry run."""
    if request.method != "POST":
        initial = {"kind": request.GET.get("kind")} if request.GET.get("kind") in KINDS else {}
        return _page(request, form=UploadForm(initial=initial))
    form = UploadForm(request.POST, request.FILES)
    if not form.is_valid():
        return _page(request, form=form)
    kind, upload = form.cleaned_data["kind"], form.cleaned_data["file"]
    content = upload.read()
    report = import_workbook(
        kind=kind, name=upload.name, content=content, actor=request.user, dry_run=True
    )
    token = ""
    if report.ok:
        token = pending.stash(user=request.user, kind=kind, name=upload.name, content=content)
    form = UploadForm(initial={"kind": kind})
    return _page(request, form=form, report=report, token=token, file_name=upload.name)


@office_only
@require_POST
def confirm_import(request):
    """Import the file the dry run kept, once, all or nothing."""
    back = HttpResponseRedirect(reverse("admin:imports_import"))
    if "cancel" in request.POST:
        pending.discard(user=request.user)
        messages.info(request, _("The import was cancelled: nothing was written."))
        return back
    try:
        kept = pending.claim(user=request.user, token=request.POST.get("token", ""))
    except pending.PendingRefused as refused:
        messages.error(request, str(refused.message))
        return back
    if kept.kind not in KINDS:
        messages.error(request, _("This confirmation is not valid: upload the file again."))
        return back
    report = import_workbook(
        kind=kept.kind, name=kept.name, content=kept.content, actor=request.user, dry_run=False
    )
    if not report.written:
        messages.error(
            request,
            _(
                "The file no longer passes the checks (the stored data changed since the "
                "dry run): nothing was imported. Correct the rows below and upload it again."
            ),
        )
        form = UploadForm(initial={"kind": kept.kind})
        return _page(request, form=form, report=report, file_name=kept.name)
    messages.success(
        request,
        _(
            "Imported %(name)s (%(kind)s): %(created)s new, %(updated)s changed, "
            "%(skipped)s unchanged."
        )
        % {
            "name": kept.name,
            "kind": KIND_LABELS[kept.kind],
            "created": report.created,
            "updated": report.updated,
            "skipped": report.skipped,
        },
    )
    return HttpResponseRedirect(reverse("admin:imports_import") + f"?kind={kept.kind}")


def _kind_or_404(kind: str) -> str:
    if kind not in KINDS:
        raise Http404
    return kind


@office_only
@require_GET
def template_download(request, kind):
    kind = _kind_or_404(kind)
    name = _("%(kind)s import template") % {"kind": KIND_LABELS[kind]}
    return xlsx_response(template_xlsx(kind), f"{name}.xlsx")


@office_only
@require_GET
def export_download(request, kind):
    kind = _kind_or_404(kind)
    day = timezone.localdate().isoformat()
    name = _("%(kind)s export %(date)s") % {"kind": KIND_LABELS[kind], "date": day}
    audit.record(request, Action.EXPORTED, object_type=kind, label=f"{name}.xlsx")
    return xlsx_response(export_xlsx(kind), f"{name}.xlsx")
