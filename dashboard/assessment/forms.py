"""The office's weights form and the recalculation form."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .models import INDICATORS
from .services import REASON_MAX


class SchemeForm(forms.Form):
    year = forms.TypedChoiceField(label=_("Year"), coerce=int)
    note = forms.CharField(label=_("Note"), max_length=REASON_MAX, required=False)

    def __init__(self, *args, years: list[int], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["year"].choices = [(year, year) for year in years]
        for key, label in INDICATORS:
            self.fields[key] = forms.IntegerField(
                label=label,
                min_value=0,
                max_value=100,
                widget=forms.NumberInput(attrs={"class": "form-control", "inputmode": "numeric"}),
            )
        self.fields["year"].widget.attrs["class"] = "form-select"
        self.fields["note"].widget.attrs["class"] = "form-control"

    @property
    def weight_fields(self):
        return [self[key] for key, _label in INDICATORS]

    def weights(self) -> dict[str, int]:
        return {key: self.cleaned_data[key] for key, _label in INDICATORS}


class RecalculateForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    reason = forms.CharField(
        label=_("Reason"),
        max_length=REASON_MAX,
        required=False,
        widget=forms.TextInput(attrs={"class": "form-control"}),
    )
    confirm = forms.BooleanField(
        label=_("I confirm: recount this frozen month now and replace its published ranking."),
        required=True,
        widget=forms.CheckboxInput(attrs={"class": "form-check-input"}),
    )
