"""Forms of the face-to-face meeting pages. Validation only: every write is a meetings service."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from issues.forms import LeaderChoiceField, leader_queryset
from issues.models import ANSWER_MAX_LENGTH
from liaison.models import Department, Enterprise
from liaison.validators import validate_planned_date

from .models import MINUTES_MAX_LENGTH

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class VersionedForm(forms.Form):
    """Carries the version of the meeting (or problem) the page was rendered with."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        # Several forms share the meeting page: ids named after the form stay unique.
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class LeadersField(LeaderChoiceField, forms.ModelMultipleChoiceField):
    pass


def _checkboxes():
    return forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"})


class MeetingForm(VersionedForm):
    theme = forms.CharField(label=_("Theme"), max_length=200)
    starts_at = forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        validators=[validate_planned_date],
    )
    venue = forms.CharField(label=_("Venue"), max_length=200)
    presiding_leaders = LeadersField(
        label=_("Presiding leaders"),
        queryset=leader_queryset(),
        required=False,
        widget=_checkboxes(),
    )
    departments = forms.ModelMultipleChoiceField(
        label=_("Participating departments"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        widget=_checkboxes(),
    )
    enterprises = forms.ModelMultipleChoiceField(
        label=_("Invited enterprises"),
        queryset=Enterprise.objects.order_by("name"),
        required=False,
        widget=_checkboxes(),
        help_text=_("More can be invited until the meeting is held."),
    )
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=MINUTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
    )

    def __init__(self, *args, editing: bool = False, held: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if editing:
            # Invitations are managed on the meeting page, with their own checks.
            del self.fields["enterprises"]
        else:
            del self.fields["minutes"]
        if held:
            # The date is where the problems' clocks started: it stays.
            self.fields["starts_at"].disabled = True

    def clean_theme(self):
        return self.cleaned_data["theme"].strip()

    def clean_venue(self):
        return self.cleaned_data["venue"].strip()


class InviteForm(forms.Form):
    enterprises = forms.ModelMultipleChoiceField(
        label=_("Enterprises to invite"),
        queryset=Enterprise.objects.none(),
        widget=_checkboxes(),
        error_messages={"required": _("Choose at least one enterprise to invite.")},
    )

    def __init__(self, *args, meeting=None, **kwargs):
        kwargs.setdefault("auto_id", "invite_%s")
        super().__init__(*args, **kwargs)
        queryset = Enterprise.objects.order_by("name")
        if meeting is not None:
            queryset = queryset.exclude(invitations__meeting=meeting)
        self.fields["enterprises"].queryset = queryset


class UninviteForm(forms.Form):
    enterprise = forms.ModelChoiceField(queryset=Enterprise.objects.all())


class ReplyForm(forms.Form):
    """An invited enterprise's answer: it will attend, or it cannot."""

    attending = forms.TypedChoiceField(
        choices=[("yes", _("Will attend")), ("no", _("Cannot attend"))],
        coerce=lambda value: value == "yes",
        error_messages={"required": _("Say whether your enterprise will attend.")},
    )


class MarkHeldForm(VersionedForm):
    attended = forms.TypedMultipleChoiceField(
        label=_("Enterprises that attended"),
        coerce=int,
        required=False,
        widget=_checkboxes(),
    )

    def __init__(self, *args, invitations=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["attended"].choices = [
            (invitation.enterprise_id, invitation.enterprise.name) for invitation in invitations
        ]


class CloseForm(VersionedForm):
    minutes = forms.CharField(
        label=_("Minutes"),
        required=False,
        max_length=MINUTES_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("Required to close the meeting: the record of what was decided."),
    )


class OnSiteAnswerForm(forms.Form):
    """An answer given at the meeting to one problem; `version` is the problem's.

    For a problem registered after the meeting and not yet dispatched, the office also
    names the department that answered (the problem is dispatched to it in that step).
    """

    problem = forms.IntegerField(widget=forms.HiddenInput)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    lead_department = forms.ModelChoiceField(
        label=_("Department that answered"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        help_text=_("The problem is dispatched to it with this answer."),
    )
    answer = forms.CharField(
        label=_("Answer given at the meeting"),
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    resolve = forms.BooleanField(
        label=_("Fully answered at the meeting: conclude the problem"),
        required=False,
        help_text=_("The enterprise is then asked to evaluate the answer."),
    )

    def __init__(self, *args, problem=None, departments=None, **kwargs):
        if problem is not None:
            kwargs.setdefault("auto_id", f"answer{problem.pk}_%s")
            kwargs.setdefault(
                "initial",
                {
                    "problem": problem.pk,
                    "version": problem.version,
                    "lead_department": problem.category.default_lead_department_id,
                },
            )
        super().__init__(*args, **kwargs)
        if problem is not None and problem.lead_department_id is not None:
            del self.fields["lead_department"]
        elif departments is not None:
            # Read once for all the page's forms, not once per form.
            self.fields["lead_department"].choices = [
                ("", "---------"),
                *((d.pk, d.name) for d in departments),
            ]
