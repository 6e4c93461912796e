"""The dashboard's tables of figures and its escalated problems written in Python,
character for character as their template loops wrote them (issue 18: about eighty rows
of eight links each, a variable lookup, a filter or a tag per cell, and twenty escalated
problems with a {% url %} each, were the largest part of the page's rendering).

tests/dashboard/test_dashboard_rendering.py compares whole pages with the old template
loops (tests/dashboard/reference_templates/).
"""

from __future__ import annotations

import re

from django import template
from django.urls import reverse
from django.utils.html import conditional_escape
from django.utils.safestring import mark_safe
from django.utils.translation import gettext, ngettext

from liaison.forms_rendering import template_value as _value
from liaison.templatetags.liaison_tags import person_name

register = template.Library()


def _link(href, count, text: str) -> str:
    """<a href="…" data-count="…">text</a> of a count cell."""
    return '<a href="' + _value(href) + '" data-count="' + count + '">' + text + "</a>"


def _rate_cell(rate, href) -> str:
    """A rate as the figure tables write it: — or the rate, a link to its problems."""
    if rate is None:
        return "—"
    return '<a href="' + _value(href) + '">' + _value(rate) + "%</a>"


def _overdue_cell(row, links) -> str:
    return (
        '<a href="'
        + _value(links["overdue"])
        + '" data-count="overdue" class="'
        + ("text-danger fw-semibold" if row.overdue else "")
        + '">'
        + _value(row.overdue)
        + "</a>"
    )


@register.simple_tag
def figure_rows(rows, empty_label=""):
    """The rows of dashboard/dashboard_table.html (the {% for %} loop of its <tbody>):
    one per group of dashboard.figures.Figures, `empty_label` for a group with no label."""
    parts = []
    for row in rows:
        links = row.links
        received = _value(links["received"])
        parts.append(
            '\n      <tr>\n        <th scope="row"><a href="'
            + received
            + '">'
            + _value(row.label if row.label else empty_label)
            + '</a></th>\n        <td class="text-end"><a href="'
            + received
            + '" data-count="received">'
            + _value(row.received)
            + '</a></td>\n        <td class="text-end">'
            + _link(links["concluded"], "concluded", _value(row.concluded))
            + '</td>\n        <td class="text-end">'
            + _link(links["on_time"], "on_time", _value(row.on_time))
            + '</td>\n        <td class="text-end">'
            + _overdue_cell(row, links)
            + '</td>\n        <td class="text-end">'
            + _rate_cell(row.conclusion_rate, links["concluded"])
            + '</td>\n        <td class="text-end">'
            + _rate_cell(row.on_time_rate, links["on_time"])
            + '</td>\n        <td class="text-end">'
            + _rate_cell(row.satisfaction_rate, links["satisfied"])
            + "</td>\n      </tr>\n      "
        )
    if not parts:
        parts.append(
            '\n      <tr><td colspan="8" class="text-body-secondary">'
            + _value(gettext("No problems received in this period."))
            + "</td></tr>\n      "
        )
    return mark_safe("".join(parts))


@register.simple_tag
def league_rows(rows):
    """The rows of the league table of dashboard/dashboard.html (its {% for %} loop): one
    per lead department (dashboard.figures.Figures)."""
    parts = []
    for row in rows:
        links = row.links
        received = _value(links["received"])
        rate = row.conclusion_rate
        on_time_rate = row.on_time_rate
        days = row.average_working_days
        satisfaction = row.satisfaction_rate
        parts.append(
            '\n        <tr>\n          <th scope="row"><a href="'
            + received
            + '">'
            + _value(row.label)
            + '</a></th>\n          <td class="text-end"><a href="'
            + received
            + '" data-count="received">'
            + _value(row.received)
            + '</a></td>\n          <td class="text-end">'
            + _link(links["concluded"], "concluded", _value(row.concluded))
            + '</td>\n          <td class="text-end">'
            + ("—" if rate is None else _value(rate) + "%")
            + '</td>\n          <td class="text-end">'
            + _link(links["on_time"], "on_time", _value(row.on_time))
            + '</td>\n          <td class="text-end">'
            + ("—" if on_time_rate is None else _value(on_time_rate) + "%")
            + '</td>\n          <td class="text-end">'
            + _overdue_cell(row, links)
            + '</td>\n          <td class="text-end">'
            + (
                "—"
                if days is None
                else '<a href="' + _value(links["concluded"]) + '">' + _value(days) + "</a>"
            )
            + '</td>\n          <td class="text-end">'
            + _rate_cell(satisfaction, links["satisfied"])
            + "</td>\n        </tr>\n        "
        )
    if not parts:
        parts.append(
            '\n        <tr><td colspan="9" class="text-body-secondary">'
            + _value(gettext("No problem was accepted in this period."))
            + "</td></tr>\n        "
        )
    return mark_safe("".join(parts))


# A reference a URL carries as it is (reverse() would quote nothing in it).
_PLAIN_REFERENCE = re.compile(r"[A-Za-z0-9_.-]+")
_MARK = "REFERENCE"


@register.simple_tag
def escalated_rows(rows):
    """The rows of the "Escalated problems" list of dashboard/dashboard.html (its
    {% for %} loop): one per dashboard.figures.NeedsALeader."""
    # One reverse() for the list: each row's link is this one with its own reference.
    prefix, _mark, suffix = reverse("issues:detail", kwargs={"reference": _MARK}).partition(_MARK)
    leader_label = _value(gettext("Leader"))
    principal = _value(gettext("escalated to the principal leaders"))
    parts = []
    for row in rows:
        problem = row.problem
        reference = problem.reference
        if _PLAIN_REFERENCE.fullmatch(reference):
            url = prefix + reference + suffix
        else:
            url = reverse("issues:detail", kwargs={"reference": reference})
        days = row.overdue_working_days
        department = problem.lead_department
        parts.append(
            '\n        <li class="list-group-item">'
            '\n          <div class="d-flex flex-wrap gap-2 justify-content-between">'
            '\n            <a href="'
            + conditional_escape(url)
            + '" class="fw-semibold">'
            + _value(reference)
            + " "
            + _value(problem.title)
            + '</a>\n            <span class="badge text-bg-danger align-self-start">'
            + ngettext("%(days)s working day overdue", "%(days)s working days overdue", days)
            % {"days": _value(days)}
            + '</span>\n          </div>\n          <div class="small text-body-secondary">'
            + _value(problem.enterprise.name)
            + " · "
            + (_value(department.short_name or department.name) if department else "")
            + " · "
            + leader_label
            + ": "
            + (_value(person_name(row.leader)) if row.leader else "—")
            + (
                ' · <span class="text-danger">' + principal + "</span>"
                if problem.escalation_level >= 2
                else ""
            )
            + "</div>\n        </li>\n        "
        )
    return mark_safe("".join(parts))
