"""What the API reads and writes, as JSON. Validation only: every write goes through the
workflow or a service, and the bounds of every text are the web forms' own."""

from __future__ import annotations

from django import forms as django_forms
from django.core.exceptions import ValidationError as DjangoValidationError
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from issues import forms as problem_forms
from issues.models import AppealType, Channel, Problem, ProblemEvent, ReliefOutcome
from liaison.models import ENTERPRISE_DETAILS, Department, Enterprise
from liaison.privacy import ContactPhones
from liaison.templatetags.liaison_tags import person_name
from liaison.validators import validate_date_window
from meetings.models import Meeting

from .pagination import MAX_ID

# A version as the workflow stores it (a PositiveIntegerField).
MAX_VERSION = 2**31 - 1


def _form_field(form_class, name: str) -> django_forms.Field:
    return form_class.base_fields[name]


def _bounded_text(form_class, name: str, **kwargs) -> serializers.CharField:
    """A text field bounded as the web form bounds it (its max_length)."""
    field = _form_field(form_class, name)
    kwargs.setdefault("required", field.required)
    if not field.required:
        kwargs.setdefault("allow_blank", True)
    return serializers.CharField(max_length=field.max_length, **kwargs)


class FormValidated(serializers.Serializer):
    """Checks the types here, then the web form's own rules (`form_class`): the same limits
    and cross-field checks, with the same messages, in the caller's language."""

    form_class: type[django_forms.Form]

    def validate(self, attrs):
        form = self.form_class(data=attrs)
        if not form.is_valid():
            errors = {
                ("non_field_errors" if field == "__all__" else field): list(messages)
                for field, messages in form.errors.items()
            }
            raise serializers.ValidationError(errors)
        return {name: form.cleaned_data.get(name, value) for name, value in attrs.items()}


# --- references to other objects -----------------------------------------------------------


class EnterpriseRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)
    credit_code = serializers.CharField(read_only=True)


class NamedRefSerializer(serializers.Serializer):
    id = serializers.IntegerField(read_only=True)
    name = serializers.CharField(read_only=True)


# --- problems ----------------------------------------------------------------------------


class ProblemSerializer(serializers.ModelSerializer):
    """A problem in a list: what the web list shows."""

    status_display = serializers.CharField(source="get_status_display", read_only=True)
    channel_display = serializers.CharField(source="get_channel_display", read_only=True)
    appeal_type_display = serializers.CharField(source="get_appeal_type_display", read_only=True)
    enterprise = EnterpriseRefSerializer(read_only=True)
    category = NamedRefSerializer(read_only=True)
    lead_department = NamedRefSerializer(read_only=True, allow_null=True)
    meeting = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)
    merged_into = serializers.SlugRelatedField(
        slug_field="reference",
        read_only=True,
        allow_null=True,
        help_text="The main problem's reference when this one is merged into it (并单): "
        "handled, answered and counted there; evaluated by its own enterprise.",
    )

    class Meta:
        model = Problem
        fields = [
            "reference",
            "title",
            "status",
            "status_display",
            "channel",
            "channel_display",
            "appeal_type",
            "appeal_type_display",
            "suggested_appeal_type",
            "external_reference",
            "enterprise",
            "category",
            "lead_department",
            "meeting",
            "created_at",
            "updated_at",
            "due_at",
            "deadline_provisional",
            "first_resolved_at",
            "closed_at",
            "satisfaction",
            "reopen_count",
            "merged_into",
            "version",
        ]
        read_only_fields = fields


class ReliefOutcomeSerializer(serializers.ModelSerializer):
    """One line of burden relief (减负) recorded with the answer; read-only here."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)

    class Meta:
        model = ReliefOutcome
        fields = ["kind", "kind_display", "amount", "firms", "jobs", "note", "counted_on"]
        read_only_fields = fields


class ProblemDetailSerializer(ProblemSerializer):
    """One problem: the list's fields, its texts, and the actions the caller may take now."""

    co_departments = NamedRefSerializer(many=True, read_only=True)
    relief_outcomes = ReliefOutcomeSerializer(
        many=True,
        read_only=True,
        help_text="Burden relief (减负) recorded with the answer: yuan by kind, firms and "
        "jobs affected. Read-only in the API; the pages record and edit it.",
    )
    actions = serializers.SerializerMethodField(
        help_text="What the caller may do now: acknowledge, progress, resolve, extension, "
        "evaluate, ... (issues.problem_page.problem_actions)."
    )

    class Meta(ProblemSerializer.Meta):
        fields = [
            *ProblemSerializer.Meta.fields,
            "description",
            "answer",
            "rejection_reason",
            "co_departments",
            "relief_outcomes",
            "actions",
        ]
        read_only_fields = fields

    def get_actions(self, problem) -> list[str]:
        return sorted(self.context.get("actions", ()))


class ProblemCreateSerializer(serializers.Serializer):
    """A problem submitted through the API: by an enterprise's own system, or by the
    office's (the 12345 hotline, the enterprise portal) on an enterprise's behalf."""

    enterprise = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_ID,
        help_text="The enterprise's id. Or give enterprise_credit_code. An enterprise's "
        "own client may leave both out.",
    )
    enterprise_credit_code = serializers.CharField(required=False, max_length=18)
    title = _bounded_text(problem_forms.ProblemSubmitForm, "title")
    description = _bounded_text(problem_forms.ProblemSubmitForm, "description")
    category = serializers.IntegerField(min_value=1, max_value=MAX_ID, help_text="A category id.")
    channel = serializers.ChoiceField(
        choices=Channel.choices,
        required=False,
        help_text="How the problem reached the caller; the office's clients: hotline, "
        "portal, system, phone, visit or meeting; an enterprise's: web (the default).",
    )
    external_reference = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=Problem._meta.get_field("external_reference").max_length,
        help_text="The calling system's own number for the problem: sending the same one "
        "again returns the problem created the first time.",
    )
    appeal_type = serializers.ChoiceField(
        choices=AppealType.choices,
        required=False,
        allow_blank=True,
        error_messages={"invalid_choice": problem_forms.APPEAL_TYPE_ERRORS["invalid_choice"]},
        help_text="The appeal type the caller suggests (consultation, request, suggestion, "
        "complaint); the liaison office chooses it when dispatching. Default: request.",
    )


class VersionSerializer(FormValidated):
    form_class = problem_forms.VersionedForm
    version = serializers.IntegerField(
        min_value=1,
        max_value=MAX_VERSION,
        help_text="The problem's version as last read; a stale one is refused (409).",
    )


class ProgressSerializer(VersionSerializer):
    form_class = problem_forms.ProgressForm
    text = _bounded_text(problem_forms.ProgressForm, "text")
    is_public = serializers.BooleanField(
        default=True, help_text="False: an internal note, which the enterprise never sees."
    )


class ResolveSerializer(VersionSerializer):
    form_class = problem_forms.ResolveForm
    answer = _bounded_text(problem_forms.ResolveForm, "answer")


class ExtensionSerializer(VersionSerializer):
    form_class = problem_forms.ExtensionRequestForm
    days = serializers.IntegerField(
        min_value=_form_field(problem_forms.ExtensionRequestForm, "days").min_value,
        max_value=_form_field(problem_forms.ExtensionRequestForm, "days").max_value,
    )
    reason = _bounded_text(problem_forms.ExtensionRequestForm, "reason")


class EvaluateSerializer(VersionSerializer):
    form_class = problem_forms.EvaluateForm
    satisfaction = serializers.ChoiceField(
        choices=_form_field(problem_forms.EvaluateForm, "satisfaction").choices
    )
    reason = _bounded_text(problem_forms.EvaluateForm, "reason")


class EventSerializer(serializers.ModelSerializer):
    """One timeline entry. `actor` and `data` only for officials (events_visible_to decides
    which entries; internal ones never reach an enterprise)."""

    kind_display = serializers.CharField(source="get_kind_display", read_only=True)
    actor = serializers.SerializerMethodField()
    data = serializers.SerializerMethodField()

    class Meta:
        model = ProblemEvent
        fields = [
            "id",
            "kind",
            "kind_display",
            "created_at",
            "from_status",
            "to_status",
            "text",
            "is_public",
            "actor",
            "data",
        ]
        read_only_fields = fields

    def _internal(self) -> bool:
        return bool(self.context.get("show_internal"))

    def get_actor(self, event) -> str | None:
        if not self._internal() or event.actor is None:
            return None
        return person_name(event.actor)

    def get_data(self, event) -> dict | None:
        return event.data if self._internal() else None


# --- enterprises and departments -----------------------------------------------------------


class EnterpriseSerializer(serializers.ModelSerializer):
    """An enterprise. Written by the office's client (PUT /enterprises/<credit code>/):
    the model's validators check the credit code and the phone number."""

    town = serializers.PrimaryKeyRelatedField(
        queryset=Department.objects.filter(kind=Department.Kind.TOWN),
        allow_null=True,
        required=False,
        help_text="The id of a town or street (a department of kind town).",
    )

    class Meta:
        model = Enterprise
        # What the office's client writes is exactly what the service sets (a field the
        # service did not know would make a PUT fail with a server error).
        fields = ["id", "credit_code", *ENTERPRISE_DETAILS]
        read_only_fields = ["id", "credit_code"]
        # The model's validators run in the service (full_clean), with its messages.
        extra_kwargs = {
            "contact_phone": {
                "validators": [],
                "help_text": "In full for the office, leaders, the enterprise itself and "
                "departments handling one of its open problems; otherwise masked "
                "(138****0001).",
            }
        }

    def to_representation(self, instance):
        data = super().to_representation(instance)
        # issues.selectors.contact_phones_for, from the view; without it, masked.
        contact_phones = self.context.get("contact_phones") or ContactPhones()
        data["contact_phone"] = contact_phones.phone(instance)
        return data


class DepartmentSerializer(serializers.Serializer):
    """A department as the published lists show it: heads' contacts and guidance services."""

    id = serializers.IntegerField()
    name = serializers.CharField()
    short_name = serializers.CharField()
    kind = serializers.CharField()
    head_name = serializers.CharField()
    head_phone = serializers.CharField(
        help_text="A mobile number's middle digits are hidden from anonymous callers."
    )
    head_phone_masked = serializers.BooleanField()
    office_phone = serializers.CharField()
    supervising_leader = serializers.CharField(allow_null=True)
    guidance_services = serializers.ListField(child=serializers.CharField())


# --- meetings --------------------------------------------------------------------------------

# What both the list and the page show of a meeting.
MEETING_FIELDS = [
    "id",
    "year",
    "number",
    "theme",
    "starts_at",
    "venue",
    "status",
    "status_display",
]


class MeetingSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    invited_count = serializers.IntegerField(read_only=True)
    problem_count = serializers.IntegerField(
        read_only=True, help_text="The meeting's problems the caller may see."
    )

    class Meta:
        model = Meeting
        fields = [*MEETING_FIELDS, "invited_count", "problem_count"]
        read_only_fields = fields


class MeetingDetailSerializer(serializers.ModelSerializer):
    status_display = serializers.CharField(source="get_status_display", read_only=True)
    presiding_leaders = serializers.SerializerMethodField()
    departments = NamedRefSerializer(many=True, read_only=True)
    problems = serializers.SerializerMethodField(
        help_text="References of the meeting's problems the caller may see."
    )

    class Meta:
        model = Meeting
        fields = [*MEETING_FIELDS, "presiding_leaders", "departments", "problems"]
        read_only_fields = fields

    def get_presiding_leaders(self, meeting) -> list[str]:
        return [person_name(user) for user in meeting.presiding_leaders.all()]

    def get_problems(self, meeting) -> list[str]:
        return list(self.context.get("problem_references", []))


# --- figures and the calendar ----------------------------------------------------------------


class FiguresQuerySerializer(serializers.Serializer):
    """The dashboard's filter (dashboard.filters.DashboardFilter), for the schema."""

    year = serializers.IntegerField(required=False)
    date_from = serializers.DateField(required=False)
    date_to = serializers.DateField(required=False)
    department = serializers.IntegerField(required=False)
    category = serializers.IntegerField(required=False)
    meeting = serializers.IntegerField(required=False)
    leader = serializers.IntegerField(required=False)


class FigureCountsSerializer(serializers.Serializer):
    received = serializers.IntegerField()
    accepted = serializers.IntegerField()
    concluded = serializers.IntegerField()
    on_time = serializers.IntegerField()
    open = serializers.IntegerField()
    overdue = serializers.IntegerField()
    evaluated = serializers.IntegerField()
    satisfied = serializers.IntegerField()
    escalated = serializers.IntegerField()
    conclusion_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    on_time_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    satisfaction_rate = serializers.DecimalField(max_digits=5, decimal_places=1, allow_null=True)
    average_working_days = serializers.DecimalField(max_digits=7, decimal_places=1, allow_null=True)


class LeagueRowSerializer(FigureCountsSerializer):
    department = NamedRefSerializer()


class AppealTypeRowSerializer(FigureCountsSerializer):
    appeal_type = serializers.ChoiceField(choices=AppealType.choices)
    label = serializers.CharField()


class FiguresSerializer(serializers.Serializer):
    date_from = serializers.DateField()
    date_to = serializers.DateField()
    as_of = serializers.DateTimeField(
        allow_null=True, help_text="When the summary the figures come from was computed."
    )
    headline = FigureCountsSerializer()
    league = LeagueRowSerializer(many=True)
    appeal_types = AppealTypeRowSerializer(
        many=True, help_text="The same counts by appeal type (诉求类型), every type."
    )


class WorkingDayQuerySerializer(serializers.Serializer):
    date = serializers.DateField(validators=[validate_date_window])


class WorkingDaySerializer(serializers.Serializer):
    date = serializers.DateField()
    is_working_day = serializers.BooleanField()
    provisional = serializers.BooleanField(
        help_text="The year's official schedule is not confirmed yet: weekday rule only."
    )


class WindowedDateTimeField(serializers.DateTimeField):
    """A datetime whose date is checked against the window (2000-2100) before the time
    zone is applied: DRF's own check of a naive 0001-01-01T00:00 or 9999-12-31T23:59 in
    the site's zone overflows (OverflowError, a 500) instead of failing the field."""

    def enforce_timezone(self, value):
        try:
            validate_date_window(value.replace(tzinfo=None))
        except DjangoValidationError as error:
            raise serializers.ValidationError(error.messages) from None
        return super().enforce_timezone(value)


class DeadlineQuerySerializer(serializers.Serializer):
    start = WindowedDateTimeField(
        validators=[validate_date_window],
        help_text="When the clock starts (ISO 8601; without an offset, Asia/Shanghai).",
    )
    working_days = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=60,
        help_text="Default: the deadline's working days (10).",
    )


class DeadlineSerializer(serializers.Serializer):
    start = serializers.DateTimeField()
    working_days = serializers.IntegerField()
    due_at = serializers.DateTimeField()
    warn_at = serializers.DateTimeField()
    provisional = serializers.BooleanField()


class ErrorSerializer(serializers.Serializer):
    detail = serializers.CharField()
    code = serializers.CharField(required=False)


class StaleErrorSerializer(ErrorSerializer):
    version = serializers.IntegerField(help_text="The problem's current version.")


class ConflictSerializer(ErrorSerializer):
    reference = serializers.CharField(
        required=False, help_text="The problem the external reference already names."
    )


# Messages the views use (here so that makemessages finds them once).
UNKNOWN_ENTERPRISE = _("There is no such enterprise.")
UNKNOWN_CATEGORY = _("There is no such category in use.")
