"""The site's form renderer (FORM_RENDERER): Django's own widget templates, except that a
<select>, an <input> (a checkbox and a file input too), a radio's or a checkbox's option
and a <textarea> are written in Python, character for character as Django's templates
write them.

Each option of a select was an {% include %} of django/forms/widgets/select_option.html,
which includes attrs.html in turn: a filter form's few hundred options (enterprises,
departments, users) took about two thirds of the problem list's time and a fifth of the
dashboard's. Written here they take a few per cent. A select whose templates are not
Django's (an app overriding them) or whose options use another template goes through the
templates as before. Inputs and text areas (an {% include %} each, and attrs.html) are
written here for the same reason: a page of action forms has dozens.
"""

from __future__ import annotations

import html
import operator

from django import forms
from django.conf import settings
from django.forms.renderers import DjangoTemplates, get_default_renderer
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
        "datetime", "time", "search", "tel", "color", "checkbox", "file",
    )
)  # fmt: skip
# A radio's or a checkbox's option, as {{ choice.tag }} writes it: input_option.html.
INPUT_OPTION_TEMPLATE = WIDGETS + "input_option.html"
OPTION_TEMPLATES = frozenset(WIDGETS + f"{kind}_option.html" for kind in ("radio", "checkbox"))
CLEARABLE_FILE_TEMPLATE = WIDGETS + "clearable_file_input.html"
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
        elif template_name == CLEARABLE_FILE_TEMPLATE and not context["widget"]["is_initial"]:
            # No file yet (the upload forms): only its last line, an <input> without value.
            if self._in_python(CLEARABLE_FILE_TEMPLATE):
                html = render_input({**context["widget"], "value": None})
        elif template_name in OPTION_TEMPLATES:
            if self._in_python(template_name, INPUT_OPTION_TEMPLATE, INPUT_TEMPLATE):
                html = render_input_option(context["widget"])
        if html is not None:
            return html
        return super().render(template_name, context, request)


def _value(value, context: Context) -> str:
    """{{ value }}: localised, made a string, escaped (unless safe)."""
    return render_value_in_context(value, context)


_AUTOESCAPE = Context(autoescape=True)


def template_value(value) -> str:
    """{{ value }} in an autoescaping template, for HTML written in Python (the problem
    cards, the dashboard's tables): localised, made a string, escaped unless safe.

    The two commonest kinds the short way, with the same text: a plain string only
    escaped (django.utils.html.escape is html.escape), an integer as str() (localize()
    leaves it as it is unless thousands are grouped)."""
    kind = type(value)
    if kind is str:
        return html.escape(value)
    if kind is int and not settings.USE_THOUSAND_SEPARATOR:
        return str(value)
    return render_value_in_context(value, _AUTOESCAPE)


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


def render_input_option(widget: dict) -> str:
    """django/forms/widgets/input_option.html (which includes input.html, its closing
    newline kept), through radio_option.html or checkbox_option.html, stripped as the
    renderer strips."""
    html = render_input(widget)
    if not widget["wrap_label"]:
        return html
    context = Context(autoescape=True)
    element_id = widget["attrs"].get("id")
    label = '<label for="' + _value(element_id, context) + '">' if element_id else "<label>"
    return label + html + "\n " + _value(widget["label"], context) + "</label>"


def render_textarea(widget: dict) -> str:
    """django/forms/widgets/textarea.html, stripped as the renderer strips."""
    context = Context(autoescape=True)
    html = '<textarea name="' + _value(widget["name"], context) + '"'
    html += _attrs(widget["attrs"], context) + ">\n"
    if widget["value"]:
        html += _value(widget["value"], context)
    return (html + "</textarea>").strip()


# (the list's key, widget class) -> each option: (its value as compared with the
# selected ones, its HTML up to where " selected" goes, its HTML after).
_options: dict[tuple, tuple[tuple[str, str, str], ...]] = {}
MAX_KEPT_LISTS = 64


class ListSelect(forms.Select):
    """A <select> of a list kept between requests (liaison.choices.use_cached_choices
    gives it `options_key`): its options are written once per list as read (the list's
    versions and language) and reused; only which is selected is decided per request.
    The HTML is render_select's, itself Django's templates'. Without a key (the list is
    not kept), another renderer, or options in groups, it renders as a Select."""

    options_key = None

    def render(self, name, value, attrs=None, renderer=None):
        renderer = renderer or get_default_renderer()
        key = self.options_key() if self.options_key is not None else None
        if (
            key is None
            or not isinstance(renderer, FormRenderer)
            or self.template_name != SELECT_TEMPLATE
            or self.option_template_name != OPTION_TEMPLATE
            or not renderer._in_python(SELECT_TEMPLATE, OPTION_TEMPLATE)
        ):
            return super().render(name, value, attrs, renderer)
        options = _options.get((key, type(self)))
        if options is None:
            options = self._written_options()
            if options is None:
                return super().render(name, value, attrs, renderer)
            if len(_options) >= MAX_KEPT_LISTS:
                _options.clear()
            _options[key, type(self)] = options
        return mark_safe(self._render_with(options, name, value, attrs))

    def _written_options(self) -> tuple[tuple[str, str, str], ...] | None:
        context = Context(autoescape=True)
        written = []
        for option_value, option_label in self.choices:
            if isinstance(option_label, list | tuple):
                return None  # a group: left to Django
            if option_value is None:
                option_value = ""
            written.append(
                (
                    str(option_value),
                    '\n  <option value="' + _stringformat(option_value) + '"',
                    ">" + _value(option_label, context) + "</option>\n",
                )
            )
        return tuple(written)

    def _render_with(self, options, name, value, attrs) -> str:
        """ChoiceWidget.optgroups' choice of the selected options, render_select's HTML."""
        context = Context(autoescape=True)
        final_attrs = self.build_attrs(self.attrs, attrs)
        multiple = self.allow_multiple_selected
        if multiple:
            final_attrs["multiple"] = True
        values = self.format_value(value)
        parts = ['<select name="', _value(name, context), '"', _attrs(final_attrs, context), ">"]
        has_selected = False
        for compared, head, tail in options:
            selected = (not has_selected or multiple) and compared in values
            has_selected |= selected
            parts.append(head + " selected" + tail if selected else head + tail)
        parts.append("\n</select>")
        return "".join(parts).strip()
