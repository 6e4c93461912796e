"""Who must pass the second step of sign-in, and the session's state between the two steps."""

from __future__ import annotations

from django_otp.plugins.otp_totp.models import TOTPDevice

from .. import permissions
from ..models import DEPARTMENT_ROLES, DistrictSettings, Role

# These roles always sign in with a second factor; department roles unless the office
# turned it off for the district; enterprise users when they chose to enrol.
ALWAYS_REQUIRED_ROLES = frozenset({Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN})

# Set in the session when the password was right and a code is still due (a user who
# chose to enrol without having to): the middleware then holds them at the second step.
PENDING_SESSION_KEY = "liaison_two_factor_pending"


def department_two_factor_required() -> bool:
    """The district's choice for department heads and staff (default: required)."""
    value = (
        DistrictSettings.objects.filter(pk=DistrictSettings.SINGLETON)
        .values_list("department_two_factor_required", flat=True)
        .first()
    )
    return True if value is None else value


def two_factor_required(user) -> bool:
    """Whether this user may not use the site without a second factor."""
    if not getattr(user, "is_authenticated", False):
        return False
    profile = getattr(user, "profile", None)
    if profile is not None and profile.is_service_account:
        return False  # another system's API account: keys, never a session
    role = permissions.role_of(user)
    if role in ALWAYS_REQUIRED_ROLES:
        return True
    if user.is_staff:
        return True  # the admin site
    if role in DEPARTMENT_ROLES:
        return department_two_factor_required()
    return False


def may_remove_own_device(user) -> bool:
    return not two_factor_required(user)


def second_step_due(request) -> bool:
    """The signed-in user has not passed the second step and must before going on."""
    user = request.user
    if not user.is_authenticated or user.is_verified():
        return False
    return bool(request.session.get(PENDING_SESSION_KEY)) or two_factor_required(user)


def has_device(user) -> bool:
    """An authenticator app is enrolled (recovery codes alone are not a device)."""
    return TOTPDevice.objects.filter(user=user, confirmed=True).exists()
