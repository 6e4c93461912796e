"""problem_tags as it was before its deadline marker, problem cards and timeline were
written in Python (issue 18): the deadline marker an inclusion tag of
issues/includes/deadline.html, the timeline the loop of the problem page's template.
With reference_templates/ (the template loops of the cards and of the timeline) it
renders the pages the old way, for tests/issues/test_list_rendering.py to compare."""

from __future__ import annotations

from django import template
from django.template.loader import get_template

from issues.templatetags import problem_tags

register = template.Library()
register.tags.update(problem_tags.register.tags)
register.filters.update(problem_tags.register.filters)


@register.inclusion_tag("issues/includes/deadline.html", takes_context=True)
def deadline(context, problem, compact=False):
    return {"state": problem_tags.deadline_state(problem, context.get("now")), "compact": compact}


@register.simple_tag
def problem_timeline(events, show_internal=False):
    """The timeline as the loop of issues/problem_detail.html wrote it (no trailing newline
    in reference_templates/issues/includes/timeline.html: the loop's text only)."""
    return get_template("issues/includes/timeline.html").render(
        {"events": events, "show_internal": show_internal}
    )
