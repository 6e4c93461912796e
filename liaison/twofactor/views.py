"""Pages of two-factor sign-in: the second step after the password, enrolment with a QR
code, recovery codes, and the user's own page (with the office's district setting)."""

from __future__ import annotations

from urllib.parse import urlencode

import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.shortcuts import redirect, render, resolve_url
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST
from django_otp import login as otp_login
from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import permissions
from ..models import DistrictSettings
from ..pages import role_required
from . import policy, services, signals
from .forms import DistrictTwoFactorForm, EnrolForm, SecondStepForm


def _next_url(request) -> str:
    """The page the user was going to (a page of this site), else their home page."""
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return resolve_url(settings.LOGIN_REDIRECT_URL)


def url_with_next(url_name: str, next_url: str) -> str:
    return f"{reverse(url_name)}?{urlencode({'next': next_url})}"


def step_after_password(request, user, next_url: str) -> str | None:
    """Where a right password leads: the second step (the user has an app), enrolment
    (their role requires one and they have none) or, with None, straight on."""
    if policy.has_device(user):
        request.session[policy.PENDING_SESSION_KEY] = True
        return url_with_next("two_factor_verify", next_url)
    if policy.two_factor_required(user):
        return url_with_next("two_factor_enrol", next_url)
    return None


def _passed(request, device) -> None:
    """The second step is done: the session is verified by `device` from now on."""
    request.session.cycle_key()  # a new session id for the stronger sign-in
    otp_login(request, device)
    request.session.pop(policy.PENDING_SESSION_KEY, None)


@never_cache
@login_required
def verify(request):
    user = request.user
    next_url = _next_url(request)
    if user.is_verified():
        return redirect(next_url)
    if not policy.has_device(user):
        if policy.two_factor_required(user):
            return redirect(url_with_next("two_factor_enrol", next_url))
        request.session.pop(policy.PENDING_SESSION_KEY, None)  # the admin reset it meanwhile
        return redirect(next_url)
    form = SecondStepForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            verified = services.second_step_verify(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
            signals.send(request, user, signals.FAILED, getattr(error, "code", None) or "")
        else:
            _passed(request, verified.device)
            signals.send(
                request,
                user,
                signals.VERIFIED,
                "recovery code" if verified.recovery_codes_left is not None else "app",
            )
            if verified.recovery_codes_left is not None:
                messages.warning(
                    request,
                    ngettext(
                        "You signed in with a recovery code; it cannot be used again. "
                        "%(count)d recovery code is left.",
                        "You signed in with a recovery code; it cannot be used again. "
                        "%(count)d recovery codes are left.",
                        verified.recovery_codes_left,
                    )
                    % {"count": verified.recovery_codes_left},
                )
            return redirect(next_url)
    return render(
        request,
        "registration/two_factor_verify.html",
        {"form": form, "next": next_url, "second_step": True},
    )


@never_cache
@login_required
def enrol(request):
    user = request.user
    next_url = _next_url(request)
    if policy.has_device(user):
        if user.is_verified():
            messages.info(request, _("You already use two-factor sign-in."))
            return redirect("two_factor")
        return redirect(url_with_next("two_factor_verify", next_url))
    form = EnrolForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            device = services.totp_device_confirm(user=user, code=form.cleaned_data["code"])
        except ValidationError as error:
            form.add_error("code", error)
            reason = getattr(error, "code", None) or ""
            signals.send(request, user, signals.FAILED, f"enrolment: {reason}")
        else:
            _passed(request, device)
            signals.send(request, user, signals.VERIFIED, "enrolled")
            return redirect(url_with_next("two_factor_recovery_codes", next_url))
    device = services.totp_device_start(user=user)
    qr_code = segno.make(device.config_url, error="m").svg_inline(
        scale=5, border=2, title=_("QR code of your key for the authenticator app")
    )
    return render(
        request,
        "registration/two_factor_enrol.html",
        {
            "form": form,
            "next": next_url,
            "qr_code": mark_safe(qr_code),  # segno's own SVG: no user input in it
            "text_key": services.text_key(device),
            "account": f"{settings.OTP_TOTP_ISSUER}: {user.get_username()}",
            "required": policy.two_factor_required(user),
            "second_step": True,
        },
    )


def _verified_with_device(request):
    """None if the user has an app and this session passed the second step with it;
    else where to send them instead."""
    if not policy.has_device(request.user):
        return redirect("two_factor")
    if not request.user.is_verified():
        return redirect(url_with_next("two_factor_verify", request.get_full_path()))
    return None


@never_cache
@login_required
def recovery_codes(request):
    if elsewhere := _verified_with_device(request):
        return elsewhere
    if request.method == "POST":
        services.recovery_codes_regenerate(user=request.user)
        messages.success(request, _("New recovery codes are made; the old ones no longer work."))
        return redirect("two_factor_recovery_codes")
    return render(
        request,
        "registration/two_factor_recovery_codes.html",
        {
            "codes": services.recovery_codes_of(request.user),
            "next": _next_url(request) if "next" in request.GET else None,
        },
    )


@never_cache
@login_required
def manage(request):
    user = request.user
    device = TOTPDevice.objects.filter(user=user, confirmed=True).first()
    context = {
        "enrolled": device is not None,
        "required": policy.two_factor_required(user),
        "device": device,
        "codes_left": len(services.recovery_codes_of(user)) if device else 0,
    }
    if permissions.is_office(user):
        row = (
            DistrictSettings.objects.select_related("updated_by")
            .filter(pk=DistrictSettings.SINGLETON)
            .first()
        )
        context["district"] = row
        context["district_form"] = DistrictTwoFactorForm(
            initial={
                "department_two_factor_required": row is None or row.department_two_factor_required
            }
        )
    return render(request, "registration/two_factor.html", context)


@require_POST
@login_required
def remove(request):
    if elsewhere := _verified_with_device(request):
        return elsewhere
    if not policy.may_remove_own_device(request.user):
        messages.error(
            request,
            _(
                "Your role must use two-factor sign-in, so you cannot turn it off. If you "
                "lost your phone, sign in with a recovery code or ask the administrator to "
                "reset it."
            ),
        )
        return redirect("two_factor")
    services.two_factor_remove(user=request.user)
    signals.send(request, request.user, signals.RESET, "turned off by the user")
    request.session.pop(policy.PENDING_SESSION_KEY, None)
    messages.success(request, _("Two-factor sign-in is off: you sign in with your password."))
    return redirect("two_factor")


@require_POST
@role_required(permissions.is_office)
def district(request):
    form = DistrictTwoFactorForm(request.POST)
    if form.is_valid():
        required = form.cleaned_data["department_two_factor_required"]
        services.district_settings_update(by=request.user, department_two_factor_required=required)
        if required:
            messages.success(
                request,
                _(
                    "Department heads and staff must now use two-factor sign-in; those who "
                    "have not enrolled are led to it at their next page."
                ),
            )
        else:
            messages.success(
                request,
                _(
                    "Department heads and staff may now sign in with their password alone; "
                    "those who enrolled still give a code."
                ),
            )
    return redirect("two_factor")
