"""The assessment's .xlsx: the ranking with every count, rate and the score (cells are
numbers or text, never formulas: liaison.xlsx writes them), and the weights applied."""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext as _

from liaison.xlsx import add_table, new_workbook, rate, workbook_bytes

from .models import INDICATORS


def ranking_columns() -> list[tuple[str, int]]:
    return [
        (_("Rank"), 7),
        (_("Lead department"), 24),
        (_("Score"), 8),
        (_("Accepted"), 9),
        (_("Due for acknowledgement"), 11),
        (_("Acknowledged within 1 working day"), 13),
        (_("Acknowledged within 1 working day %"), 13),
        (_("Concluded"), 9),
        (_("Concluded on time"), 10),
        (_("On-time rate %"), 10),
        (_("Evaluated by the enterprise"), 11),
        (_("Satisfied (enterprise's own evaluation)"), 12),
        (_("Satisfaction rate (enterprise) %"), 12),
        (_("Evaluated by call-back"), 11),
        (_("Satisfied (call-back)"), 11),
        (_("Satisfaction rate (call-back) %"), 12),
        (_("Answered"), 9),
        (_("Reopened"), 9),
        (_("Reopen rate %"), 10),
        (_("Overdue"), 9),
        (_("Extension granted"), 10),
    ]


def ranking_cells(s) -> list:
    rates = s.rates
    return [
        s.rank if s.rank is not None else "",
        s.label,
        s.score,
        s.accepted,
        s.acknowledge_due,
        s.acknowledged_in_time,
        rate(rates["acknowledged"]),
        s.concluded,
        s.on_time,
        rate(rates["on_time"]),
        s.evaluated_self,
        s.satisfied_self,
        rate(rates["satisfaction_self"]),
        s.evaluated_callback,
        s.satisfied_callback,
        rate(rates["satisfaction_callback"]),
        s.answered,
        s.reopened,
        rate(rates["reopen"]),
        s.overdue,
        s.extended,
    ]


def ranking_workbook(ranking, period: str) -> bytes:
    workbook = new_workbook()
    if ranking.month is None:
        state = _("Frozen months added up")
    elif ranking.provisional:
        state = _("Provisional: counted live, not frozen")
    else:
        state = _("Frozen")
    add_table(
        workbook,
        sheet_name=_("Ranking"),
        title=_("Department assessment %(period)s (%(state)s)")
        % {"period": period, "state": state},
        columns=ranking_columns(),
        rows=[ranking_cells(s) for s in ranking.standings],
    )
    rows = [[str(label), ranking.weights.get(key, 0)] for key, label in INDICATORS]
    rows.append([_("Scheme version"), ranking.scheme_version or _("default weights")])
    if ranking.computed_at:
        rows.append([_("Figures as of"), timezone.localtime(ranking.computed_at)])
    assessment = ranking.assessment
    if assessment is not None and assessment.recalculated_at:
        rows.append([_("Recalculated at"), timezone.localtime(assessment.recalculated_at)])
    add_table(
        workbook,
        sheet_name=_("Weights"),
        columns=[(_("Indicator"), 40), (_("Weight %"), 12)],
        rows=rows,
        landscape=False,
    )
    return workbook_bytes(workbook)
