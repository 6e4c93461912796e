"""Forms of the core app: the login forms and the password change, under login protection;
what the apps' forms and filter forms share."""

from __future__ import annotations

import copy

from captcha.fields import CaptchaAnswerInput, CaptchaField, CaptchaHiddenInput, CaptchaTextInput
from django import forms
from django.contrib.admin.forms import AdminAuthenticationForm
from django.contrib.auth import authenticate
from django.contrib.auth import forms as auth_forms
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from . import login_protection

CHALLENGE_FIELD = "challenge"


class ChallengeInput(CaptchaTextInput):
    """django-simple-captcha's picture, its key and the answer box, in the site's words
    (its own template says alt="captcha" in English whatever the language)."""

    def render(self, name, value, attrs=None, renderer=None):
        self.fetch_captcha_store(name, value, attrs, self.generator)
        attrs = self.build_attrs(self.attrs, attrs)
        field_id = attrs.pop("id", f"id_{name}")
        picture = format_html(
            '<img src="{}" alt="{}" class="liaison-challenge d-block mb-2 border rounded">',
            self.image_url(),
            _("The characters to type"),
        )
        key = CaptchaHiddenInput().render(f"{name}_0", self._key, {"id": f"{field_id}_0"})
        answer = CaptchaAnswerInput().render(
            f"{name}_1", "", {**attrs, "id": f"{field_id}_1", "maxlength": 20}
        )
        return picture + key + answer


def challenge_field() -> CaptchaField:
    return CaptchaField(
        label=_("Characters in the picture"),
        help_text=_(
            "There have been many failed sign-ins from your network. Type the characters "
            "in the picture (capitals or not) to show a person is signing in."
        ),
        widget=ChallengeInput(),
        error_messages={
            "required": _("Type the characters in the picture."),
            "incomplete": _("Type the characters in the picture."),
            "invalid": _("The characters did not match the picture. Type the new ones."),
        },
    )


class ProtectedLoginMixin:
    """The password is checked through authenticate(request=...), where django-axes refuses
    a user name locked from this address; a locked-out user is told until when. From an
    address with many recent failures (any names), the challenge comes first: without
    its right answer the password is not checked at all (and nothing is counted)."""

    def __init__(self, request=None, *args, **kwargs):
        super().__init__(request, *args, **kwargs)
        if request is not None and login_protection.challenge_required(request):
            self.fields[CHALLENGE_FIELD] = challenge_field()

    def clean(self):
        if CHALLENGE_FIELD in self.fields and CHALLENGE_FIELD not in self.cleaned_data:
            return self.cleaned_data  # the challenge's own error says what to do
        try:
            return super().clean()
        except ValidationError:
            if self.request is not None and login_protection.is_locked_out(self.request):
                raise login_protection.locked_out_error(
                    self.request, self.cleaned_data.get("username") or ""
                ) from None
            raise


class LoginForm(ProtectedLoginMixin, auth_forms.AuthenticationForm):
    """The site's login form."""


class AdminLoginForm(ProtectedLoginMixin, AdminAuthenticationForm):
    """The admin's login form, protected like the site's (staff accounts matter most)."""


class PasswordChangeForm(auth_forms.PasswordChangeForm):
    """Django's, with the old password checked through authenticate(request=...): a wrong
    one counts against the user and this address as a failed sign-in does, and once the
    pair is locked the form refuses even the right one until the lock ends."""

    def __init__(self, user, *args, request=None, **kwargs):
        self.request = request
        super().__init__(user, *args, **kwargs)

    def clean_old_password(self):
        old_password = self.cleaned_data["old_password"]
        username = self.user.get_username()
        checked = authenticate(self.request, username=username, password=old_password)
        if checked is not None and checked.pk == self.user.pk:
            return old_password
        if login_protection.is_locked_out(self.request):
            raise login_protection.locked_out_error(self.request, username)
        raise ValidationError(self.error_messages["password_incorrect"], code="password_incorrect")


class HtmlDateInput(forms.DateInput):
    """A browser date picker. Its value is always ISO (YYYY-MM-DD), whatever the language:
    a localized value such as 2026/11/30 would leave the picker empty."""

    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


class _FieldsOfOneForm(dict):
    """A form class's fields of which `own` were made for its one form: the form takes
    those as they are and copies the others, as Django copies them all."""

    def __init__(self, fields, own):
        super().__init__(fields)
        self.own = frozenset(own)

    def __deepcopy__(self, memo):
        return {
            name: field if name in self.own else copy.deepcopy(field, memo)
            for name, field in self.items()
        }


class OneFormPerFilterSet:
    """For a django_filters.FilterSet: its form takes its filters' fields without copying.

    Django copies a form class's fields deeply for every form made (BaseForm.__init__):
    a class's fields serve all its forms. django-filter makes a form class for each
    filter set, of fields its filters make for that filter set alone (each filter set
    copies the class's filters first), and the filter set makes one form of it: copying
    those fields again cost the problem list about a millisecond a request (issue 18).
    Fields the form class declares itself are copied as before."""

    def get_form_class(self):
        form_class = super().get_form_class()
        form_class.base_fields = _FieldsOfOneForm(form_class.base_fields, own=self.filters)
        return form_class
