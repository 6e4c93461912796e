"""Common-problem forms: the common problem, links, status, measures, milestones,
publishing, and an enterprise's "this concerns us too"."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.forms import LeaderChoiceField, leader_queryset
from issues.models import Category
from liaison.forms import HtmlDateInput
from liaison.models import Department
from liaison.validators import validate_date_window

from .models import (
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    PUBLISHED_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    URL_MAX_LENGTH,
    CommonProblem,
)


class _Form(forms.Form):
    """Ids named after the form: the page shows several forms at once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


def _date_field(label, **kwargs) -> forms.DateField:
    return forms.DateField(
        label=label, widget=HtmlDateInput(), validators=[validate_date_window], **kwargs
    )


class CommonProblemForm(_Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 4}),
    )
    category = forms.ModelChoiceField(
        label=_("Category"), queryset=Category.objects.filter(is_active=True)
    )
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.filter(is_active=True)
    )
    responsible_leader = LeaderChoiceField(
        label=_("Responsible district leader"), queryset=leader_queryset(), required=False
    )


class CreateForm(CommonProblemForm):
    references = forms.CharField(
        label=_("Problems to link"),
        help_text=_("Their reference numbers, separated by spaces or commas."),
        required=False,
        max_length=3000,
    )

    def reference_list(self) -> list[str]:
        text = self.cleaned_data.get("references", "").replace(",", " ").replace("，", " ")
        return text.split()


class EditForm(CommonProblemForm):
    version = forms.IntegerField(widget=forms.HiddenInput)


class LinkForm(_Form):
    references = forms.CharField(
        label=_("Reference numbers"),
        help_text=_("Separated by spaces or commas."),
        max_length=3000,
    )

    def reference_list(self) -> list[str]:
        text = self.cleaned_data["references"].replace(",", " ").replace("，", " ")
        return text.split()


class StatusForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    status = forms.ChoiceField(label=_("Status"), choices=CommonProblem.Status.choices)
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class MeasureForm(_Form):
    title = forms.CharField(label=_("Title"), max_length=TITLE_MAX_LENGTH)
    issuing_body = forms.CharField(label=_("Issuing body"), max_length=200)
    document_number = forms.CharField(label=_("Document number"), max_length=100, required=False)
    issued_on = _date_field(_("Issued on"))
    url = forms.CharField(
        label=_("Link"),
        max_length=URL_MAX_LENGTH,
        required=False,
        help_text=_("A web address starting with http:// or https://."),
    )
    attachment = forms.FileField(label=_("File"), required=False)
    departments = forms.ModelMultipleChoiceField(
        label=_("Departments involved"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 5}),
    )


class MilestoneForm(_Form):
    title = forms.CharField(label=_("Milestone"), max_length=TITLE_MAX_LENGTH)
    due_date = _date_field(_("Due date"))


class MilestoneDoneForm(_Form):
    done_date = _date_field(_("Done on"), required=False)


class PublishForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    published_title = forms.CharField(label=_("Title enterprises see"), max_length=TITLE_MAX_LENGTH)
    published_text = forms.CharField(
        label=_("Text enterprises see"),
        max_length=PUBLISHED_TEXT_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Do not name any enterprise: every enterprise user reads this."),
    )
    confirm_names = forms.BooleanField(
        label=_("I have checked: publish although the text seems to name an enterprise"),
        required=False,
    )


class CosignForm(_Form):
    note = forms.CharField(
        label=_("How it concerns you (optional)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
