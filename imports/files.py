"""Uploaded .xlsx files: checked (size, type, zip-bomb caps) and read into tables of text.

An upload goes through the attachments' check (issues.attachments.check_upload: the
extension, the content, the zip archive's entry count and unpacked size) before
openpyxl opens it, and the rows it holds are bounded too. Cells come out as Python
values: text stripped, whole numbers typed into a text column (a phone number, an
all-digit credit code) as the digits, dates as dates.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from issues.attachments import check_upload

# An import file: 10,000 enterprises take under 1 MB; 20 MB is far more than a district has.
MAX_FILE_SIZE = 20 * 1024 * 1024
MAX_ROWS = 50_000
MAX_COLUMNS = 60
# The longest text any imported field takes (a guidance list, a problem's answer).
MAX_CELL_CHARACTERS = 20_000
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


class FileRefused(Exception):
    """The file cannot be read as an import; `message` says why, in the user's language."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class Sheet:
    title: str
    headers: list[str]
    rows: list[list]  # each as long as headers; row 2 of the sheet is rows[0]


def check_file(name: str, content: bytes) -> None:
    """Refuse what is not an .xlsx of a sane size (FileRefused with the reason)."""
    if len(content) > MAX_FILE_SIZE:
        raise FileRefused(
            _("The file is %(size)s; an import file may be at most %(max)s.")
            % {"size": filesizeformat(len(content)), "max": filesizeformat(MAX_FILE_SIZE)}
        )
    if not name.lower().endswith(".xlsx"):
        raise FileRefused(_("Upload an Excel workbook (.xlsx), such as the template."))
    try:
        check_upload(SimpleUploadedFile(name, content))
    except ValidationError as error:
        raise FileRefused(" ".join(error.messages)) from None


def cell_value(value):
    """A cell as the import reads it: stripped text, digits for a whole number, a date."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.datetime):
        return value.date() if value.time() == dt.time(0) else value
    if isinstance(value, dt.date):
        return value
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, (int, float)):
        return str(value)
    return str(value).strip()


def read_workbook(name: str, content: bytes) -> list[Sheet]:
    """Every sheet of the checked workbook: its header row and the rows below it."""
    from openpyxl import load_workbook

    check_file(name, content)
    try:
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except Exception:  # noqa: BLE001 - openpyxl raises many kinds on a damaged file
        raise FileRefused(_("The file could not be read as an Excel workbook.")) from None
    sheets = []
    try:
        for worksheet in workbook.worksheets:
            rows = worksheet.iter_rows(values_only=True, max_col=MAX_COLUMNS)
            header_row = next(rows, None) or ()
            headers = [str(cell_value(h)) for h in header_row]
            while headers and not headers[-1]:
                headers.pop()
            body = []
            for values in rows:
                values = [cell_value(v) for v in values[: len(headers)]]
                values += [""] * (len(headers) - len(values))
                if not any(v != "" for v in values):
                    continue
                body.append(values)
                if len(body) > MAX_ROWS:
                    raise FileRefused(
                        _("A sheet may have at most %(max)s rows.") % {"max": MAX_ROWS}
                    )
            sheets.append(Sheet(title=worksheet.title, headers=headers, rows=body))
    finally:
        workbook.close()
    return sheets


def text_problem(value: str, max_length: int | None = None):
    """Why `value` cannot be stored as text (a message), or None."""
    if "\x00" in value or _CONTROL.search(value):
        return _("The text contains control characters (such as NUL); remove them.")
    if len(value) > (max_length or MAX_CELL_CHARACTERS):
        return _("The text is %(n)s characters long; at most %(max)s are allowed.") % {
            "n": len(value),
            "max": max_length or MAX_CELL_CHARACTERS,
        }
    return None
