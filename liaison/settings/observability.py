"""Settings, part 5 of 5: logs and error reports (liaison.logs, liaison.sentry)."""

from liaison.logs import logging_config
from liaison.sentry import init_sentry

from .base import DEBUG, LIAISON_LOCAL_RUN, ImproperlyConfigured, env

# Logging (liaison.logs): everything to stderr, one JSON object a line where a log
# collector reads it (production, compose), plain text in a terminal (`make run`, DEBUG,
# tests). Each line carries the request's id (X-Request-ID) and user, or the Celery
# task's id; phone numbers, credit codes and e-mail addresses are masked.
LIAISON_LOG_FORMAT = env.str(
    "LIAISON_LOG_FORMAT", default="text" if DEBUG or LIAISON_LOCAL_RUN else "json"
)
if LIAISON_LOG_FORMAT not in ("json", "text"):
    raise ImproperlyConfigured("LIAISON_LOG_FORMAT must be json or text.")
LOGGING = logging_config(log_format=LIAISON_LOG_FORMAT, level=env.str("LOG_LEVEL", default="INFO"))
# Workers and beat log through LOGGING too, not Celery's own format.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# Error reports to Sentry (or a compatible server such as GlitchTip), only when SENTRY_DSN
# is set: no personal data is sent (liaison.sentry.before_send masks what is left).
SENTRY_DSN = env.str("SENTRY_DSN", default="")
SENTRY_ENVIRONMENT = env.str(
    "SENTRY_ENVIRONMENT", default="development" if DEBUG or LIAISON_LOCAL_RUN else "production"
)
SENTRY_RELEASE = env.str("SENTRY_RELEASE", default="")
SENTRY_TRACES_SAMPLE_RATE = env.float("SENTRY_TRACES_SAMPLE_RATE", default=0.0)
if SENTRY_DSN:
    init_sentry(
        dsn=SENTRY_DSN,
        environment=SENTRY_ENVIRONMENT,
        release=SENTRY_RELEASE or None,
        traces_sample_rate=SENTRY_TRACES_SAMPLE_RATE,
    )
