"""Importing a workbook: `import_workbook` checks, validates every row, then writes all or nothing.

The admin's import page and `manage.py import_xlsx` both call it. A dry run validates and
writes inside a transaction that is rolled back, so its report (each row's errors, in
the user's language, and what would be created or left as it is) is exactly what the
real import would do. A real import with any error writes nothing. Nobody is notified
of what an import writes (issues.notifications.suppressed): it is history.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import tablib
from django.db import transaction
from django.utils.translation import gettext_lazy as _

from dashboard.summary import dashboard_refresh_months
from issues import notifications
from liaison.locks import hold_advisory_lock

from . import history
from .files import FileRefused, Sheet, read_workbook
from .resources import DepartmentResource, EnterpriseResource, OfficialResource

KINDS = {
    "enterprises": EnterpriseResource,
    "departments": DepartmentResource,
    "officials": OfficialResource,
    "history": None,  # meetings and their problems: imports.history
}
KIND_LABELS = {
    "enterprises": _("Enterprises"),
    "departments": _("Departments"),
    "officials": _("Officials and their roles"),
    "history": _("Past meetings and problems"),
}


@dataclass
class RowError:
    sheet: str
    row: int  # the row's number in the sheet (the header is row 1)
    messages: list[str]


@dataclass
class Report:
    kind: str
    dry_run: bool
    rows: int = 0
    created: int = 0
    updated: int = 0
    skipped: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    # The months of the problems written (history), refreshed on the dashboard.
    months: set[dt.date] = field(default_factory=set)

    @property
    def ok(self) -> bool:
        return not self.errors and not self.file_error

    @property
    def written(self) -> bool:
        return self.ok and not self.dry_run


class _RollBack(Exception):
    pass


def import_workbook(*, kind: str, name: str, content: bytes, actor, dry_run: bool) -> Report:
    """Import the workbook `content` of `kind`; nothing is written unless every row is valid."""
    report = Report(kind=kind, dry_run=dry_run)
    if kind not in KINDS:
        report.file_error = str(_("Unknown kind of import: %(kind)s.") % {"kind": kind})
        return report
    try:
        sheets = read_workbook(name, content)
    except FileRefused as refused:
        report.file_error = str(refused.message)
        return report
    if not sheets:
        report.file_error = str(_("The workbook has no sheet."))
        return report
    try:
        with transaction.atomic(), notifications.suppressed():
            # One import at a time: two offices loading overlapping files would otherwise
            # race to create the same enterprise (a uniqueness error instead of a report).
            hold_advisory_lock("imports.workbook")
            if kind == "history":
                history.import_history(sheets, actor=actor, report=report)
            else:
                _import_resource(KINDS[kind](), sheets[0], report)
            if not report.ok or dry_run:
                raise _RollBack
            if report.months:
                dashboard_refresh_months(report.months)
    except _RollBack:
        pass
    return report


def canonical_headers(headers: list[str], aliases: dict[str, str]) -> list[str]:
    """The template's headers for `headers`, English aliases translated (any case)."""
    lowered = {alias.lower(): header for alias, header in aliases.items()}
    return [lowered.get(h.strip().lower(), h.strip()) for h in headers]


def missing_columns(headers: list[str], required: list[str]) -> list[str]:
    return [header for header in required if header not in headers]


def _import_resource(resource, sheet: Sheet, report: Report) -> None:
    headers = canonical_headers(sheet.headers, resource.ALIASES)
    key_headers = [resource.header_of(name) for name in resource._meta.import_id_fields]
    missing = missing_columns(headers, key_headers)
    if missing:
        report.file_error = str(
            _("The sheet “%(sheet)s” lacks the column(s) %(columns)s: start from the template.")
            % {"sheet": sheet.title, "columns": "、".join(missing)}
        )
        return
    dataset = tablib.Dataset(*[tuple(row) for row in sheet.rows], headers=headers)
    report.rows = len(dataset)
    _duplicate_keys(sheet, headers, key_headers[0], report)
    if _bad_keys(resource, dataset, sheet, report):
        return
    result = resource.import_data(
        dataset, dry_run=False, use_transactions=False, raise_errors=False
    )
    columns = {name: resource.header_of(name) for name in resource.fields}
    for invalid in result.invalid_rows:
        messages = []
        for name, texts in invalid.error_dict.items():
            label = columns.get(name, "")
            messages += [f"{label}: {text}" if label else str(text) for text in texts]
        report.errors.append(RowError(sheet.title, invalid.number + 1, messages))
    for number, errors in result.row_errors():
        report.errors.append(
            RowError(sheet.title, number + 1, [str(error.error) for error in errors])
        )
    for error in result.base_errors:
        report.errors.append(RowError(sheet.title, 0, [str(error.error)]))
    report.errors.sort(key=lambda e: e.row)
    report.created = result.totals.get("new", 0)
    report.updated = result.totals.get("update", 0)
    report.skipped = result.totals.get("skip", 0)


def _bad_keys(resource, dataset, sheet: Sheet, report: Report) -> bool:
    """Report each row whose key cannot be read (too long, control characters); True if any.

    The resource's instance loader reads every row's key before the rows are imported,
    outside their error handling: one such key raised out of import_data (a 500 on the
    import page) instead of being this row's error.
    """
    found = False
    for name in resource._meta.import_id_fields:
        field = resource.fields[name]
        for number, row in enumerate(dataset.dict, start=2):
            try:
                field.clean(row)
            except ValueError as error:
                report.errors.append(
                    RowError(sheet.title, number, [f"{resource.header_of(name)}: {error}"])
                )
                found = True
    if found:
        report.errors.sort(key=lambda e: e.row)
    return found


def _duplicate_keys(sheet: Sheet, headers: list[str], key: str, report: Report) -> None:
    """A key given twice in one file: the second row would silently win."""
    index = headers.index(key)
    seen: dict[str, int] = {}
    for number, row in enumerate(sheet.rows, start=2):
        value = str(row[index]).strip().upper()
        if not value:
            continue
        if value in seen:
            report.errors.append(
                RowError(
                    sheet.title,
                    number,
                    [
                        str(
                            _("%(column)s “%(value)s” is already on row %(row)s.")
                            % {"column": key, "value": row[index], "row": seen[value]}
                        )
                    ],
                )
            )
        else:
            seen[value] = number
