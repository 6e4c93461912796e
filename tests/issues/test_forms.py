"""The problem page's forms: what they offer."""

from __future__ import annotations

from django.utils import translation

from issues.forms import CallBackForm, EvaluateForm
from issues.models import Satisfaction


def test_the_enterprise_and_a_call_back_offer_the_same_evaluations():
    expected = [
        (Satisfaction.SATISFIED, "满意"),
        (Satisfaction.BASICALLY, "基本满意"),
        (Satisfaction.UNSATISFIED, "不满意"),
    ]
    with translation.override("zh-hans"):
        for form_class in (EvaluateForm, CallBackForm):
            field = form_class.base_fields["satisfaction"]
            assert [(value, str(label)) for value, label in field.choices] == expected
    with translation.override("en"):
        labels = [str(label) for _, label in CallBackForm.base_fields["satisfaction"].choices]
    assert labels == ["Satisfied", "Basically satisfied", "Unsatisfied"]
