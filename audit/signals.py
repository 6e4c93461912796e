"""Sign-in, sign-out and failed sign-ins (django.contrib.auth's signals), as access records."""

from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.dispatch import receiver

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
    detail = "throttled" if kwargs.get("throttled") else ""
    access_record(request, Action.SIGN_IN_FAILED, username=username, detail=detail)
