"""Sign-in, sign-out and failed sign-ins (django.contrib.auth's signals), as access records."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

from liaison.twofactor import signals as two_factor_signals

from .models import Action
from .services import access_record


@receiver(user_logged_in, dispatch_uid="audit.signed_in")
def signed_in(sender, request, user, **kwargs) -> None:
    access_record(request, Action.SIGNED_IN, user=user)


@receiver(user_logged_out, dispatch_uid="audit.signed_out")
def signed_out(sender, request, user, **kwargs) -> None:
    if user is None or not user.is_authenticated:
        return  # a log-out without a session: nothing to record
    access_record(request, Action.SIGNED_OUT, user=user)


@receiver(user_login_failed, dispatch_uid="audit.sign_in_failed")
def sign_in_failed(sender, credentials, request=None, **kwargs) -> None:
    # The credentials come cleansed (no password); the name tried is kept, there is no user.
    username = str(credentials.get("username") or "")
    # django-axes refused to check the password: the name is locked from this address.
    detail = "locked out" if getattr(request, "axes_locked_out", False) else ""
    access_record(request, Action.SIGN_IN_FAILED, username=username, detail=detail)


TWO_FACTOR_ACTIONS = {
    two_factor_signals.VERIFIED: Action.TWO_FACTOR_VERIFIED,
    two_factor_signals.FAILED: Action.TWO_FACTOR_FAILED,
    two_factor_signals.RESET: Action.TWO_FACTOR_DEVICE_RESET,
}


@receiver(two_factor_signals.two_factor_event, dispatch_uid="audit.two_factor")
def two_factor_event(sender, request, user, event, detail="", **kwargs) -> None:
    actor = getattr(request, "user", None)
    if actor is not None and actor.is_authenticated and actor.pk != user.pk:
        # Someone else's devices reset (the admin's action): the admin did it, to `user`.
        access_record(request, TWO_FACTOR_ACTIONS[event], obj=user, detail=detail)
    else:
        access_record(request, TWO_FACTOR_ACTIONS[event], user=user, detail=detail)
