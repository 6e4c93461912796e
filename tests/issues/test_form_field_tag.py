"""`{% form_field field %}` writes what liaison/includes/form_field.html writes, character
for character: every kind of widget, unbound, bound with errors and bound valid, hostile
labels, choices, errors and help texts, in both languages, and the problem page's and the
list's own forms."""

from __future__ import annotations

import pytest
from django import forms
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.utils import translation
from django.utils.safestring import mark_safe

from issues import forms as issue_forms
from issues.models import Status

INCLUDE = Template('{% include "liaison/includes/form_field.html" %}')
TAG = Template("{% load liaison_tags %}{% form_field field %}")
HOSTILE = "<script>alert(\"x\")</script> & 'quoted'"
CHOICES = [("a", "A & B"), ("b", '"quoted" <b>'), ("c", "丙")]


class EveryKind(forms.Form):
    text = forms.CharField(label=HOSTILE, help_text="At most <em>200</em> characters", max_length=5)
    number = forms.IntegerField(label="Jobs", min_value=0, help_text=HOSTILE)
    decimal = forms.DecimalField(label="Amount", required=False)
    day = forms.DateField(label="Day", widget=forms.DateInput(attrs={"type": "date"}))
    area = forms.CharField(label="Description", widget=forms.Textarea(attrs={"rows": 3}))
    agree = forms.BooleanField(label=HOSTILE, help_text=mark_safe("<a href='#'>terms</a>"))
    optional_box = forms.BooleanField(label="Public", required=False, initial=True)
    radio = forms.ChoiceField(label="Choose", widget=forms.RadioSelect, choices=CHOICES)
    boxes = forms.MultipleChoiceField(
        label="Several", widget=forms.CheckboxSelectMultiple, choices=CHOICES
    )
    select = forms.ChoiceField(label="One", choices=[("", "---------"), *CHOICES])
    several = forms.MultipleChoiceField(label="Many", choices=CHOICES, required=False)
    file = forms.FileField(label="File", required=False)
    clearable = forms.FileField(label="Clearable", widget=forms.ClearableFileInput, required=False)
    email = forms.EmailField(label="E-mail", required=False)
    password = forms.CharField(label="Password", widget=forms.PasswordInput)
    with_id = forms.CharField(label="", widget=forms.TextInput(attrs={"id": "own-id"}))


BAD = {
    "text": HOSTILE,
    "number": "-3",
    "decimal": "x",
    "day": "2026-02-30",
    "area": "",
    "radio": "z",
    "boxes": ["a", "zz"],
    "select": "<b>",
    "several": ["q"],
    "email": "not-an-address",
    "password": "",
}
GOOD = {
    "text": "短",
    "number": "3",
    "decimal": "1.5",
    "day": "2026-12-07",
    "area": "正文 & <b>",
    "agree": "on",
    "radio": "b",
    "boxes": ["a", "c"],
    "select": "c",
    "several": ["a", "b"],
    "password": "secret",
    "with_id": "x",
}


def assert_same(form: forms.Form) -> int:
    fields = list(form.visible_fields())
    for field in fields:
        context = Context({"field": field})
        assert TAG.render(context) == INCLUDE.render(context), field.name
    return len(fields)


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_every_kind_of_field_is_written_as_the_template_writes_it(language):
    upload = {"file": SimpleUploadedFile("a.txt", b"x")}
    with translation.override(language):
        assert assert_same(EveryKind()) == 16
        assert assert_same(EveryKind(data=BAD)) == 16
        bound = EveryKind(data=GOOD, files=upload)
        assert bound.is_valid(), bound.errors
        assert assert_same(bound) == 16
        assert assert_same(EveryKind(prefix="p", auto_id="x_%s")) == 16
        assert assert_same(EveryKind(data=BAD, auto_id=False)) == 16


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_problem_page_s_and_the_submit_s_forms_are_written_as_before(
    language, make_problem, lead_department
):
    problem = make_problem(Status.IN_PROGRESS)
    version = {"version": problem.version}
    made = [
        issue_forms.DispatchForm(initial={**version, "lead_department": lead_department.pk}),
        issue_forms.AppealTypeForm(initial={**version, "appeal_type": problem.appeal_type}),
        issue_forms.RejectForm(initial=version, problem=problem),
        issue_forms.ReasonForm(initial=version),
        issue_forms.ProgressForm(initial=version),
        issue_forms.ResolveForm(initial=version, outcomes=()),
        issue_forms.ExtensionRequestForm(initial=version),
        issue_forms.AssignHandlerForm(initial=version, department=lead_department),
        issue_forms.EvaluateForm(initial=version),
        issue_forms.InstructForm(initial=version),
        issue_forms.AttachForm(),
        issue_forms.ProblemSubmitForm(meetings=()),
        issue_forms.ProblemRegisterForm(meetings=()),
        # Sent empty: each with its errors.
        issue_forms.ProgressForm(data={"version": "x"}),
        issue_forms.ResolveForm(data={}, outcomes=()),
        issue_forms.EvaluateForm(data={"satisfaction": "<b>"}),
        issue_forms.ProblemSubmitForm(data={"title": HOSTILE}, meetings=()),
        issue_forms.AttachForm(data={}),
    ]
    with translation.override(language):
        assert sum(assert_same(form) for form in made) > 30
