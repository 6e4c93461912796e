"""The burden-relief lines (减负) as a formset: in the answer form and on the edit page."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from ..workflow.relief import AMOUNT_ABSURD, AMOUNT_NEGATIVE, OutcomeLine
from .models import MAX_AMOUNT, MAX_FIRMS, MAX_JOBS, MAX_LINES, NOTE_MAX_LENGTH, ReliefKind

PREFIX = "relief"


class OutcomeForm(forms.Form):
    kind = forms.ChoiceField(label=_("Kind"), choices=[("", "—"), *ReliefKind.choices])
    amount = forms.DecimalField(
        label=_("Amount (yuan)"),
        decimal_places=2,
        widget=forms.NumberInput(attrs={"inputmode": "decimal", "step": "0.01", "min": "0"}),
        error_messages={"max_decimal_places": _("Enter the amount with at most two decimals.")},
    )
    firms = forms.IntegerField(
        label=_("Firms affected"), min_value=0, max_value=MAX_FIRMS, required=False, initial=1
    )
    jobs = forms.IntegerField(
        label=_("Jobs affected"), min_value=0, max_value=MAX_JOBS, required=False
    )
    note = forms.CharField(label=_("Note"), max_length=NOTE_MAX_LENGTH, required=False)

    def clean_amount(self):
        amount = self.cleaned_data["amount"]
        if amount < 0:
            raise forms.ValidationError(AMOUNT_NEGATIVE)
        if amount > MAX_AMOUNT:
            raise forms.ValidationError(AMOUNT_ABSURD)
        return amount

    def clean(self):
        data = super().clean()
        if (
            not self.errors
            and data.get("amount") == 0
            and not data.get("firms")
            and not data.get("jobs")
        ):
            raise forms.ValidationError(_("An outcome line needs an amount, firms or jobs."))
        return data

    def line(self) -> OutcomeLine:
        data = self.cleaned_data
        return OutcomeLine(
            kind=data["kind"],
            amount=data["amount"],
            firms=data.get("firms") or 0,
            jobs=data.get("jobs") or 0,
            note=data.get("note", ""),
        )


class BaseOutcomeFormSet(forms.BaseFormSet):
    def lines(self) -> list[OutcomeLine]:
        """The lines filled in and not marked for removal (call after is_valid)."""
        return [
            form.line()
            for form in self.forms
            if form.has_changed() and not self._should_delete_form(form)
        ]


OutcomeFormSet = forms.formset_factory(
    OutcomeForm,
    formset=BaseOutcomeFormSet,
    extra=2,
    can_delete=True,
    max_num=MAX_LINES,
    validate_max=True,
    absolute_max=MAX_LINES,
)


def outcome_formset(data=None, *, outcomes=()) -> BaseOutcomeFormSet:
    """The formset, with the recorded lines (`outcomes`: ReliefOutcome rows) as initial."""
    initial = [
        {"kind": o.kind, "amount": o.amount, "firms": o.firms, "jobs": o.jobs, "note": o.note}
        for o in outcomes
    ]
    return OutcomeFormSet(data, initial=initial or None, prefix=PREFIX)


def sent_with(data) -> bool:
    """Whether the request carried the formset (the API's answer and old pages do not)."""
    return f"{PREFIX}-TOTAL_FORMS" in data
