"""Template filters for the house look: names, roles, phone links, deadlines, form widgets,
alerts."""

from __future__ import annotations

import re

from django import forms, template
from django.contrib.messages import constants as message_constants
from django.core.signals import setting_changed
from django.template.loader import get_template
from django.urls import get_script_prefix
from django.utils.safestring import mark_safe
from django.utils.text import capfirst
from django.utils.translation import get_language

from .. import formats
from ..forms_rendering import template_value
from ..models import Role
from ..validators import normalise_phone

register = template.Library()

# A landline with its extension: area code, number, then "-" or " " and 1-6 digits.
_LANDLINE_EXTENSION_RE = re.compile(r"^(0\d{2,3}[- ]?[2-9]\d{6,7})[- ](\d{1,6})$")
_CJK_RE = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_ALERT_CLASSES = {
    message_constants.DEBUG: "secondary",
    message_constants.INFO: "info",
    message_constants.SUCCESS: "success",
    message_constants.WARNING: "warning",
    message_constants.ERROR: "danger",
}


# include_kept's fragments, per process: (template, language, URL prefix, values) -> HTML.
_kept: dict[tuple, str] = {}
KEPT_MAX = 2000


@register.simple_tag
def include_kept(template_name: str, **values) -> str:
    """`{% include template_name with values only %}`, rendered once per process for each
    language, URL prefix and set of `values`, and kept: for the parts of every page that
    depend on nothing else, such as the menus (the navigation bar was a tenth of the
    problem page's time, issue 18). The template sees `values` alone, without the request
    or the context processors, so what it writes cannot depend on anything the key
    leaves out; `values` are strings, booleans or None."""
    key = (template_name, get_language(), get_script_prefix(), *sorted(values.items()))
    html = _kept.get(key)
    if html is None:
        html = mark_safe(get_template(template_name).render(values))
        if len(_kept) < KEPT_MAX:
            _kept[key] = html
    return html


def _forget_kept(**kwargs) -> None:
    """A test's settings (URLs, languages, templates) may change what a fragment writes."""
    _kept.clear()


setting_changed.connect(_forget_kept)


@register.filter
def person_name(user) -> str:
    """A user's name as people write it: 张伟 (family name first, no space), Jane Doe, or the login.

    Whoever holds a role is usually known by a Chinese name, kept in last_name (姓) and
    first_name (名); Django's get_full_name() would give "伟 张".
    """
    if user is None:
        return ""
    first, last = (user.first_name or "").strip(), (user.last_name or "").strip()
    if _CJK_RE.search(first + last):
        name = f"{last}{first}"
    else:
        name = f"{first} {last}".strip()
    return name or user.get_username()


@register.filter
def role_label(role: str | None) -> str:
    """The translated label of a role value ("office" -> "Liaison office")."""
    if role in Role.values:
        return Role(role).label
    return ""


@register.filter
def tel_href(phone: str) -> str:
    """A tel: link for a phone number as validators.validate_phone accepts it.

    "0573-82345678" -> "tel:057382345678"; an extension is dialled after a pause:
    "0573-82345678-801" -> "tel:057382345678,801".
    """
    phone = normalise_phone(phone)
    extension = _LANDLINE_EXTENSION_RE.match(phone)
    if extension:
        phone, ext = extension.group(1), extension.group(2)
    else:
        ext = ""
    digits = re.sub(r"[^\d+]", "", phone)
    if not digits:
        return ""
    return f"tel:{digits},{ext}" if ext else f"tel:{digits}"


@register.filter
def contact_phone(enterprise, contact_phones) -> str:
    """The enterprise's contact phone as this user may see it: `contact_phones` is what
    issues.selectors.contact_phones_for gave the view (masked when it says so)."""
    return contact_phones.phone(enterprise)


@register.filter
def deadline_date(value) -> str:
    """A deadline with its weekday in the reader's language: 2026年12月6日（星期日）,
    Sun 6 Dec 2026.

    Other dates use Django's `|date` (DATE_FORMAT); a deadline is the one date people plan
    their week by.
    """
    return formats.deadline_date(value)


@register.filter
def from_iso(value):
    """A date or datetime from ISO text kept in event data, for `|date` to format."""
    return formats.from_iso(value)


@register.filter
def field_label(obj, field_name: str) -> str:
    """The model field's translated verbose name, capitalised (reuses the model's wording)."""
    return capfirst(obj._meta.get_field(field_name).verbose_name)


@register.filter
def form_control(bound_field):
    """Render a form field's widget with Bootstrap's classes, marked invalid when it has errors.

    Django adds aria-invalid and aria-describedby ("<id>_helptext", "<id>_error"); the
    field template gives the help text and errors those ids.
    """
    css = _BOOTSTRAP_CLASS.get(widget_kind(bound_field), "form-control")
    if bound_field.errors:
        css += " is-invalid"
    return bound_field.as_widget(attrs={"class": css})


_BOOTSTRAP_CLASS = {"select": "form-select", "checkbox": "form-check-input", "radio": ""}


@register.filter
def widget_kind(bound_field) -> str:
    """ "checkbox", "radio", "select" or "input": how the field template lays the widget out."""
    widget = bound_field.field.widget
    if isinstance(widget, forms.CheckboxInput):
        return "checkbox"
    if isinstance(widget, (forms.RadioSelect, forms.CheckboxSelectMultiple)):
        return "radio"
    if isinstance(widget, forms.Select):
        return "select"
    return "input"


@register.simple_tag
def form_field(field) -> str:
    """liaison/includes/form_field.html, written in Python character for character as that
    template writes it (`{% form_field field %}` for `{% include ... with field=field %}`):
    a page of forms has dozens of fields, each an include with its filters (issue 18; the
    tests compare both on every kind of field, bound and not, in both languages)."""
    kind = widget_kind(field)
    parts = ["\n\n\n"]
    if kind == "checkbox":
        parts += [
            '<div class="mb-3 form-check">\n  ',
            template_value(form_control(field)),
            '\n  <label class="form-check-label" for="',
            template_value(field.id_for_label),
            '">',
            template_value(field.label),
            "</label>\n",
        ]
    elif kind == "radio":
        parts += [
            '<fieldset class="mb-3">\n  <legend class="form-label fs-6">',
            template_value(field.label),
            '</legend>\n  <div class="liaison-choices">\n  ',
        ]
        for choice in field:
            parts += [
                '\n  <div class="form-check">\n    ',
                template_value(choice.tag()),
                '\n    <label class="form-check-label" for="',
                template_value(choice.id_for_label),
                '">',
                template_value(choice.choice_label),
                "</label>\n  </div>\n  ",
            ]
        parts.append("\n  </div>\n")
    else:
        parts += [
            '<div class="mb-3">\n  <label class="form-label" for="',
            template_value(field.id_for_label),
            '">',
            template_value(field.label),
            "</label>\n  ",
            template_value(form_control(field)),
            "\n",
        ]
    parts.append("\n  ")
    if field.errors:
        parts += [
            '\n  <div class="invalid-feedback d-block" id="',
            template_value(field.auto_id),
            '_error">',
            *("<div>" + template_value(error) + "</div>" for error in field.errors),
            "</div>\n  ",
        ]
    parts.append("\n  ")
    if field.help_text:
        parts += [
            '\n  <div class="form-text helptext" id="',
            template_value(field.auto_id),
            '_helptext">',
            str(field.help_text),
            "</div>\n  ",
        ]
    parts.append("\n")
    parts.append("</fieldset>" if kind == "radio" else "</div>")
    parts.append("\n\n")
    return mark_safe("".join(parts))


@register.filter
def error_anchor(bound_field) -> str:
    """The id of the input a link to this field should lead to (its first choice for radios)."""
    if widget_kind(bound_field) == "radio":
        return f"{bound_field.auto_id}_0"
    return bound_field.id_for_label


@register.filter
def alert_class(message) -> str:
    """Bootstrap's alert colour for a django.contrib.messages message."""
    return _ALERT_CLASSES.get(message.level, "info")
