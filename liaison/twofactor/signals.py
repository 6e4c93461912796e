"""What happens in two-factor sign-in, for the apps above to record (the audit trail).

`two_factor_event` is sent with `request`, `user` (whose sign-in or device it is),
`event` (one of EVENTS) and `detail` (a short text: which kind of code, or the refusal's
code). The liaison app cannot import the audit app above it; audit.signals listens.
"""

from django.dispatch import Signal

VERIFIED = "verified"  # a right code: the session passed the second step
FAILED = "failed"  # a wrong, reused or throttled code
RESET = "reset"  # the user's devices removed (by the user, or by the admin's reset)
EVENTS = (VERIFIED, FAILED, RESET)

two_factor_event = Signal()


def send(request, user, event: str, detail: str = "") -> None:
    assert event in EVENTS, event
    two_factor_event.send(sender=None, request=request, user=user, event=event, detail=detail)
