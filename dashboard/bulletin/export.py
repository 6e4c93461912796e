"""A bulletin as .xlsx (liaison.xlsx): one sheet per section, from the snapshot alone.

Cells hold text and numbers (rates as exact percentages), never a formula. A section
added later (dashboard.bulletin.sections.register) brings its sheet with
`register_sheet`; a section without one is left out of the workbook.
"""

from __future__ import annotations

from collections.abc import Callable

from django.utils import formats, timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from liaison.xlsx import add_table, new_workbook, rate, workbook_bytes

from .models import Bulletin
from .selectors import sections_for_page

# section key -> (data -> list of (sheet name, columns, rows))
Tables = list[tuple[str, list[tuple[str, int]], list[list]]]
SHEETS: dict[str, Callable[[dict], Tables]] = {}


def register_sheet(key: str):
    def decorator(function):
        SHEETS[key] = function
        return function

    return decorator


@register_sheet("headline")
def _headline(data: dict) -> Tables:
    rows = []
    for row in data["rows"]:
        if row["is_rate"]:
            # The change of a rate is in percentage points: a number, not a percentage.
            rows.append([row["label"], rate(row["current"]), rate(row["previous"]), row["change"]])
        else:
            rows.append([row["label"], row["current"], row["previous"], row["change"]])
    columns = [
        (_("Figure"), 36),
        (_("This month"), 14),
        (_("Month before"), 14),
        (_("Change"), 14),
    ]
    return [(_("Headline figures"), columns, rows)]


@register_sheet("hotspots")
def _hotspots(data: dict) -> Tables:
    columns = [(_("This month"), 12), (_("Month before"), 12), (_("Change"), 10)]
    return [
        (
            _("Rising categories"),
            [(_("Category"), 24), *columns],
            [[r["name"], r["current"], r["previous"], r["change"]] for r in data["categories"]],
        ),
        (
            _("Rising towns"),
            [(_("Town or street"), 24), *columns],
            [[r["name"], r["current"], r["previous"], r["change"]] for r in data["towns"]],
        ),
    ]


@register_sheet("departments_below")
def _departments_below(data: dict) -> Tables:
    return [
        (
            _("Departments below"),
            [
                (_("Lead department"), 22),
                (_("Received"), 10),
                (_("Concluded"), 10),
                (_("On-time rate %"), 12),
                (_("Evaluated"), 10),
                (_("Satisfaction rate %"), 12),
                (_("Overdue now"), 10),
                (_("Why named"), 40),
            ],
            [
                [
                    r["name"],
                    r["received"],
                    r["concluded"],
                    rate(r["on_time_rate"]),
                    r["evaluated"],
                    rate(r["satisfaction_rate"]),
                    r["overdue"],
                    "; ".join(r["reason_labels"]),
                ]
                for r in data["rows"]
            ],
        )
    ]


@register_sheet("key_tasks_behind")
def _key_tasks(data: dict) -> Tables:
    return [
        (
            _("Key tasks behind"),
            [
                (_("Number"), 10),
                (_("Key task"), 36),
                (_("Leader"), 12),
                (_("Lead department"), 18),
                (_("Status"), 10),
                (_("Progress (%)"), 10),
                (_("Overdue milestones"), 10),
            ],
            [
                [
                    f"{r['year']}-{r['number']:02d}",
                    r["title"],
                    r["leader"],
                    r["lead_department"],
                    r["status_label"],
                    r["percent"],
                    r["overdue_milestones"],
                ]
                for r in data["rows"]
            ],
        )
    ]


@register_sheet("overdue")
def _overdue(data: dict) -> Tables:
    return [
        (
            _("Overdue by department"),
            [(_("Lead department"), 24), (_("Overdue now"), 12), (_("Escalated now"), 12)],
            [[r["name"], r["overdue"], r["escalated"]] for r in data["by_department"]],
        ),
        (
            _("Most overdue problems"),
            [
                (_("Reference"), 13),
                (_("Problem"), 40),
                (_("Lead department"), 18),
                (_("Responsible leader"), 12),
                (_("Due date"), 14),
                (_("Overdue working days"), 12),
            ],
            [
                [
                    r["reference"],
                    r["title"],
                    r["lead_department"],
                    r["leader"],
                    r["due_date"],
                    r["overdue_working_days"],
                ]
                for r in data["problems"]
            ],
        ),
    ]


def bulletin_workbook(bulletin: Bulletin, title: str) -> bytes:
    """The bulletin's workbook: a cover sheet (month, state, foreword), then the sections."""
    workbook = new_workbook()
    as_of = parse_datetime(bulletin.snapshot.get("as_of", "")) or bulletin.generated_at
    add_table(
        workbook,
        sheet_name=_("Bulletin"),
        title=title,
        columns=[(_("Item"), 24), (_("Value"), 70)],
        landscape=False,
        rows=[
            [_("Month"), bulletin.slug],
            [_("Status"), bulletin.get_status_display()],
            [_("Figures as of"), formats.date_format(timezone.localtime(as_of), "DATETIME_FORMAT")],
            [
                _("Published at"),
                formats.date_format(timezone.localtime(bulletin.published_at), "DATETIME_FORMAT")
                if bulletin.published_at
                else "",
            ],
            [_("Foreword"), bulletin.foreword],
        ],
    )
    for section, data in sections_for_page(bulletin):
        tables = SHEETS.get(section.key)
        if tables is None:
            continue
        for sheet_name, columns, rows in tables(data):
            add_table(workbook, sheet_name=sheet_name, columns=columns, rows=rows)
    return workbook_bytes(workbook)
