"""Two-factor sign-in in tests: an enrolled authenticator app for a user, the code it
shows, and a test client session that passed the second step.

tests/conftest.py marks every test client's sign-in (force_login, login) as verified with
these; tests/e2e types the codes into the real form.
"""

from __future__ import annotations

import time

from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison import permissions
from liaison.models import Role


def is_official(user) -> bool:
    """Whoever signs in with a second factor by default: every role but the enterprise
    user, and staff (the admin site). Service accounts never sign in."""
    profile = getattr(user, "profile", None)
    if profile is not None and profile.is_service_account:
        return False
    role = permissions.role_of(user)
    return (role is not None and role != Role.ENTERPRISE) or user.is_staff


def totp_device_for(user) -> TOTPDevice:
    """The user's enrolled app (made, confirmed, if they have none)."""
    device = TOTPDevice.objects.filter(user=user, confirmed=True).order_by("pk").first()
    if device is None:
        device = TOTPDevice.objects.create(user=user, name="authenticator", confirmed=True)
    return device


def code_at(device: TOTPDevice, t: int) -> str:
    """The code of absolute time step `t` (the device's drift not added)."""
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = device.t0 + t * device.step
    return f"{totp.token():0{device.digits}d}"


def current_t(device: TOTPDevice) -> int:
    return (int(time.time()) - device.t0) // device.step


def next_code(device: TOTPDevice) -> str:
    """A code the device accepts now: never one of a time step already used (last_t),
    waiting for the next step when two sign-ins of one user come within it.

    All in absolute time steps: the device accepts the steps within `tolerance` of the
    current step plus its drift, and later than last_t. The drift moves by one each time
    a code is checked in a step other than the one it was made in (a sign-in across a
    step's boundary can make it negative), so it is read back and added, never assumed."""
    device.refresh_from_db()
    t = max(current_t(device) + device.drift, device.last_t + 1)
    while t > current_t(device) + device.drift + device.tolerance:
        time.sleep(0.5)
    return code_at(device, t)


def mark_session_verified(client, user) -> TOTPDevice:
    """The test client's session passed the second step with the user's app, as
    django_otp.login does it (the device's persistent id in the session)."""
    device = totp_device_for(user)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return device


# The query a signed-in official's every request adds: django-otp's OTPMiddleware loads
# the device the session passed the second step with. Query-count pins add it by name.
TWO_FACTOR_DEVICE = 1
