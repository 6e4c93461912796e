"""Filter forms take their filters' fields without copying them (liaison.forms
OneFormPerFilterSet), and still share nothing between filter sets (requests)."""

from __future__ import annotations

import django_filters
import pytest
from django import forms

from dashboard.filters import DashboardFilter
from issues.filters import ProblemFilter
from issues.models import Problem
from liaison.forms import OneFormPerFilterSet
from liaison.models import Department


class _DeclaringForm(forms.Form):
    declared = forms.CharField(required=False)


class _Filter(OneFormPerFilterSet, django_filters.FilterSet):
    title = django_filters.CharFilter()

    class Meta:
        model = Problem
        fields: list[str] = []
        form = _DeclaringForm


def test_the_form_takes_the_filters_fields_and_copies_those_its_class_declares():
    first, second = _Filter({}), _Filter({})
    assert first.form.fields["title"] is first.filters["title"].field
    assert first.form.fields["title"] is not second.form.fields["title"]
    # A field of the form class itself serves every form of it: each gets a copy.
    assert first.form.fields["declared"] is not _DeclaringForm.base_fields["declared"]
    assert first.form.fields["declared"] is not second.form.fields["declared"]


def test_what_one_filter_set_changes_in_its_fields_is_not_seen_by_the_next(db):
    shown = ProblemFilter({}, queryset=Problem.objects.all())
    shown.form.fields["status"].label = "changed"
    shown.form.fields["status"].widget.attrs["data-x"] = "1"
    again = ProblemFilter({}, queryset=Problem.objects.all())
    assert again.form.fields["status"].label != "changed"
    assert "data-x" not in again.form.fields["status"].widget.attrs
    assert ProblemFilter.base_filters["status"].extra.get("label") != "changed"


@pytest.mark.django_db
def test_a_department_heads_forced_department_stays_on_their_filter_set(district):
    held = DashboardFilter({}, queryset=Problem.objects.all(), department=district.department)
    assert held.form.fields["department"].disabled
    free = DashboardFilter({}, queryset=Problem.objects.all())
    assert not free.form.fields["department"].disabled
    assert free.form.fields["department"].queryset.count() == Department.objects.count() > 1
    assert list(held.form.fields["department"].queryset) == [district.department]
    assert free.is_valid() and held.is_valid()
    assert held.form.cleaned_data["department"] == district.department
