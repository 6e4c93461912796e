"""System checks of the outbox's configuration: an SMS gateway missing a setting stops
`manage.py check`, `migrate` and `runserver` with an error that names the setting, and
a Celery worker says so in its log when it starts (Celery runs the checks but keeps
quiet about what they find)."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core import checks
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


@checks.register("sms")
def sms_backend_configured(app_configs=None, **kwargs) -> list[checks.CheckMessage]:
    path = getattr(settings, "LIAISON_SMS_BACKEND", "")
    try:
        backend = import_string(path)
    except ImportError as error:
        return [
            checks.Error(
                f"LIAISON_SMS_BACKEND {path!r} cannot be imported: {error}",
                hint="notifications.delivery.LoggingSmsBackend (the log), "
                "notifications.sms.aliyun.AliyunSmsBackend or "
                "notifications.sms.tencent.TencentSmsBackend; see the README.",
                id="notifications.E001",
            )
        ]
    problems = getattr(backend, "configuration_problems", None)
    if problems is None:
        return []
    return [
        checks.Error(
            f"{path}: {problem}",
            hint="Set it in the environment; the README's SMS section lists every variable.",
            id="notifications.E002",
        )
        for problem in problems()
    ]


def log_sms_configuration_errors(**kwargs) -> None:
    """At a worker's start (celery's worker_ready signal): each problem, in its log."""
    for error in sms_backend_configured():
        logger.error("%s: %s (%s)", error.id, error.msg, error.hint)
