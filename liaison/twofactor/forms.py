"""Forms of two-factor sign-in: a code (second step, enrolment) and the district's setting."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

# A code from the app has 6 digits, a recovery code 8 letters and digits; room for the
# spaces or dashes people type between groups.
CODE_MAX_LENGTH = 20


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code"),
        max_length=CODE_MAX_LENGTH,
        strip=True,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "autofocus": True, "spellcheck": "false"}
        ),
        error_messages={"required": _("Enter the code.")},
    )


class SecondStepForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].help_text = _(
            "The 6 digits your authenticator app shows, or one of your recovery codes if you "
            "do not have your phone."
        )


class EnrolForm(CodeForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["code"].widget.attrs["inputmode"] = "numeric"
        self.fields["code"].help_text = _("The 6 digits the app shows after you added the key.")


class DistrictTwoFactorForm(forms.Form):
    department_two_factor_required = forms.BooleanField(
        label=_("Department heads and staff must use two-factor sign-in"), required=False
    )
