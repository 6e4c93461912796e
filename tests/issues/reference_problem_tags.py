"""problem_tags as it was before its deadline marker and problem cards were written in
Python (issue 18): the deadline marker an inclusion tag of issues/includes/deadline.html.
With reference_templates/ (the template loop of the cards) it renders the pages the old
way, for tests/issues/test_list_rendering.py to compare."""

from __future__ import annotations

from django import template

from issues.templatetags import problem_tags

register = template.Library()
register.tags.update(problem_tags.register.tags)
register.filters.update(problem_tags.register.filters)


@register.inclusion_tag("issues/includes/deadline.html", takes_context=True)
def deadline(context, problem, compact=False):
    return {"state": problem_tags.deadline_state(problem, context.get("now")), "compact": compact}
