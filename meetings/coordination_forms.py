"""Forms of the coordination pages: validation only, the writes are in
meetings.coordination_services."""

from __future__ import annotations

from django import forms
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from issues.models import OPEN_STATUSES, Problem
from issues.selectors import escalated_to
from liaison.forms import HtmlDateInput
from liaison.models import Department, Enterprise
from liaison.validators import validate_planned_date

from .models import MINUTES_MAX_LENGTH, NOTE_MAX_LENGTH, TASK_MAX_LENGTH, CoordinationMeeting

DATETIME_LOCAL = "%Y-%m-%dT%H:%M"


class _Form(forms.Form):
    """Ids named after the form: a page with two forms never has two `id_version`s."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("auto_id", f"{type(self).__name__.lower()}_%s")
        super().__init__(*args, **kwargs)


def _datetime_field() -> forms.DateTimeField:
    return forms.DateTimeField(
        label=_("Date and time"),
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format=DATETIME_LOCAL),
        input_formats=[DATETIME_LOCAL, "%Y-%m-%d %H:%M", "%Y-%m-%d %H:%M:%S"],
        validators=[validate_planned_date],
    )


class ProblemChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, problem: Problem) -> str:
        return f"{problem.reference} {problem.title}（{problem.enterprise.name}）"


class MeetingFields(_Form):
    title = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("The enterprise sees the subject, date and venue on its problem's timeline."),
    )
    starts_at = _datetime_field()
    venue = forms.CharField(label=_("Venue"), max_length=200)
    departments = forms.ModelMultipleChoiceField(
        label=_("Attending departments"),
        queryset=Department.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    enterprises = forms.ModelMultipleChoiceField(
        label=_("Attending enterprises"),
        queryset=Enterprise.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )

    def clean_title(self):
        return self.cleaned_data["title"].strip()

    def clean_venue(self):
        return self.cleaned_data["venue"].strip()


class ConveneForm(MeetingFields):
    """Convene for the problems chosen on the escalation list or a problem page.

    The problems offered are those chosen plus the leader's own escalations (a short
    list), never every open problem; enterprises offered are those of these problems.
    """

    problems = ProblemChoiceField(
        label=_("Problems"),
        queryset=Problem.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"required": _("Choose at least one problem for the meeting.")},
    )

    field_order = ["problems", "title", "starts_at", "venue", "departments", "enterprises"]

    def __init__(self, *args, user, chosen_ids: list[int], **kwargs):
        super().__init__(*args, **kwargs)
        offered = (
            Problem.objects.filter(status__in=OPEN_STATUSES)
            .filter(Q(pk__in=chosen_ids) | Q(pk__in=escalated_to(user).values("pk")))
            .select_related("enterprise")
            .order_by("due_at", "pk")
        )
        self.fields["problems"].queryset = offered
        self.fields["departments"].queryset = Department.objects.filter(is_active=True)
        self.fields["enterprises"].queryset = Enterprise.objects.filter(
            pk__in=offered.values("enterprise_id")
        )
        if not self.is_bound and chosen_ids:
            chosen = Problem.objects.filter(pk__in=chosen_ids, status__in=OPEN_STATUSES)
            co = Problem.co_departments.through.objects.filter(problem__in=chosen)
            self.initial.setdefault("problems", list(chosen.values_list("pk", flat=True)))
            self.initial.setdefault(
                "departments",
                sorted(
                    {d for d in chosen.values_list("lead_department_id", flat=True) if d}
                    | set(co.values_list("department_id", flat=True))
                ),
            )
            self.initial.setdefault(
                "enterprises", sorted(set(chosen.values_list("enterprise_id", flat=True)))
            )


class EditForm(MeetingFields):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    decisions = forms.CharField(
        label=_("Decisions and minutes"),
        widget=forms.Textarea(attrs={"rows": 5}),
        required=False,
        max_length=MINUTES_MAX_LENGTH,
    )

    def __init__(self, *args, meeting: CoordinationMeeting, **kwargs):
        super().__init__(*args, **kwargs)
        attending = meeting.departments.through.objects.filter(
            coordinationmeeting_id=meeting.pk
        ).values("department_id")
        self.fields["departments"].queryset = Department.objects.filter(
            Q(is_active=True) | Q(pk__in=attending)
        )
        self.fields["enterprises"].queryset = Enterprise.objects.filter(
            Q(pk__in=meeting.problems.values("enterprise_id"))
            | Q(
                pk__in=meeting.enterprises.through.objects.filter(
                    coordinationmeeting_id=meeting.pk
                ).values("enterprise_id")
            )
        )


class MarkHeldForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    decisions = forms.CharField(
        label=_("Decisions and minutes"),
        widget=forms.Textarea(attrs={"rows": 4}),
        required=False,
        max_length=MINUTES_MAX_LENGTH,
        help_text=_("Record each task as an action item below, so that it can be tracked."),
    )


class ActionItemForm(_Form):
    """One decision: a department, a task, a due date, and the problem it serves if several.

    Every department validates, so that one deactivated since the page was drawn gets
    the service's clear refusal instead of "not a valid choice"; only active ones are
    offered.
    """

    department = forms.ModelChoiceField(label=_("Department"), queryset=Department.objects.all())
    task = forms.CharField(
        label=_("Task"), max_length=TASK_MAX_LENGTH, widget=forms.Textarea(attrs={"rows": 2})
    )
    due_date = forms.DateField(
        label=_("Due date"), widget=HtmlDateInput(), validators=[validate_planned_date]
    )
    problem = forms.TypedChoiceField(
        label=_("For problem"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, problems: list[Problem], **kwargs):
        super().__init__(*args, **kwargs)
        self.problems = {p.pk: p for p in problems}
        if not self.is_bound:
            self.fields["department"].widget.choices = [("", "---------")] + [
                (d.pk, d.name) for d in Department.objects.filter(is_active=True)
            ]
        self.fields["problem"].choices = [("", _("All problems of the meeting"))] + [
            (p.pk, f"{p.reference} {p.title}") for p in problems
        ]
        if len(problems) == 1:
            self.fields["problem"].widget = forms.HiddenInput()
            self.initial.setdefault("problem", problems[0].pk)

    def clean_task(self):
        return self.cleaned_data["task"].strip()

    def clean_problem(self):
        pk = self.cleaned_data.get("problem")
        if pk is None and len(self.problems) == 1:
            return next(iter(self.problems.values()))  # a meeting for one problem: that one
        return self.problems.get(pk) if pk is not None else None


class CompleteForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    note = forms.CharField(label=_("Note"), required=False, max_length=NOTE_MAX_LENGTH)
