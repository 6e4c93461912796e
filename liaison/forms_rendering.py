"""The site's form renderer (FORM_RENDERER): Django's own widget templates, except that a
<select>, an <input> and a <textarea> are written in Python, character for character as
Django's templates write them.

Each option of a select was an {% include %} of django/forms/widgets/select_option.html,
which includes attrs.html in turn: a filter form's few hundred options (enterprises,
departments, users) took about two thirds of the problem list's time and a fifth of the
dashboard's. Written here they take a few per cent. A select whose templates are not
Django's (an app overriding them) or whose options use another template goes through the
templates as before. Inputs and text areas (an {% include %} each, and attrs.html) are
written here for the same reason: a page of action forms has dozens.
"""

from __future__ import annotations

import operator

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

WIDGETS = "django/forms/widgets/"
SELECT_TEMPLATE = WIDGETS + "select.html"
OPTION_TEMPLATE = WIDGETS + "select_option.html"
ATTRS_TEMPLATE = WIDGETS + "attrs.html"
INPUT_TEMPLATE = WIDGETS + "input.html"
TEXTAREA_TEMPLATE = WIDGETS + "textarea.html"
# Django's templates of these inputs are each one line: {% include "…/input.html" %}.
INPUT_TEMPLATES = frozenset(
    WIDGETS + f"{kind}.html"
    for kind in (
        "input", "text", "password", "hidden", "number", "email", "url", "date",
        "datetime", "time", "search", "tel", "color",
    )
)  # fmt: skip
_DJANGO_FORMS = "django/forms/templates/"


class FormRenderer(DjangoTemplates):
    @cached_property
    def _own_templates(self) -> dict[str, bool]:
        return {}

    def _is_djangos(self, name: str) -> bool:
        """Whether `name` is Django's own template (no app overrides it)."""
        known = self._own_templates.get(name)
        if known is None:
            origin = str(self.get_template(name).origin.name).replace("\\", "/")
            known = self._own_templates[name] = origin.endswith(_DJANGO_FORMS + name)
        return known

    def _in_python(self, *names: str) -> bool:
        return all(self._is_djangos(name) for name in (*names, ATTRS_TEMPLATE))

    def render(self, template_name, context, request=None):
        html = None
        if template_name == SELECT_TEMPLATE:
            if self._in_python(SELECT_TEMPLATE, OPTION_TEMPLATE):
                html = render_select(context["widget"])
        elif template_name in INPUT_TEMPLATES:
            if self._in_python(template_name, INPUT_TEMPLATE):
                html = render_input(context["widget"])
        elif template_name == TEXTAREA_TEMPLATE:
            if self._in_python(TEXTAREA_TEMPLATE):
                html = render_textarea(context["widget"])
        if html is not None:
            return html
        return super().render(template_name, context, request)


def _value(value, context: Context) -> str:
    """{{ value }}: localised, made a string, escaped (unless safe)."""
    return render_value_in_context(value, context)


def _stringformat(value) -> str:
    """{{ value|stringformat:'s' }} (the filter keeps a safe value safe)."""
    if isinstance(value, tuple):
        value = str(value)
    try:
        text = "%s" % value  # noqa: UP031 - exactly what the filter does
    except (ValueError, TypeError):
        text = ""
    if isinstance(value, SafeData):
        text = mark_safe(text)
    return conditional_escape(text)


def _attrs(attrs: dict, context: Context) -> str:
    """django/forms/widgets/attrs.html."""
    parts = []
    for name, value in attrs.items():
        if value is not False:
            parts.append(" " + _value(name, context))
            if value is not True:
                parts.append('="' + _stringformat(value) + '"')
    return "".join(parts)


def render_select(widget: dict) -> str | None:
    """django/forms/widgets/select.html with its options (select_option.html, followed by
    that file's closing newline), stripped as the renderer strips; None if an option has
    a template of its own."""
    context = Context(autoescape=True)
    parts = ['<select name="', _value(widget["name"], context), '"']
    parts.append(_attrs(widget["attrs"], context))
    parts.append(">")
    for group_name, group_choices, _group_index in widget["optgroups"]:
        if group_name:
            parts.append('\n  <optgroup label="' + _value(group_name, context) + '">')
        for option in group_choices:
            if option.get("template_name") != OPTION_TEMPLATE:
                return None
            parts.append(
                '\n  <option value="'
                + _stringformat(option["value"])
                + '"'
                + _attrs(option["attrs"], context)
                + ">"
                + _value(option["label"], context)
                + "</option>\n"
            )
        if group_name:
            parts.append("\n  </optgroup>")
    parts.append("\n</select>")
    return "".join(parts).strip()


def render_input(widget: dict) -> str:
    """django/forms/widgets/input.html (and the templates that only include it)."""
    context = Context(autoescape=True)
    html = '<input type="' + _value(widget["type"], context) + '" name="'
    html += _value(widget["name"], context) + '"'
    if operator.ne(widget["value"], None):  # the template's `widget.value != None`
        html += ' value="' + _stringformat(widget["value"]) + '"'
    return html + _attrs(widget["attrs"], context) + ">"


def render_textarea(widget: dict) -> str:
    """django/forms/widgets/textarea.html, stripped as the renderer strips."""
    context = Context(autoescape=True)
    html = '<textarea name="' + _value(widget["name"], context) + '"'
    html += _attrs(widget["attrs"], context) + ">\n"
    if widget["value"]:
        html += _value(widget["value"], context)
    return (html + "</textarea>").strip()
