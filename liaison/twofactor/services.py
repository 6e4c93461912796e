"""Writes of two-factor sign-in: enrolment, the second step, recovery codes, the admin's
reset and the district's setting."""

from __future__ import annotations

import logging
import time
from base64 import b32encode
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from ..models import DistrictSettings

logger = logging.getLogger(__name__)

RECOVERY_CODE_COUNT = 10
DEVICE_NAME = "authenticator"
RECOVERY_DEVICE_NAME = "recovery"
# A code typed with spaces or dashes ("123 456", "abcd-efgh") is the same code.
_IGNORED_IN_CODES = str.maketrans("", "", " -\t")


@dataclass(frozen=True)
class Verified:
    device: TOTPDevice | StaticDevice
    recovery_codes_left: int | None  # set when a recovery code was used


def normalise_code(code: str) -> str:
    return code.translate(_IGNORED_IN_CODES).lower()


def text_key(device: TOTPDevice) -> str:
    """The secret as people type it into an app that cannot scan: base32, in groups of 4."""
    key = b32encode(device.bin_key).decode().rstrip("=")
    return " ".join(key[i : i + 4] for i in range(0, len(key), 4))


def totp_device_start(*, user) -> TOTPDevice:
    """The unconfirmed device whose key the enrolment page shows (the same one until the
    user confirms it with a code, so that reloading the page does not change the key)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=False).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name=DEVICE_NAME, confirmed=False)
    return device


def _throttled(device) -> ValidationError | None:
    """Refused before checking: too many wrong codes lately (django-otp doubles the wait
    after each one: 1, 2, 4 … seconds)."""
    allowed, details = device.verify_is_allowed()
    if allowed:
        return None
    locked_until = (details or {}).get("locked_until")
    wait = 1
    if locked_until is not None:
        wait = max(1, int((locked_until - timezone.now()).total_seconds()) + 1)
    return ValidationError(
        _("Too many wrong codes. Wait %(seconds)d seconds and try again.") % {"seconds": wait},
        code="throttled",
    )


def _wrong(device, code: str) -> ValidationError:
    """Why `device` refused `code` it was allowed to check: already used, or wrong."""
    if isinstance(device, TOTPDevice) and code.isdigit() and _was_used(device, code):
        return ValidationError(
            _(
                "This code was already used. Wait until your app shows the next code "
                "and enter that one."
            ),
            code="reused",
        )
    return ValidationError(
        _(
            "That code is not right. Enter the 6 digits your authenticator app shows now, "
            "or one of your recovery codes."
        ),
        code="wrong",
    )


def _was_used(device: TOTPDevice, code: str) -> bool:
    """The code is right for a time step already used (TOTPDevice.last_t): a replay."""
    if device.last_t < 0:
        return False
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits, device.drift)
    totp.time = time.time()
    return totp.verify(int(code), device.tolerance) and totp.t() <= device.last_t


@transaction.atomic
def totp_device_confirm(*, user, code: str) -> TOTPDevice:
    """Confirm the device being enrolled with a code from the app, and give the user
    fresh recovery codes."""
    device = (
        TOTPDevice.objects.select_for_update()
        .filter(user=user, confirmed=False)
        .order_by("pk")
        .first()
    )
    if device is None:
        raise ValidationError(_("Open the enrolment page again: it shows a new key."))
    code = normalise_code(code)
    if refused := _throttled(device):
        raise refused
    if not (code.isdigit() and device.verify_token(code)):
        raise _wrong(device, code)
    # One app per user: a device left from before (the admin reset removes them) goes.
    TOTPDevice.objects.filter(user=user).exclude(pk=device.pk).delete()
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    recovery_codes_regenerate(user=user)
    logger.info("two-factor: user %s enrolled an authenticator app", user.pk)
    return device


@transaction.atomic
def recovery_codes_regenerate(*, user) -> StaticDevice:
    """New recovery codes; the old ones no longer work."""
    device, _created = StaticDevice.objects.get_or_create(
        user=user, name=RECOVERY_DEVICE_NAME, defaults={"confirmed": True}
    )
    device.token_set.all().delete()
    StaticToken.objects.bulk_create(
        StaticToken(device=device, token=StaticToken.random_token())
        for _i in range(RECOVERY_CODE_COUNT)
    )
    return device


def recovery_codes_of(user) -> list[str]:
    return list(
        StaticToken.objects.filter(device__user=user, device__confirmed=True)
        .order_by("pk")
        .values_list("token", flat=True)
    )


def second_step_verify(*, user, code: str) -> Verified:
    """Check a code from the app, or a recovery code (each works once), for the second step."""
    code = normalise_code(code)
    if not code:
        raise ValidationError(_("Enter the code."), code="required")
    with transaction.atomic():
        app = (
            TOTPDevice.objects.select_for_update()
            .filter(user=user, confirmed=True)
            .order_by("pk")
            .first()
        )
        if code.isdigit():
            if app is None:
                raise ValidationError(_("You have no authenticator app enrolled."), code="none")
            if refused := _throttled(app):
                raise refused
            if app.verify_token(code):
                return Verified(device=app, recovery_codes_left=None)
            refused = _wrong(app, code)
        else:
            recovery = (
                StaticDevice.objects.select_for_update()
                .filter(user=user, confirmed=True)
                .order_by("pk")
                .first()
            )
            if recovery is None:
                raise ValidationError(_("You have no recovery codes."), code="none")
            if refused := _throttled(recovery):
                raise refused
            if recovery.verify_token(code):
                return Verified(device=recovery, recovery_codes_left=recovery.token_set.count())
            refused = _wrong(recovery, code)
    # Outside the transaction: the failure count the device just wrote must stay.
    raise refused


@transaction.atomic
def two_factor_remove(*, user) -> int:
    """Remove the user's app and recovery codes. Returns how many devices went.

    The admin's reset (the user enrols again at the next sign-in if their role requires
    it) and an enterprise user's own choice to stop using it."""
    removed, _by_model = TOTPDevice.objects.filter(user=user).delete()
    removed_static, _by_model = StaticDevice.objects.filter(user=user).delete()
    return removed + removed_static


@transaction.atomic
def district_settings_update(*, by, department_two_factor_required: bool) -> DistrictSettings:
    settings_row, _created = DistrictSettings.objects.select_for_update().get_or_create(
        pk=DistrictSettings.SINGLETON
    )
    settings_row.department_two_factor_required = department_two_factor_required
    settings_row.updated_by = by
    settings_row.save(update_fields=["department_two_factor_required", "updated_by", "updated_at"])
    logger.info(
        "two-factor: user %s set department_two_factor_required=%s",
        by.pk,
        department_two_factor_required,
    )
    return settings_row
