"""Every .xlsx download goes through here: tables whose user text is stored as text (never
a formula), dates as dates, rates as exact percentages, printable on A4.

A spreadsheet evaluates what looks like a formula: a company calling itself
`=HYPERLINK("http://…","请点击查看附件")` must not put a live link into the office's
handling list. So every value is written by `write_cell`, which stores strings as text
cells and marks those a spreadsheet would act on with the quote prefix (Excel keeps
them text when someone edits the cell).
"""

from __future__ import annotations

import datetime as dt
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import Decimal

from django.http import HttpResponse
from django.utils import timezone
from django.utils.http import content_disposition_header
from django.utils.translation import get_language
from django.utils.translation import gettext as _

CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

# Typed into a cell (or pasted from a CSV), text starting with one of these is a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r", "\n")
# Characters XML 1.0 cannot hold (openpyxl refuses them): dropped from the text.
_ILLEGAL_CHARACTERS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
# The most a cell holds; Excel reports a longer one as damage to repair.
CELL_MAX_CHARACTERS = 32_767
SHEET_TITLE_MAX = 31
_SHEET_TITLE_ILLEGAL = re.compile(r"[\[\]:*?/\\]")

PERCENT_FORMAT = "0.0%"


def date_format() -> str:
    """Excel's number format for a date: 2025年3月4日 in Chinese, 2025-03-04 otherwise."""
    if (get_language() or "").startswith("zh"):
        return 'yyyy"年"m"月"d"日"'
    return "yyyy-mm-dd"


def datetime_format() -> str:
    return f"{date_format()} hh:mm"


@dataclass(frozen=True)
class Rate:
    """A rate in percent as issues.metrics gives it (Decimal("43.8")); its cell holds
    0.438 exactly and shows 43.8% (empty, still formatted, when there was nothing to rate)."""

    percent: Decimal | None


def rate(percent: Decimal | None) -> Rate:
    return Rate(None if percent is None else Decimal(percent))


def cell_text(value) -> str:
    """`value` as the text a cell can hold: line breaks as LF (XML reads a CR as one
    anyway), no characters XML forbids, no longer than a cell allows."""
    text = str(value).replace("\r\n", "\n").replace("\r", "\n")
    return _ILLEGAL_CHARACTERS.sub("", text)[:CELL_MAX_CHARACTERS]


def write_cell(cell, value) -> None:
    """Put `value` in `cell` as what it is: numbers and dates as such, anything else as text."""
    if value is None:
        cell.value = None
    elif isinstance(value, Rate):
        cell.value = None if value.percent is None else value.percent / 100
        cell.number_format = PERCENT_FORMAT
    elif isinstance(value, (int, Decimal)):
        cell.value = value
    elif isinstance(value, float):
        # Rounded, so 0.1 + 0.2 never shows as 0.30000000000000004.
        cell.value = round(value, 6)
    elif isinstance(value, dt.datetime):
        if timezone.is_aware(value):
            value = timezone.make_naive(value)  # Excel has no time zones: local time
        cell.value = value.replace(microsecond=0)
        cell.number_format = datetime_format()
    elif isinstance(value, dt.date):
        cell.value = value
        cell.number_format = date_format()
    else:
        text = cell_text(value)
        cell.value = text
        # openpyxl makes "=…" a formula cell: store it as the text it is.
        cell.data_type = "s"
        if text.startswith(FORMULA_PREFIXES):
            cell.quotePrefix = True


def sheet_title(text: str) -> str:
    """A sheet name Excel accepts: none of []:*?/\\, at most 31 characters."""
    return _SHEET_TITLE_ILLEGAL.sub(" ", cell_text(text)).strip("'")[:SHEET_TITLE_MAX] or "-"


def new_workbook():
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def add_table(
    workbook,
    *,
    sheet_name: str,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence],
    title: str | None = None,
    landscape: bool = True,
):
    """Add a sheet: `title` across the top if given, the headers of `columns` ((header,
    width in characters)) frozen, filtered and repeated on every printed page, then
    `rows`, wrapped, with borders. A4, as wide as one page; the footer numbers the pages
    and, without a title row, the page header names the table."""
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Side
    from openpyxl.utils import get_column_letter

    sheet = workbook.create_sheet(sheet_title(sheet_name))
    last_column = get_column_letter(len(columns))
    header_row = 1
    if title is not None:
        write_cell(sheet["A1"], title)
        sheet.merge_cells(f"A1:{last_column}1")
        sheet["A1"].font = Font(bold=True, size=14)
        sheet["A1"].alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        header_row = 2
    thin = Side(style="thin", color="000000")
    border = Border(left=thin, right=thin, top=thin, bottom=thin)
    header_font = Font(bold=True)
    header_fill = PatternFill("solid", fgColor="DDE4EE")
    header_alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
    for index, (header, width) in enumerate(columns, start=1):
        cell = sheet.cell(row=header_row, column=index)
        write_cell(cell, header)
        cell.font = header_font
        cell.fill = header_fill
        cell.alignment = header_alignment
        cell.border = border
        sheet.column_dimensions[get_column_letter(index)].width = width
    body_alignment = Alignment(vertical="top", wrap_text=True)
    row_number = header_row
    for values in rows:
        row_number += 1
        for index, value in enumerate(values, start=1):
            cell = sheet.cell(row=row_number, column=index)
            write_cell(cell, value)
            cell.alignment = body_alignment
            cell.border = border
    sheet.freeze_panes = f"A{header_row + 1}"
    sheet.auto_filter.ref = f"A{header_row}:{last_column}{row_number}"
    sheet.print_title_rows = f"{header_row}:{header_row}"
    sheet.page_setup.orientation = "landscape" if landscape else "portrait"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.print_options.horizontalCentered = True
    sheet.page_margins.left = sheet.page_margins.right = 0.4
    sheet.page_margins.top = sheet.page_margins.bottom = 0.6
    # Header and footer codes: & starts one, so a literal & is written &&.
    if title is None:
        sheet.oddHeader.center.text = cell_text(sheet_name)[:100].replace("&", "&&")
    sheet.oddFooter.center.text = _("Page &P of &N")
    return sheet


def workbook_bytes(workbook) -> bytes:
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def table_xlsx(
    *,
    sheet_name: str,
    title: str | None,
    columns: Sequence[tuple[str, int]],
    rows: Iterable[Sequence],
    landscape: bool = True,
) -> bytes:
    """A workbook of one table (see add_table)."""
    workbook = new_workbook()
    add_table(
        workbook,
        sheet_name=sheet_name,
        title=title,
        columns=columns,
        rows=rows,
        landscape=landscape,
    )
    return workbook_bytes(workbook)


def xlsx_response(content: bytes, filename: str) -> HttpResponse:
    """A download of `content`; Django encodes a Chinese file name (RFC 6266 / 5987)."""
    response = HttpResponse(content, content_type=CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    return response
