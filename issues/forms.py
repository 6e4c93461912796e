"""Forms for the problem pages. Validation only: every write goes through the workflow."""

from __future__ import annotations

import uuid

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils import formats
from django.utils.translation import gettext_lazy as _

from liaison.models import LEADER_ROLES, Department, Enterprise, Role

from . import attachments
from .models import (
    ANSWER_MAX_LENGTH,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    AppealType,
    CallBack,
    Category,
    Channel,
    Problem,
    Satisfaction,
)
from .relief import forms as relief_forms
from .selectors import visible_to

User = get_user_model()


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    """Several files in one input; each is checked by size, type and content."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", MultipleFileInput(attrs={"accept": _accept_attr()}))
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        single = super().clean
        if isinstance(data, (list, tuple)):
            uploads = [single(item, initial) for item in data if item]
        else:
            uploads = [single(data, initial)] if data else []
        if len(uploads) > attachments.MAX_PER_PROBLEM:
            raise ValidationError(
                _("At most %(max)d files per problem."),
                params={"max": attachments.MAX_PER_PROBLEM},
            )
        errors = []
        for upload in uploads:
            try:
                attachments.check_upload(upload)
            except ValidationError as error:
                errors.extend(error.messages)
        if errors:
            raise ValidationError(errors)
        return uploads


def _accept_attr() -> str:
    return ",".join(f".{ext}" for ext in attachments.ALLOWED)


class ActionForm(forms.Form):
    """One of the several forms of the problem page: its ids name the form.

    With Django's default ids two forms there would both have `id_is_public` or
    `id_version`, and a click on one form's label would tick the other form's box.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


class VersionedForm(ActionForm):
    """Carries the problem version the page was rendered with, to detect stale pages."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def meeting_label(meeting) -> str:
    return _("No. %(number)s · %(date)s · %(theme)s") % {
        "number": meeting.number,
        "date": formats.date_format(meeting.local_date),
        "theme": meeting.theme,
    }


APPEAL_TYPE_ERRORS = {
    "invalid_choice": _(
        "Unknown appeal type: choose consultation, request for a solution, suggestion or complaint."
    ),
    "required": _("Choose the appeal type."),
}


def appeal_type_field(*, required: bool, not_sure: bool = False, **kwargs) -> forms.ChoiceField:
    """The appeal type (诉求类型) as radio buttons: one tap each on a phone.

    `not_sure` (the enterprise's suggestion): a first choice that leaves it to the office.
    """
    choices = list(AppealType.choices)
    if not_sure:
        choices = [("", _("Not sure: the liaison office decides")), *choices]
    return forms.ChoiceField(
        label=_("Appeal type"),
        choices=choices,
        required=required,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
        error_messages=APPEAL_TYPE_ERRORS,
        **kwargs,
    )


class ProblemSubmitForm(forms.Form):
    """`meetings`: the face-to-face meetings the problem may be raised for (one query).

    Offered as plain choices built from that list: a ModelChoiceField would read the
    meetings again to render them and once more to check the choice.
    """

    submission_key = forms.UUIDField(widget=forms.HiddenInput, initial=uuid.uuid4)
    title = forms.CharField(
        label=_("Title"),
        max_length=120,
        help_text=_("One sentence: what is the difficulty?"),
    )
    # Blank until chosen: a hurried user must not file under the first category by default
    # (the office's dispatch form proposes the chosen category's lead department).
    category = forms.ModelChoiceField(
        label=_("Category"),
        queryset=Category.objects.filter(is_active=True),
        empty_label=_("Choose…"),
    )
    description = forms.CharField(
        label=_("Description"),
        max_length=DESCRIPTION_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("What happened, what you have tried, and what help you need."),
    )
    appeal_type = appeal_type_field(
        required=False,
        not_sure=True,
        initial="",
        help_text=_(
            "Optional. Do you ask a question, need a problem solved, make a suggestion "
            "or complain? The liaison office confirms it."
        ),
    )
    files = MultipleFileField(
        label=_("Attachments"),
        help_text=_("Optional. Up to 10 files of at most 20 MB: PDF, images, Word or Excel."),
    )

    field_order = ["meeting", "title", "category", "description", "appeal_type", "files"]

    def __init__(self, *args, meetings=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.meetings = {meeting.pk: meeting for meeting in (meetings or [])}
        if self.meetings:
            self.fields["meeting"] = forms.TypedChoiceField(
                label=_("Face-to-face meeting"),
                choices=[("", _("— Not for a meeting —"))]
                + [(pk, meeting_label(m)) for pk, m in self.meetings.items()],
                coerce=int,
                empty_value=None,
                required=False,
                help_text=_(
                    "Raised for a meeting: the department prepares its answer and the "
                    "10-working-day clock starts on the meeting's date."
                ),
            )
            self.order_fields(self.field_order)

    def clean_meeting(self):
        pk = self.cleaned_data.get("meeting")
        return self.meetings.get(pk) if pk is not None else None

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_description(self):
        return self.cleaned_data["description"].strip()


class ProblemRegisterForm(ProblemSubmitForm):
    """The office registers a problem collected by visit, phone or at a meeting."""

    enterprise = forms.ModelChoiceField(label=_("Enterprise"), queryset=Enterprise.objects.all())
    channel = forms.ChoiceField(
        label=_("Channel"),
        choices=[(c.value, c.label) for c in Channel if c != Channel.WEB],
    )

    field_order = [
        "enterprise",
        "channel",
        "meeting",
        "title",
        "category",
        "description",
        "appeal_type",
        "files",
    ]


def leader_queryset():
    return (
        User.objects.filter(profile__role__in=LEADER_ROLES, is_active=True)
        .select_related("profile")
        .order_by("profile__role", "last_name", "first_name")
    )


class LeaderChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj):
        name = obj.get_full_name() or obj.get_username()
        return f"{name} · {obj.profile.title}" if obj.profile.title else name


class DispatchForm(VersionedForm):
    lead_department = forms.ModelChoiceField(
        label=_("Lead department"), queryset=Department.objects.filter(is_active=True)
    )
    co_departments = forms.ModelMultipleChoiceField(
        label=_("Co-departments"),
        queryset=Department.objects.filter(is_active=True),
        required=False,
        # Tick boxes in a scrolling list: easier than a multiple select on a phone.
        widget=forms.CheckboxSelectMultiple(attrs={"class": "form-check-input"}),
    )
    responsible_leader = LeaderChoiceField(
        label=_("Responsible district leader"),
        queryset=leader_queryset(),
        required=False,
        help_text=_("If empty, the lead department's supervising leader is responsible."),
    )
    # Prefilled with the problem's type: the enterprise's suggestion, else the default.
    # Left out (a script posting the older form): the problem keeps its type.
    appeal_type = appeal_type_field(required=False)
    note = forms.CharField(
        label=_("Note to the department"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )

    def clean(self):
        data = super().clean()
        lead = data.get("lead_department")
        if lead and lead in (data.get("co_departments") or []):
            self.add_error(
                "co_departments", _("The lead department cannot also be a co-department.")
            )
        return data


class AppealTypeForm(VersionedForm):
    """The office changes the appeal type of a problem after triage."""

    appeal_type = appeal_type_field(required=True)
    note = forms.CharField(
        label=_("Why (internal)"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class RejectForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason (shown to the enterprise)"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    duplicate_of = forms.CharField(
        label=_("Duplicate of (reference)"),
        required=False,
        max_length=12,
        help_text=_("e.g. 2026-00012, if the same problem was already raised."),
    )

    def __init__(self, *args, problem: Problem | None = None, user=None, **kwargs):
        self.problem = problem
        self.user = user
        super().__init__(*args, **kwargs)

    def clean_duplicate_of(self):
        reference = self.cleaned_data["duplicate_of"].strip()
        if not reference:
            return None
        # Among the problems the user may see: the answer must not tell whether a
        # problem they may not see exists (DESIGN.md §3).
        problems = Problem.objects.all() if self.user is None else visible_to(self.user)
        original = problems.filter(reference=reference).first()
        if original is None:
            raise ValidationError(_("There is no problem %(ref)s."), params={"ref": reference})
        if self.problem is not None and original.pk == self.problem.pk:
            raise ValidationError(_("A problem cannot duplicate itself."))
        return original


class ReasonForm(VersionedForm):
    reason = forms.CharField(
        label=_("Reason"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ProgressForm(VersionedForm):
    text = forms.CharField(
        label=_("Progress"), max_length=ANSWER_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )
    is_public = forms.BooleanField(
        label=_("Visible to the enterprise"),
        required=False,
        initial=True,
        help_text=_("Untick for an internal note that only officials see."),
    )


class ExtensionRequestForm(VersionedForm):
    days = forms.IntegerField(label=_("Extra working days"), min_value=1, max_value=10)
    reason = forms.CharField(
        label=_("Reason"), max_length=NOTE_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 3})
    )


class ExtensionDecisionForm(forms.Form):
    approve = forms.TypedChoiceField(
        label=_("Decision"),
        choices=[("1", _("Approve")), ("0", _("Deny"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    note = forms.CharField(
        label=_("Note"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 2}),
    )


class ResolveForm(VersionedForm):
    """The answer, and its burden-relief lines (减负) as a formset (`outcomes`).

    `cleaned_data["outcomes"]`: the lines, or None when the request carried no formset
    (the API, a page from before): the lines recorded earlier then stay as they are.
    """

    answer = forms.CharField(
        label=_("Answer to the enterprise"),
        max_length=ANSWER_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 5}),
        help_text=_("What was done and the result. The enterprise is asked to evaluate it."),
    )

    def __init__(self, *args, outcomes=(), **kwargs):
        super().__init__(*args, **kwargs)
        sent = self.is_bound and relief_forms.sent_with(self.data)
        self.outcomes = relief_forms.outcome_formset(self.data if sent else None, outcomes=outcomes)
        self.outcomes_sent = sent

    def clean(self):
        data = super().clean()
        data["outcomes"] = None
        if self.outcomes_sent:
            if not self.outcomes.is_valid():
                raise ValidationError(_("Check the burden relief lines below the answer."))
            data["outcomes"] = self.outcomes.lines()
        return data


# What an evaluation may say, by the enterprise's page or a call-back (not "not evaluated":
# that is what closing without an evaluation records).
EVALUATION_CHOICES = [
    (choice.value, choice.label)
    for choice in (Satisfaction.SATISFIED, Satisfaction.BASICALLY, Satisfaction.UNSATISFIED)
]


class EvaluateForm(VersionedForm):
    satisfaction = forms.ChoiceField(
        label=_("Are you satisfied with the answer?"),
        choices=EVALUATION_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("Comment"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when unsatisfied: the problem goes back to the department."),
    )

    def clean(self):
        data = super().clean()
        if (
            data.get("satisfaction") == Satisfaction.UNSATISFIED
            and not (data.get("reason") or "").strip()
        ):
            self.add_error("reason", _("Say why you are not satisfied."))
        return data


class InstructForm(VersionedForm):
    text = forms.CharField(
        label=_("Instruction"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
    )


class AssignHandlerForm(VersionedForm):
    handler = forms.ModelChoiceField(label=_("Handler"), queryset=User.objects.none())

    def __init__(self, *args, department: Department, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["handler"].queryset = User.objects.filter(
            is_active=True,
            profile__department=department,
            profile__role__in=[Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD],
            profile__is_service_account=False,
        ).order_by("last_name", "first_name")
        self.fields["handler"].label_from_instance = lambda u: u.get_full_name() or u.username


class AttachForm(ActionForm):
    files = MultipleFileField(label=_("Add files"), required=True)
    is_public = forms.BooleanField(
        label=_("Visible to the enterprise"), required=False, initial=True
    )


# --- call-backs (回访) ------------------------------------------------------------------

CALLBACK_DATETIME = "%Y-%m-%dT%H:%M"


class CallBackForm(VersionedForm):
    """The office's record of one telephone call-back; the rules are the workflow's."""

    called_at = forms.DateTimeField(
        label=_("Called at"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=CALLBACK_DATETIME),
        input_formats=[CALLBACK_DATETIME, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
    )
    outcome = forms.ChoiceField(
        label=_("Was the enterprise reached?"),
        choices=[(c.value, c.label) for c in CallBack.Outcome],
        initial=CallBack.Outcome.REACHED.value,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    satisfaction = forms.ChoiceField(
        label=_("The enterprise's evaluation"),
        required=False,
        choices=EVALUATION_CHOICES,
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    said = forms.CharField(
        label=_("What was said"),
        required=False,
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_("Required when unsatisfied: what the enterprise is not satisfied with."),
    )

    def clean(self):
        data = super().clean()
        if data.get("outcome") == CallBack.Outcome.REACHED and not data.get("satisfaction"):
            self.add_error("satisfaction", _("Choose the evaluation the enterprise gave."))
        return data


class CallBackReviewForm(VersionedForm):
    decision = forms.ChoiceField(
        label=_("Decision"),
        choices=[
            ("reopen", _("Reopen: back to the lead department with a new deadline")),
            ("close", _("Close with a reason")),
        ],
        widget=forms.RadioSelect(attrs={"class": "form-check-input"}),
    )
    reason = forms.CharField(
        label=_("Reason"),
        max_length=NOTE_MAX_LENGTH,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=_(
            "Reopening: the department and the enterprise read it. Closing: officials and "
            "leaders read it, the enterprise does not."
        ),
    )
