"""Forms of the consultation pages (会商): validation only, the writes are in
meetings.consultation_services."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from .coordination_forms import _datetime_field, _Form
from .models import REASON_MAX_LENGTH


class RequestForm(_Form):
    reason = forms.CharField(
        label=_("Why the problem needs a coordination meeting"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": _("Write why the problem needs a coordination meeting.")},
    )

    def clean_reason(self):
        return self.cleaned_data["reason"].strip()


class AcceptForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    title = forms.CharField(
        label=_("Subject"),
        max_length=200,
        help_text=_("The enterprise sees the subject, date and venue on its problem's timeline."),
    )
    starts_at = _datetime_field()
    venue = forms.CharField(label=_("Venue"), max_length=200)


class DeclineForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    reason = forms.CharField(
        label=_("Why you decline"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=REASON_MAX_LENGTH,
        error_messages={"required": _("Write why the request is declined.")},
    )


class WithdrawForm(_Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False, min_value=1)
