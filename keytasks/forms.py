"""Key-task forms: creating a task, milestones, progress reports, links, completion."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.forms import LeaderChoiceField, leader_queryset
from liaison.forms import HtmlDateInput
from liaison.models import Department
from liaison.validators import validate_date_window

from .models import (
    DESCRIPTION_MAX_LENGTH,
    EVIDENCE_MAX_LENGTH,
    REPORT_MAX_LENGTH,
    TARGET_MAX_LENGTH,
)


class _Form(forms.Form):
    """Ids named after the form: the task page shows several forms at once."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


def _date_field(label) -> forms.DateField:
    return forms.DateField(label=label, widget=HtmlDateInput(), validators=[validate_date_window])


class KeyTaskForm(_Form):
    year = forms.IntegerField(label=_("Year"), min_value=2000, max_value=2100)
    number = forms.IntegerField(label=_("Number"), min_value=1, max_value=999)
    title = forms.CharField(label=_("Title"), max_length=200)
    description = forms.CharField(
        label=_("Description"),
        required=False,
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    target = forms.CharField(
        label=_("Target"),
        help_text=_("What “done” means."),
        max_length=TARGET_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )
    leader = LeaderChoiceField(label=_("Leading district leader"), queryset=leader_queryset())
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.filter(is_active=True)
    )
    supporting_departments = forms.ModelMultipleChoiceField(
        label=_("Supporting departments"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=forms.SelectMultiple(attrs={"size": 6}),
    )


class MilestoneForm(_Form):
    title = forms.CharField(label=_("Milestone"), max_length=200)
    due_date = _date_field(_("Due date"))


class MilestoneTickForm(_Form):
    done_date = _date_field(_("Done on"))
    evidence = forms.CharField(
        label=_("Evidence"),
        required=False,
        max_length=EVIDENCE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ProgressReportForm(_Form):
    text = forms.CharField(
        label=_("Progress"), max_length=REPORT_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    # No bounds here: the service refuses a percent outside 0–100 with its own message.
    percent = forms.IntegerField(label=_("Progress (%)"))
    # The files come from request.FILES.getlist("files") (an <input multiple> in the page);
    # the service checks them.


class LinkProblemForm(_Form):
    reference = forms.CharField(label=_("Problem reference"), max_length=20)


class LinkMeetingForm(_Form):
    meeting = forms.IntegerField(label=_("Coordination meeting"), widget=forms.Select)


class CompleteForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput)
