"""The log's shape: request ids, personal data masked, JSON or plain text (settings.LOGGING).

A request's id and user are held in context variables for as long as the request runs
(liaison.middleware.RequestLogMiddleware; the user once the request has read it), and
in a Celery task for as long as it runs
(liaison.celery: the id travels with a task queued during a request). Every record that
reaches a handler gets them as attributes (RequestContextFilter) and has its message,
arguments and traceback masked (MaskPersonalDataFilter, and the formatters for the
traceback), whichever library logged it.
"""

from __future__ import annotations

import logging
import re
import uuid
from contextvars import ContextVar

from pythonjsonlogger.json import JsonFormatter as _JsonFormatter

from .privacy import mask_personal_data

request_id_var: ContextVar[str | None] = ContextVar("liaison_request_id", default=None)
current_request_var: ContextVar[object | None] = ContextVar("liaison_request", default=None)

# An incoming X-Request-ID (nginx's $request_id, another system's) is reused only if it
# is a short token of safe characters: it goes into every log line.
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._-]{8,64}")


def new_request_id() -> str:
    return uuid.uuid4().hex


def request_id_from(header: str | None) -> str:
    """The incoming id if it is safe to log, else a new one."""
    if header and SAFE_REQUEST_ID.fullmatch(header):
        return header
    return new_request_id()


def user_already_loaded(request):
    """request.user if something already read it and it is signed in, else None.

    Reading it here would cost the session's and the user's queries on pages that do not
    need them (/healthz, the login page), and query counts are pinned.
    """
    from django.utils.functional import empty

    user = request.__dict__.get("user")
    if user is None:
        return None
    # A SimpleLazyObject's user, once read; django-otp wraps Django's lazy user in one
    # of its own, so unwrap as many as there are.
    while hasattr(user, "_wrapped"):
        user = user._wrapped
        if user is empty:
            return None
    return user if getattr(user, "is_authenticated", False) else None


def _current_task_id() -> str | None:
    from celery import current_task

    task = current_task
    if task is None or not getattr(task, "request", None):
        return None
    return getattr(task.request, "id", None)


class RequestContextFilter(logging.Filter):
    """Adds request_id, user_id and task_id (None where there is none) to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id_var.get()
        if not hasattr(record, "user_id"):
            request = current_request_var.get()
            user = user_already_loaded(request) if request is not None else None
            record.user_id = user.pk if user is not None else None
        if not hasattr(record, "task_id"):
            try:
                record.task_id = _current_task_id()
            except Exception:  # noqa: BLE001 - a log line must never fail for this
                record.task_id = None
        return True


class MaskPersonalDataFilter(logging.Filter):
    """Masks phones, credit codes and e-mail local parts in the message and its arguments.

    The message is formatted here (getMessage) and the arguments dropped, so that an
    argument of any type (a model instance, a dict, an exception) is masked too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:  # noqa: BLE001 - let the handler report the bad format itself
            return True
        record.msg = mask_personal_data(message)
        record.args = None
        return True


class JsonFormatter(_JsonFormatter):
    """One JSON object a line; tracebacks masked like the message."""

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return mask_personal_data(super().formatException(ei))


class TextFormatter(logging.Formatter):
    """Plain text for a terminal (`make run`, tests): the request's id, else the task's,
    in brackets; tracebacks masked like the message."""

    def format(self, record: logging.LogRecord) -> str:
        record.context = (
            getattr(record, "request_id", None) or getattr(record, "task_id", None) or "-"
        )
        return super().format(record)

    def formatException(self, ei) -> str:  # noqa: N802 - logging's name
        return mask_personal_data(super().formatException(ei))


JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s %(user_id)s %(task_id)s"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(context)s] %(message)s"


def logging_config(*, log_format: str, level: str) -> dict:
    """settings.LOGGING: everything to stderr, as JSON or as text."""
    formatter = (
        {
            "()": "liaison.logs.JsonFormatter",
            "format": JSON_FIELDS,
            "rename_fields": {"levelname": "level", "name": "logger"},
            "timestamp": "time",  # ISO 8601, UTC
            "json_ensure_ascii": False,
        }
        if log_format == "json"
        else {"()": "liaison.logs.TextFormatter", "format": TEXT_FORMAT}
    )
    return {
        "version": 1,
        "disable_existing_loggers": False,
        "filters": {
            "context": {"()": "liaison.logs.RequestContextFilter"},
            "mask": {"()": "liaison.logs.MaskPersonalDataFilter"},
        },
        "formatters": {"default": formatter},
        "handlers": {
            "console": {
                "class": "logging.StreamHandler",
                # stderr, as before: commands print their results on stdout (readyz's
                # JSON, the benchmarks' --json rows) and a log line there would break
                # whatever reads them. Docker and systemd collect both streams alike.
                "stream": "ext://sys.stderr",
                "formatter": "default",
                "filters": ["context", "mask"],
            }
        },
        "root": {"handlers": ["console"], "level": level},
    }
