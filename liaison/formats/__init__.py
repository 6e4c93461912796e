"""How dates read in each language (FORMAT_MODULE_PATH), and the deadline's format.

Pages print dates through Django's localisation: `|date` (DATE_FORMAT), `|date:"DATETIME_FORMAT"`
and so on, never a fixed pattern; machine values (`datetime=` attributes, form inputs, URLs,
exports) stay ISO. A deadline reads with its weekday, which Django has no format name for:
`deadline_date` looks DEADLINE_DATE_FORMAT up in the active language's format module.
"""

from __future__ import annotations

import datetime as dt

from django.utils import dateformat, formats, timezone, translation
from django.utils.dateparse import parse_date, parse_datetime


def from_iso(value: str | None) -> dt.datetime | dt.date | None:
    """A datetime or date from the ISO text stored in event data; None if it is not one."""
    if not isinstance(value, str):
        return None
    try:
        return parse_datetime(value) if "T" in value else parse_date(value)
    except ValueError:  # well formed but not a date, e.g. 2026-13-01
        return None


def deadline_format(lang: str | None = None) -> str:
    """The active (or given) language's DEADLINE_DATE_FORMAT, else its DATE_FORMAT."""
    for module in formats.get_format_modules(lang or translation.get_language()):
        value = getattr(module, "DEADLINE_DATE_FORMAT", None)
        if value:
            return value
    return formats.get_format("DATE_FORMAT", lang)


def deadline_date(value: dt.date | dt.datetime | str | None) -> str:
    """A deadline as its reader says it: 2026年12月6日（星期日）, Sun 6 Dec 2026.

    Takes a date, a datetime (its day in the district's time zone) or an ISO string as
    stored in event data; anything else gives "".
    """
    if isinstance(value, str):
        value = from_iso(value)
    if isinstance(value, dt.datetime):
        value = timezone.localtime(value) if timezone.is_aware(value) else value
        value = value.date()
    if not isinstance(value, dt.date):
        return ""
    return dateformat.format(value, deadline_format())
