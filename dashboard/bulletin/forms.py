"""The office's forms on bulletins: a month to generate, the foreword, the thresholds."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django import forms
from django.core.validators import MaxLengthValidator
from django.utils.translation import gettext_lazy as _

from .models import FOREWORD_MAX_LENGTH, MAX_OVERDUE_LIMIT, MIN_RATED_LIMIT

MONTH = re.compile(r"\d{4}-\d{2}")


class MonthInput(forms.TextInput):
    """A browser month picker; its value is always YYYY-MM."""

    input_type = "month"


class GenerateForm(forms.Form):
    month = forms.CharField(
        label=_("Month"),
        widget=MonthInput(),
        max_length=7,
        error_messages={"required": _("Choose the month the bulletin reports on.")},
    )

    def clean_month(self) -> dt.date:
        value = self.cleaned_data["month"]
        try:
            if not MONTH.fullmatch(value):
                raise ValueError(value)
            return dt.datetime.strptime(value, "%Y-%m").date()
        except ValueError:
            raise forms.ValidationError(_("Give a month as YYYY-MM, e.g. 2026-11.")) from None


class ForewordForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    foreword = forms.CharField(
        label=_("Foreword"),
        required=False,
        widget=forms.Textarea(attrs={"rows": 6, "maxlength": FOREWORD_MAX_LENGTH}),
        validators=[MaxLengthValidator(FOREWORD_MAX_LENGTH)],
        help_text=_("The office's words above the figures (at most %(limit)d characters).")
        % {"limit": FOREWORD_MAX_LENGTH},
    )


class VersionForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _percent_field(label):
    return forms.DecimalField(
        label=label,
        min_value=Decimal("0"),
        max_value=Decimal("100"),
        max_digits=4,
        decimal_places=1,
        error_messages={
            "min_value": _("A rate is between 0 and 100."),
            "max_value": _("A rate is between 0 and 100."),
            "max_decimal_places": _("Give the rate with at most one decimal, e.g. 92.5."),
            "invalid": _("Give the rate as a number between 0 and 100, e.g. 92.5."),
        },
    )


class ThresholdsForm(forms.Form):
    min_on_time_rate = _percent_field(_("Minimum on-time rate (%)"))
    min_satisfaction_rate = _percent_field(_("Minimum satisfaction rate (%)"))
    max_overdue = forms.IntegerField(
        label=_("Most overdue problems"),
        min_value=0,
        max_value=MAX_OVERDUE_LIMIT,
        help_text=_("A department with more problems overdue now is named."),
        error_messages={
            "min_value": _("The number of overdue problems cannot be below 0."),
            "max_value": _("At most %(limit)d overdue problems.") % {"limit": MAX_OVERDUE_LIMIT},
        },
    )
    min_rated = forms.IntegerField(
        label=_("Fewest problems to judge a rate"),
        min_value=1,
        max_value=MIN_RATED_LIMIT,
        help_text=_(
            "A department's on-time and satisfaction rates are judged only over at least "
            "this many concluded (or evaluated) problems of the month."
        ),
        error_messages={
            "min_value": _("A rate is judged over at least 1 problem."),
            "max_value": _("At most %(limit)d problems.") % {"limit": MIN_RATED_LIMIT},
        },
    )
