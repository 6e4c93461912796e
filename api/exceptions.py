"""How the API answers errors: the workflow's refusals as HTTP, in the caller's language.

- a field error: 400 with the fields (DRF's own format);
- not allowed for this user on an object they can see: 403; one they cannot see: 404
  (the views load through the user's permission-filtered selectors, so it never exists);
- a transition not possible in the problem's state: 409;
- a stale write (the object changed since the client read `version`): 409 with the
  current `version`;
- over the client's budget: 429 with Retry-After (DRF's Throttled).
"""

from __future__ import annotations

from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from rest_framework import status
from rest_framework.exceptions import NotFound, ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from issues.workflow import NotAllowed, TransitionError, WrongState
from liaison.locking import StaleVersion


class Stale(Exception):
    """Raised by a view with the object's current version (for the 409 body)."""

    def __init__(self, message, version: int) -> None:
        super().__init__(str(message))
        self.message = message
        self.version = version


def exception_handler(exc, context):
    if isinstance(exc, Stale):
        return Response(
            {"detail": str(exc.message), "code": "stale", "version": exc.version},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, StaleVersion):
        return Response(
            {"detail": str(getattr(exc, "message", exc)), "code": "stale"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, NotAllowed):
        return Response(
            {"detail": str(exc.message), "code": "not_allowed"},
            status=status.HTTP_403_FORBIDDEN,
        )
    if isinstance(exc, WrongState):
        return Response(
            {"detail": str(exc.message), "code": "wrong_state"},
            status=status.HTTP_409_CONFLICT,
        )
    if isinstance(exc, TransitionError):
        return Response(
            {"detail": str(exc.message), "code": "invalid"},
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        # get_object_or_404's text ("No Problem matches the given query.") is English
        # only and names the model: the caller reads DRF's own, translated "Not found.".
        exc = NotFound()
    if isinstance(exc, DjangoValidationError):
        detail = exc.message_dict if hasattr(exc, "error_dict") else {"detail": exc.messages}
        exc = ValidationError(detail)
    return drf_exception_handler(exc, context)
