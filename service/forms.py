"""Forms of the service pages. Validation only: every write is a service in service.services."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from issues.forms import LeaderChoiceField, ProblemSubmitForm, leader_queryset
from liaison.models import Department, Enterprise
from liaison.templatetags.liaison_tags import person_name

from .models import FINDINGS_MAX_LENGTH, PURPOSE_MAX_LENGTH, Visit
from .selectors import MONTHS_DEFAULT, MONTHS_MAX, MONTHS_MIN, officials

DATE = {"type": "date"}


class OfficialChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user) -> str:
        department = user.profile.department
        name = person_name(user)
        return (
            f"{name} · {department.name}"
            if department
            else f"{name} · {user.profile.get_role_display()}"
        )


class OfficialsField(OfficialChoiceField, forms.ModelMultipleChoiceField):
    pass


class VisitForm(forms.Form):
    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    enterprise = forms.ModelChoiceField(
        label=_("Enterprise"), queryset=Enterprise.objects.all(), empty_label=_("Choose…")
    )
    status = forms.ChoiceField(
        label=_("Status"), choices=Visit.Status.choices, initial=Visit.Status.DONE
    )
    visited_on = forms.DateField(label=_("Date of the visit"), widget=forms.DateInput(attrs=DATE))
    purpose = forms.CharField(label=_("Purpose"), max_length=PURPOSE_MAX_LENGTH)
    findings = forms.CharField(
        label=_("What was found"),
        max_length=FINDINGS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("The enterprise's situation, its difficulties and requests."),
    )
    officials = OfficialsField(
        label=_("Officials who went"),
        queryset=get_user_model().objects.none(),
        required=False,
        help_text=_("You are counted among them."),
    )
    leader = LeaderChoiceField(
        label=_("District leader who went"), queryset=leader_queryset(), required=False
    )
    follow_up_on = forms.DateField(
        label=_("Follow-up visit on"),
        required=False,
        widget=forms.DateInput(attrs=DATE),
        help_text=_("Optional. You are reminded on that day."),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["officials"].queryset = officials()


class MarkDoneForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
    findings = forms.CharField(
        label=_("What was found"),
        max_length=FINDINGS_MAX_LENGTH,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class RaiseProblemForm(ProblemSubmitForm):
    """A problem found at the visit, raised on the enterprise's behalf."""

    version = forms.IntegerField(widget=forms.HiddenInput)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        del self.fields["files"]


class AssignForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.all())
    commissioner = OfficialChoiceField(
        label=_("Commissioner"), queryset=get_user_model().objects.none(), required=False
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["commissioner"].queryset = officials()


class AssignFilterForm(forms.Form):
    town = forms.ModelChoiceField(
        label=_("Town or street"),
        queryset=Department.objects.filter(kind=Department.Kind.TOWN),
        required=False,
        empty_label=_("All"),
    )
    industry = forms.CharField(label=_("Industry"), max_length=100, required=False)


class VisitFilterForm(forms.Form):
    status = forms.ChoiceField(
        label=_("Status"), choices=[("", _("All")), *Visit.Status.choices], required=False
    )
    town = forms.ModelChoiceField(
        label=_("Town or street"),
        queryset=Department.objects.filter(kind=Department.Kind.TOWN),
        required=False,
        empty_label=_("All"),
    )
    enterprise = forms.CharField(label=_("Enterprise"), max_length=100, required=False)
    date_from = forms.DateField(label=_("From"), required=False, widget=forms.DateInput(attrs=DATE))
    date_to = forms.DateField(label=_("To"), required=False, widget=forms.DateInput(attrs=DATE))
    leaders_only = forms.BooleanField(label=_("With a leader"), required=False)


class StatisticsForm(forms.Form):
    year = forms.IntegerField(min_value=2000, max_value=2100, required=False)
    months = forms.IntegerField(
        label=_("Not visited for (months)"),
        min_value=MONTHS_MIN,
        max_value=MONTHS_MAX,
        required=False,
        initial=MONTHS_DEFAULT,
    )
