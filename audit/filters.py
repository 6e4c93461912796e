"""The audit page's filters (django-filter): person, enterprise, action, period."""

from __future__ import annotations

import datetime as dt

import django_filters
from auditlog.models import LogEntry
from django import forms
from django.contrib.contenttypes.models import ContentType
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison.forms import HtmlDateInput
from liaison.models import Enterprise, Profile
from liaison.validators import validate_date_window

from . import changes
from .models import USERNAME_MAX_LENGTH, AccessEvent, Action

# django-auditlog's actions (it has no Chinese): what a change entry says was done.
CHANGE_ACTIONS = [
    (LogEntry.Action.CREATE, _("Created")),
    (LogEntry.Action.UPDATE, _("Changed")),
    (LogEntry.Action.DELETE, _("Deleted")),
]


class PeriodForm(forms.Form):
    def clean(self):
        data = super().clean()
        first, last = data.get("date_from"), data.get("date_to")
        if first and last and first > last:
            raise forms.ValidationError(_("The period ends before it starts."), code="period")
        return data


def _start_of(day: dt.date) -> dt.datetime:
    """Midnight starting `day` in the site's time zone: a range the index on time can use."""
    return timezone.make_aware(dt.datetime.combine(day, dt.time.min))


class AuditFilterBase(django_filters.FilterSet):
    person = django_filters.CharFilter(
        label=_("Person (user name contains)"),
        method="filter_person",
        max_length=USERNAME_MAX_LENGTH,
    )
    enterprise = django_filters.ModelChoiceFilter(
        label=_("Enterprise"),
        queryset=Enterprise.objects.order_by("name"),
        method="filter_enterprise",
    )
    date_from = django_filters.DateFilter(
        label=_("From"),
        method="filter_from",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    date_to = django_filters.DateFilter(
        label=_("Until"),
        method="filter_to",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )

    time_field = "at"

    class Meta:
        form = PeriodForm
        fields: list[str] = []

    def filter_from(self, queryset, name, value):
        return (
            queryset.filter(**{f"{self.time_field}__gte": _start_of(value)}) if value else queryset
        )

    def filter_to(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(
            **{f"{self.time_field}__lt": _start_of(value + dt.timedelta(days=1))}
        )


class AccessEventFilter(AuditFilterBase):
    action = django_filters.ChoiceFilter(label=_("Action"), choices=Action.choices)

    class Meta(AuditFilterBase.Meta):
        model = AccessEvent

    def filter_person(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(username__icontains=value) if value else queryset

    def filter_enterprise(self, queryset, name, value):
        return queryset.filter(enterprise=value) if value else queryset


def _record_type_choices():
    return [
        (f"{model._meta.app_label}.{model._meta.model_name}", model._meta.verbose_name)
        for model in changes.tracked_models()
    ]


class ChangeEntryFilter(AuditFilterBase):
    record_type = django_filters.ChoiceFilter(
        label=_("Record type"), choices=_record_type_choices, method="filter_record_type"
    )
    action = django_filters.ChoiceFilter(label=_("Change"), choices=CHANGE_ACTIONS)

    time_field = "timestamp"

    class Meta(AuditFilterBase.Meta):
        model = LogEntry

    def filter_person(self, queryset, name, value):
        value = value.strip()
        return queryset.filter(actor__username__icontains=value) if value else queryset

    def filter_enterprise(self, queryset, name, value):
        """Changes of the enterprise itself and of its users' profiles."""
        if not value:
            return queryset
        of = ContentType.objects.get_for_model
        profiles = Profile.objects.filter(enterprise=value).values("pk")
        return queryset.filter(
            Q(content_type=of(Enterprise), object_id=value.pk)
            | Q(content_type=of(Profile), object_id__in=profiles)
        )

    def filter_record_type(self, queryset, name, value):
        if not value:
            return queryset
        app_label, model = value.split(".", 1)
        return queryset.filter(
            content_type=ContentType.objects.get_by_natural_key(app_label, model)
        )
