"""List filters for problems (django-filter)."""

from __future__ import annotations

from decimal import Decimal

import django_filters
from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from liaison import choices
from liaison.forms import HtmlDateInput, OneFormPerFilterSet
from liaison.forms_rendering import ListSelect
from liaison.models import Department, Enterprise, Profile
from liaison.validators import validate_date_window

from . import metrics, search, selectors
from .forms import LeaderChoiceField, leader_queryset
from .models import OPEN_STATUSES, AppealType, Category, Problem, Satisfaction, Status

User = get_user_model()


class LeaderFilter(django_filters.ModelChoiceFilter):
    field_class = LeaderChoiceField


def use_cached_lists(form) -> None:
    """The selects' departments, categories, enterprises and leaders: lists kept between
    requests until one of them changes (liaison.choices), the same for every user (the
    querysets do not depend on the user). Both leader selects show the one list."""
    fields = form.fields
    choices.use_cached_choices(fields["lead_department"], "problems.departments", Department)
    choices.use_cached_choices(fields["category"], "problems.categories", Category)
    choices.use_cached_choices(fields["enterprise"], "problems.enterprises", Enterprise)
    choices.use_cached_choices(
        fields["responsible_leader"],
        "leaders",
        User,
        Profile,
        shared_with=[fields["district_leader"]],
    )


class StableOrderingFilter(django_filters.OrderingFilter):
    """The chosen order, then the id, so that paging shows every problem exactly once.

    Many problems share a deadline or a submission time; without a last key the database
    may order them differently for each page.
    """

    # Our own catalogue has it (django-filter ships no Simplified Chinese), and the label
    # stays lazy: the choices are built once, when the class is defined, in no language.
    descending_fmt = _("{} (descending)")

    def build_choices(self, fields, labels):
        choices = []
        for field, param in fields.items():
            label = labels.get(field, param)
            choices += [(param, label), (f"-{param}", format_lazy(self.descending_fmt, label))]
        return choices

    def filter(self, qs, value):
        ordered = super().filter(qs, value)
        keys = list(ordered.query.order_by)
        if ordered is qs or not keys:
            return ordered
        return ordered.order_by(*keys, "-id" if str(keys[0]).startswith("-") else "id")


MAX_ID = 2**63 - 1  # a BigAutoField's largest value


class ProblemFilter(OneFormPerFilterSet, django_filters.FilterSet):
    q = django_filters.CharFilter(label=_("Search"), method="filter_text", max_length=200)
    # distinct=False on the choice filters: each reads a column of the problem itself (no
    # join that could repeat a row), and a DISTINCT makes the database sort every matching
    # row before it can take a page (issue 18).
    status = django_filters.MultipleChoiceFilter(
        label=_("Status"),
        choices=Status.choices,
        distinct=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    # ListSelect: the options of the lists kept between requests (use_cached_lists) are
    # written once per list and language, not for every request (issue 18).
    lead_department = django_filters.ModelChoiceFilter(
        label=_("Lead department"), queryset=Department.objects.all(), widget=ListSelect
    )
    category = django_filters.ModelChoiceFilter(
        label=_("Category"), queryset=Category.objects.all(), widget=ListSelect
    )
    appeal_type = django_filters.MultipleChoiceFilter(
        label=_("Appeal type"),
        choices=AppealType.choices,
        distinct=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    responsible_leader = LeaderFilter(
        label=_("Responsible leader"), queryset=leader_queryset(), widget=ListSelect
    )
    # "My area" on a leader's home page: the problem's district leader (models.DISTRICT_LEADER).
    district_leader = LeaderFilter(
        label=_("District leader"),
        queryset=leader_queryset(),
        widget=ListSelect,
        method="filter_district_leader",
        help_text=_("The responsible leader, else the lead department's supervising leader."),
    )
    enterprise = django_filters.ModelChoiceFilter(
        label=_("Enterprise"), queryset=Enterprise.objects.all(), widget=ListSelect
    )
    overdue = django_filters.BooleanFilter(
        label=_("Overdue now"),
        method="filter_overdue",
        widget=forms.CheckboxInput,
    )
    due_within = django_filters.NumberFilter(
        label=_("Due within N working days"),
        method="filter_due_within",
        min_value=0,
        max_value=30,
    )
    submitted_after = django_filters.DateFilter(
        label=_("Submitted from"),
        field_name="created_at",
        lookup_expr="date__gte",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    submitted_before = django_filters.DateFilter(
        label=_("Submitted until"),
        field_name="created_at",
        lookup_expr="date__lte",
        widget=HtmlDateInput(),
        validators=[validate_date_window],
    )
    # What the dashboard's numbers link to (dashboard/figures.py); no query to render.
    on_time = django_filters.BooleanFilter(
        label=_("Concluded on time"), method="filter_on_time", widget=forms.CheckboxInput
    )
    escalated = django_filters.BooleanFilter(
        label=_("Escalated now"), method="filter_escalated", widget=forms.CheckboxInput
    )
    satisfaction = django_filters.MultipleChoiceFilter(
        label=_("Satisfaction"),
        choices=Satisfaction.choices,
        distinct=False,
        widget=forms.SelectMultiple(attrs={"size": 3}),
    )
    # Ids, bounded like the database's (SQLite cannot even compare a larger number).
    meeting = django_filters.NumberFilter(
        label="", widget=forms.HiddenInput, min_value=0, max_value=MAX_ID
    )
    town = django_filters.NumberFilter(
        label="", method="filter_town", widget=forms.HiddenInput, min_value=0, max_value=MAX_ID
    )
    ordering = StableOrderingFilter(
        label=_("Order"),
        fields=(("created_at", "created"), ("due_at", "due"), ("reference", "reference")),
        # Keyed by model field: django-filter labels each ordering by its field.
        field_labels={
            "created_at": _("Submission date"),
            "due_at": _("Deadline"),
            "reference": _("Reference"),
        },
    )

    class Meta:
        model = Problem
        fields: list[str] = []

    @property
    def form(self):
        if not hasattr(self, "_form"):
            form = super().form
            use_cached_lists(form)
        return self._form

    def active(self) -> list[tuple[str, str]]:
        """What the list is narrowed to: (label, value) pairs the page shows above it.

        Call after is_valid(). The chosen objects are already loaded by the validation;
        only a town or a meeting (the dashboard's links) costs a query to name.
        """
        if not self.form.is_valid():
            return []
        shown = []
        for name, field in self.form.fields.items():
            value = self.form.cleaned_data.get(name)
            # (Not `value in (...)`: town 0, "no town recorded", equals False.)
            if name == "ordering" or value is None or value is False or value in ("", []):
                continue
            if name in ("town", "meeting"):
                shown.append(self._named(name, int(value)))
            elif isinstance(field, forms.ModelChoiceField):
                shown.append((field.label, field.label_from_instance(value)))
            elif isinstance(field, forms.MultipleChoiceField):
                labels = dict(field.choices)
                separator = pgettext("list separator", ", ")
                shown.append((field.label, separator.join(str(labels[v]) for v in value)))
            elif value is True:
                shown.append((field.label, ""))
            elif isinstance(value, float | Decimal):
                shown.append((field.label, str(int(value))))
            else:
                shown.append((field.label, str(value)))
        return shown

    def _named(self, name: str, pk: int) -> tuple[str, str]:
        if name == "town":
            town = Department.objects.filter(pk=pk).first() if pk else None
            return _("Town or street"), town.name if town else _("(none)")
        meeting = Problem._meta.get_field("meeting").related_model.objects.filter(pk=pk).first()
        return _("Face-to-face meeting"), str(meeting) if meeting else str(pk)

    def filter_text(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return search.problems_matching(queryset, value)

    def filter_district_leader(self, queryset, name, value):
        return queryset.filter(selectors.district_leader_is(value)) if value else queryset

    def filter_overdue(self, queryset, name, value):
        if not value:
            return queryset
        # Most overdue first (what a person looks for there), which the partial index of
        # open problems by deadline reads in order: the page costs the same whatever the
        # number of problems. An order the person chose (the ordering filter, applied
        # after this one) still wins.
        return selectors.overdue(queryset, now=timezone.now()).order_by("due_at", "id")

    def filter_due_within(self, queryset, name, value):
        if value is None:
            return queryset
        return selectors.due_within(queryset, int(value), now=timezone.now())

    def filter_on_time(self, queryset, name, value):
        return queryset.filter(metrics.ON_TIME) if value else queryset

    def filter_escalated(self, queryset, name, value):
        if not value:
            return queryset
        return queryset.filter(status__in=OPEN_STATUSES, escalation_level__gte=1)

    def filter_town(self, queryset, name, value):
        if value is None:
            return queryset
        if not value:  # 0: the enterprise has no town recorded
            return queryset.filter(enterprise__town__isnull=True)
        return queryset.filter(enterprise__town_id=int(value))
