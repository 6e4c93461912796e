"""The site's form renderer (FORM_RENDERER): Django's own widget templates, except that a
<select> is written in Python, character for character as Django's templates write it.

Each option of a select was an {% include %} of django/forms/widgets/select_option.html,
which includes attrs.html in turn: a filter form's few hundred options (enterprises,
departments, users) took about two thirds of the problem list's time and a fifth of the
dashboard's. Written here they take a few per cent. A select whose templates are not
Django's (an app overriding them) or whose options use another template goes through the
templates as before.
"""

from __future__ import annotations

from django.forms.renderers import DjangoTemplates
from django.template import Context
from django.template.base import render_value_in_context
from django.utils.functional import cached_property
from django.utils.html import conditional_escape
from django.utils.safestring import SafeData, mark_safe

SELECT_TEMPLATE = "django/forms/widgets/select.html"
OPTION_TEMPLATE = "django/forms/widgets/select_option.html"
ATTRS_TEMPLATE = "django/forms/widgets/attrs.html"
_DJANGO_FORMS = "django/forms/templates/django/forms/widgets/"


class FormRenderer(DjangoTemplates):
    @cached_property
    def selects_in_python(self) -> bool:
        """Django's own three templates are the ones in force (no app overrides them)."""
        for name in (SELECT_TEMPLATE, OPTION_TEMPLATE, ATTRS_TEMPLATE):
            origin = str(self.get_template(name).origin.name).replace("\\", "/")
            if not origin.endswith(_DJANGO_FORMS + name.rsplit("/", 1)[1]):
                return False
        return True

    def render(self, template_name, context, request=None):
        if template_name == SELECT_TEMPLATE and self.selects_in_python:
            html = render_select(context["widget"])
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
