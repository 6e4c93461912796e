"""The site's form renderer writes a <select> exactly as Django's templates do."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest
from django import forms
from django.forms.renderers import DjangoTemplates, get_default_renderer
from django.utils.safestring import mark_safe
from django.utils.translation import gettext_lazy, override

from issues.models import Category
from liaison.forms_rendering import FormRenderer
from liaison.models import Department


def _both(widget: forms.Widget, name: str, value, attrs=None) -> tuple[str, str]:
    return (
        widget.render(name, value, attrs=attrs, renderer=DjangoTemplates()),
        widget.render(name, value, attrs=attrs, renderer=FormRenderer()),
    )


CHOICES = [
    ("", "Choose…"),
    (1, "One & <two>"),
    ("x\"y'", mark_safe("<b>safe</b>")),
    (3, gettext_lazy("English")),
    (2026, 2026),
    (dt.date(2026, 12, 7), dt.date(2026, 12, 7)),
    (None, None),
    (4.5, 1234567.5),
]
GROUPED = [
    ("", "—"),
    ("Group <A>", [(1, "a"), (2, "b")]),
    (gettext_lazy("English"), [(3, "c")]),
    (4, "loose"),
]


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.Select(choices=CHOICES), 1, {"class": "form-select", "id": "id_x"}),
        (forms.Select(choices=CHOICES), None, None),
        (forms.Select(choices=CHOICES), "x\"y'", {"required": True, "disabled": False}),
        (forms.Select(choices=GROUPED), 3, {"aria-describedby": "a b", "data-x": 0}),
        (forms.Select(choices=[]), "", {"class": "c"}),
        (forms.SelectMultiple(choices=CHOICES), [1, 2026], {"class": "form-select"}),
        (forms.SelectMultiple(choices=GROUPED), [], None),
        (forms.NullBooleanSelect(), True, {"class": "form-select"}),
        (forms.Select(choices=CHOICES, attrs={"data-v": mark_safe("<i>")}), 4.5, None),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_writes_selects_as_the_templates_do(widget, value, attrs, language):
    with override(language):
        expected, written = _both(widget, "field<name>", value, attrs)
    assert written == expected


@pytest.mark.django_db
def test_it_writes_model_choices_as_the_templates_do():
    department = Department.objects.create(name="经信局 & <co>", short_name="经信")
    Category.objects.create(name_zh="用电", name_en="Power", default_lead_department=department)
    field = forms.ModelChoiceField(queryset=Category.objects.all(), empty_label="Choose…")
    multiple = forms.ModelMultipleChoiceField(queryset=Department.objects.all())
    # In Chinese whatever language an earlier test's request left active in this thread
    # (the category's label follows it).
    with override("zh-hans"):
        for form_field, value in ((field, None), (multiple, [department.pk])):
            expected, written = _both(form_field.widget, "f", value, {"class": "form-select"})
            assert written == expected
            assert "经信局 &amp; &lt;co&gt;" in expected or "用电" in expected


class _StoredFile:
    url = "/media/a%20b.pdf?x=1&y=2"

    def __str__(self) -> str:
        return "a <b>.pdf"


def test_it_is_the_sites_renderer_and_leaves_other_widgets_to_the_templates():
    assert isinstance(get_default_renderer(), FormRenderer)
    for widget, value in (
        (forms.RadioSelect(choices=CHOICES), 1),
        (forms.CheckboxSelectMultiple(choices=GROUPED), [1]),
        (forms.SelectDateWidget(), dt.date(2026, 12, 7)),
        (forms.ClearableFileInput(), _StoredFile()),  # a file already there: its link
    ):
        expected, written = _both(widget, "w", value, {"class": "c"})
        assert written == expected


def test_an_option_with_a_template_of_its_own_goes_through_the_templates():
    class OwnOption(forms.Select):
        option_template_name = "django/forms/widgets/input_option.html"

    expected, written = _both(OwnOption(choices=CHOICES), "w", 1, None)
    assert written == expected


@pytest.mark.parametrize(
    ("widget", "value", "attrs"),
    [
        (forms.TextInput(), 'a<b & "c"', {"class": "form-control", "required": True}),
        (forms.TextInput(), None, {"maxlength": 120, "disabled": False}),
        (forms.TextInput(), "", None),
        (forms.TextInput(), 0, None),
        (forms.PasswordInput(render_value=True), "secret", {"autocomplete": "off"}),
        (forms.PasswordInput(), "secret", None),
        (forms.HiddenInput(), 7, None),
        (forms.HiddenInput(), mark_safe("<safe>"), None),
        (forms.NumberInput(), 1234567.5, {"step": "any", "min": 0}),
        (forms.EmailInput(), "a@b.example", None),
        (forms.URLInput(), "https://x.example/?a=1&b=2", None),
        (forms.DateInput(), dt.date(2026, 12, 7), {"type": "date"}),
        (forms.DateTimeInput(), dt.datetime(2026, 12, 7, 9, 30), None),
        (forms.TimeInput(), dt.time(9, 30), None),
        (forms.SearchInput(), "用电", None),
        (forms.TelInput(), "13900000001", None),
        (forms.ColorInput(), "#ff0000", None),
        (forms.Textarea(), "line 1\n<b>line</b> 2 ", {"rows": 6, "class": "form-control"}),
        (forms.CheckboxInput(), True, {"class": "form-check-input"}),
        (forms.CheckboxInput(), False, None),
        (forms.CheckboxInput(), "on", {"checked": True}),
        (forms.CheckboxInput(check_test=lambda v: v == "x"), "x", None),
        (forms.FileInput(), None, {"accept": ".pdf,.png", "multiple": True}),
        (forms.FileInput(), "name.pdf", None),
        (forms.ClearableFileInput(), None, {"accept": "image/*", "class": "form-control"}),
        (forms.ClearableFileInput(attrs={"required": True}), "", None),
        (forms.Textarea(), "", None),
        (forms.Textarea(), None, {"required": True}),
        (forms.Textarea(), "\nleading", None),
    ],
)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_writes_inputs_and_text_areas_as_the_templates_do(widget, value, attrs, language):
    with override(language):
        expected, written = _both(widget, "field<name>", value, attrs)
    assert written == expected


@pytest.mark.parametrize("widget_class", [forms.RadioSelect, forms.CheckboxSelectMultiple])
@pytest.mark.parametrize("wrap_label", [False, True])
@pytest.mark.parametrize("auto_id", ["id_%s", False])
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_writes_radio_and_checkbox_options_as_the_templates_do(
    widget_class, wrap_label, auto_id, language
):
    """{{ choice.tag }} (the field template's radios and checkboxes), with and without
    the label wrapped around, ids and a value chosen."""
    hostile = [("a", 'A & "B"'), ("<b>", "<script>x</script>"), (3, "丙")]
    multiple = widget_class is forms.CheckboxSelectMultiple
    field_class = forms.MultipleChoiceField if multiple else forms.ChoiceField

    class Form(forms.Form):
        f = field_class(choices=hostile, widget=widget_class(attrs={"class": "c"}))

    written = {}
    for renderer in (DjangoTemplates(), FormRenderer()):
        data = {"f": ["a", "3"] if multiple else "<b>"}
        with override(language):
            form = Form(data=data, auto_id=auto_id, renderer=renderer)
            written[type(renderer)] = [choice.tag(wrap_label=wrap_label) for choice in form["f"]]
    assert written[FormRenderer] == written[DjangoTemplates]
    assert len(written[FormRenderer]) == 3


def test_selects_inputs_and_text_areas_do_not_go_through_the_templates():
    renderer = FormRenderer()
    with mock.patch.object(DjangoTemplates, "render", side_effect=AssertionError("templates")):
        forms.Select(choices=GROUPED).render("s", 1, renderer=renderer)
        forms.TextInput().render("t", "x", renderer=renderer)
        forms.HiddenInput().render("h", 1, renderer=renderer)
        forms.Textarea().render("a", "x", renderer=renderer)
        forms.CheckboxInput().render("c", True, renderer=renderer)
        forms.FileInput().render("f", None, renderer=renderer)
        forms.ClearableFileInput().render("f", None, renderer=renderer)

        class Form(forms.Form):
            r = forms.ChoiceField(choices=CHOICES, widget=forms.RadioSelect)

        assert [choice.tag() for choice in Form(renderer=renderer)["r"]]
