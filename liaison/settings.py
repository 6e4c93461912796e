"""Settings, all read from the environment in this one place (12-factor)."""

import datetime as dt
import os
import secrets
from pathlib import Path

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

from liaison.logs import logging_config
from liaison.sentry import init_sentry

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(environ.Env().str("LIAISON_VAR_DIR", default=str(BASE_DIR / "var")))

env = environ.Env()

# `make setup` and `make run` set LIAISON_LOCAL_RUN=1: the site as its users see it
# (DEBUG off, so the real error pages) on http://127.0.0.1:8000, with a secret key
# generated once into var/secret-key. `DEBUG=1 make run` gives a developer Django's
# debug pages back. Nothing else sets it: it is not for a server others can reach.
LIAISON_LOCAL_RUN = env.bool("LIAISON_LOCAL_RUN", default=False)

# Development is the default (as in healthchecks); production sets DEBUG=0
# and must then provide SECRET_KEY and ALLOWED_HOSTS.
DEBUG = env.bool("DEBUG", default=not LIAISON_LOCAL_RUN)


def _local_secret_key(path: Path) -> str:
    """The local run's key: made once, readable by its owner only, kept with the data.

    Web, worker and beat start at the same moment: the first writes a temporary file and
    links it into place (the others' link fails), so every process reads one whole key.
    """
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_name(f".{path.name}.{os.getpid()}")
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(50))
        try:
            os.link(temporary, path)
        except FileExistsError:
            pass
        finally:
            temporary.unlink()
    return path.read_text().strip()


_DEV_SECRET_KEY = "dev-only-insecure-key-never-use-in-production"
SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if LIAISON_LOCAL_RUN:
        SECRET_KEY = _local_secret_key(VAR_DIR / "secret-key")
    elif not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. With DEBUG off, set the SECRET_KEY environment "
            "variable to a long random string, e.g. the output of: python -c "
            "'import secrets; print(secrets.token_urlsafe(50))'"
        )
    else:
        SECRET_KEY = _DEV_SECRET_KEY

_LOCAL_HOSTS = ["127.0.0.1", "localhost", "[::1]"]
ALLOWED_HOSTS = env.list(
    "ALLOWED_HOSTS",
    default=[*_LOCAL_HOSTS, "testserver"] if DEBUG else _LOCAL_HOSTS if LIAISON_LOCAL_RUN else [],
)
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # Before liaison: their permissions exist when liaison's post_migrate gives the office
    # the right to see and lift lock-outs (liaison.services.role_groups_ensure).
    "liaison.login_protection_app.LoginProtectionConfig",  # django-axes
    "captcha",
    "django_filters",
    "rest_framework",
    "drf_spectacular",
    "import_export",
    # Two-factor sign-in (liaison.twofactor): authenticator-app codes and recovery codes.
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "auditlog",
    "liaison",
    "audit",
    "notifications",
    "issues",
    "meetings",
    "keytasks",
    "service",
    "policy",
    "dashboard",
    "imports",
    "api",
]

MIDDLEWARE = [
    # First: the request's id and its log line cover everything below, redirects included.
    "liaison.middleware.RequestLogMiddleware",
    "django.middleware.security.SecurityMiddleware",
    # Content-Security-Policy on every response, error pages and static files included.
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    # Before anything reads a body (CSRF reads the form), after the language is chosen.
    "liaison.middleware.RequestSizeLimitMiddleware",
    "liaison.middleware.NulCharacterMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # request.user.is_verified(): the session passed the second step (django-otp).
    "django_otp.middleware.OTPMiddleware",
    # Who made a change (django-auditlog's entries) and from which address (audit.middleware).
    "audit.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After authentication and messages: signs out an idle or too old session, with a
    # message (liaison.sessions).
    "liaison.sessions.SessionTimeoutMiddleware",
    # A user who must pass the second step is sent to it before any other page.
    "liaison.twofactor.middleware.TwoFactorMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Turns the page of a request in which axes refused or locked a sign-in into the
    # lock-out answer (liaison.login_protection.lockout_response).
    "axes.middleware.AxesMiddleware",
    # Last, so that it sees a view's exception first: the database out of reach is a 503.
    "liaison.middleware.DatabaseUnavailableMiddleware",
]
# A form posted with an expired or missing CSRF token: a page in the site's layout and
# the user's language that says what to do (Django's own tells them to set DEBUG=True).
CSRF_FAILURE_VIEW = "liaison.views.csrf_failure"

ROOT_URLCONF = "liaison.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "liaison.context_processors.liaison",
            ],
        },
    },
]

WSGI_APPLICATION = "liaison.wsgi.application"

# Database: SQLite file under var/ unless DATABASE_URL says otherwise.
DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'liaison.sqlite3'}"),
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # The embedded default must work from a fresh clone without any set-up step.
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
    # Tests use a file too, not SQLite's shared-cache memory database, whose table locks
    # fail at once ("database table is locked") where a file waits its busy timeout:
    # two requests at the same moment (the double-submit browser test) behave as in use.
    # One file per test run (process), so that two runs in one checkout do not share it.
    DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / f"test-liaison-{os.getpid()}.sqlite3")}
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {
            # WAL lets the web server, worker and beat read while one writes.
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    )
else:
    DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=60))
    DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
    # A database host that does not answer (down, a firewall dropping packets) fails a
    # connection in this many seconds instead of the operating system's two minutes:
    # /readyz and /healthz answer 503 promptly (within the image's 4-second health probe),
    # and a page gives its 503 instead of hanging. libpq's least is 2.
    DATABASES["default"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", max(env.int("LIAISON_DB_CONNECT_TIMEOUT", default=3), 2)
    )

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# Passwords (issue 15): officials' at least 12 characters (OWASP ASVS 2.1.1), enterprise
# users' at least 8; not like the user's name or e-mail, not a common one, not all digits.
# A user whose role is not known yet (the admin's "add user" form) is held to 12.
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "liaison.validators.RoleMinimumLengthValidator",
        "OPTIONS": {"official_min_length": 12, "enterprise_min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Sessions (issue 15, liaison.sessions): signed out after this many minutes without a
# request (officials: every role but enterprise users), and after LIAISON_SESSION_MAX_HOURS
# whatever they do. The cookie and the stored session end with the absolute lifetime too.
LIAISON_SESSION_IDLE_MINUTES_OFFICIALS = env.int(
    "LIAISON_SESSION_IDLE_MINUTES_OFFICIALS", default=30
)
LIAISON_SESSION_IDLE_MINUTES_ENTERPRISE = env.int(
    "LIAISON_SESSION_IDLE_MINUTES_ENTERPRISE", default=120
)
LIAISON_SESSION_MAX_HOURS = env.int("LIAISON_SESSION_MAX_HOURS", default=12)
for _name in (
    "LIAISON_SESSION_IDLE_MINUTES_OFFICIALS",
    "LIAISON_SESSION_IDLE_MINUTES_ENTERPRISE",
    "LIAISON_SESSION_MAX_HOURS",
):
    if vars()[_name] < 1:
        raise ImproperlyConfigured(f"{_name} must be a whole number of at least 1.")
SESSION_COOKIE_AGE = LIAISON_SESSION_MAX_HOURS * 3600

LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Two-factor sign-in (liaison.twofactor, README "Two-factor sign-in"). The issuer is the
# name an authenticator app shows beside the code.
OTP_TOTP_ISSUER = env.str("LIAISON_TOTP_ISSUER", default="Liaison")
# liaison.admin unregisters django-otp's device admins (its users' action resets instead);
# should they come back, they show no key.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Internationalisation: Chinese first; the browser's Accept-Language picks,
# the switcher in the page (set_language) overrides with a cookie.
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
# Dates as each language writes them (2026年12月6日, 6 Dec 2026): liaison/formats/<lang>/.
FORMAT_MODULE_PATH = ["liaison.formats"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = Path(env.str("STATIC_ROOT", default=str(VAR_DIR / "staticfiles")))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG and not LIAISON_LOCAL_RUN
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
# The local run needs no collectstatic: WhiteNoise serves static/ and the apps' static
# files where they are, and sees an edited file at once.
if LIAISON_LOCAL_RUN:
    WHITENOISE_USE_FINDERS = True
    WHITENOISE_AUTOREFRESH = True
# Uploaded files live outside the static and media URL space; they are only
# ever served through permission-checked views.
MEDIA_ROOT = Path(env.str("MEDIA_ROOT", default=str(VAR_DIR / "uploads")))

# Request bodies. A form without files may send DATA_UPLOAD_MAX_MEMORY_SIZE (its longest
# text, 20,000 characters of minutes, is under 200 KB sent); a view that takes files
# (liaison.middleware.accepts_uploads) its files too: 10 of 20 MB and 1 MB of form, 201 MB,
# the reverse proxy's limit. Larger bodies are refused before they are read (413).
DATA_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
# A file larger than this is spooled to a temporary file, not kept in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000
# Above the 10 files a problem takes, so that the form says "at most 10" to someone who
# chose 11; far below Django's default of 100.
DATA_UPLOAD_MAX_NUMBER_FILES = 20

# Cache: Redis when configured (shared by all processes), else local memory.
REDIS_URL = env.str("REDIS_URL", default="")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "liaison",
            # Every user of the cache copes with Redis being down (it is a cache); a
            # Redis host that does not answer must not hold a request for minutes.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Celery: Redis when configured, else the file-system broker and result store
# under var/. Every CELERY_* name must be one Celery knows (a test checks it):
# a misspelt one would silently do nothing, so helpers here are lower-case.
CELERY_BROKER_URL = env.str("CELERY_BROKER_URL", default=REDIS_URL or "filesystem://")
_broker_dir = VAR_DIR / "celery-broker"
if CELERY_BROKER_URL.startswith("filesystem://"):
    CELERY_BROKER_TRANSPORT_OPTIONS = {
        "data_folder_in": str(_broker_dir / "out"),
        "data_folder_out": str(_broker_dir / "out"),
        "control_folder": str(_broker_dir / "control"),
        "processed_folder": str(_broker_dir / "processed"),
        "store_processed": False,
    }
else:
    # A broker host that does not answer fails a web request's queueing in seconds.
    CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": 3600, "socket_connect_timeout": 5}
if CELERY_BROKER_URL.startswith("redis://"):
    # kombu's Redis transport, mended so that a worker rides out a Redis restart.
    CELERY_BROKER_TRANSPORT = "liaison.broker:Transport"
CELERY_RESULT_BACKEND = env.str(
    "CELERY_RESULT_BACKEND", default=REDIS_URL or f"file://{VAR_DIR / 'celery-results'}"
)
CELERY_TIMEZONE = TIME_ZONE
CELERY_ENABLE_UTC = True
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
CELERY_BEAT_SCHEDULE_FILENAME = str(VAR_DIR / "celerybeat-schedule")
# One beat schedules, however many are started: the others wait for its lock (liaison.beat).
CELERY_BEAT_SCHEDULER = "liaison.beat:LockedScheduler"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps trying to reach the broker however long it is away (the default gives
# up, and exits, after 100 tries: about 45 minutes).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
# Two queues, each with workers of its own (Procfile, docker-compose.yml), so that
# e-mail delivery, which waits on the mail server, can never hold up the deadline
# sweep: "deadlines" for the sweep and the summaries, "notifications" for the outbox.
# Anything else (e.g. liaison.tasks.ping) goes to Celery's default queue, "celery",
# which the deadlines workers also consume.
CELERY_TASK_ROUTES = {
    "issues.tasks.enforce_deadlines": {"queue": "deadlines"},
    "issues.tasks.recompute_deadlines": {"queue": "deadlines"},
    "issues.tasks.send_daily_digest": {"queue": "deadlines"},
    # dashboard.tasks, under the names they had in liaison.
    "dashboard.tasks.refresh_dashboard": {"queue": "deadlines"},
    "dashboard.tasks.refresh_dashboard_full": {"queue": "deadlines"},
    "dashboard.tasks.generate_monthly_bulletin": {"queue": "deadlines"},
    "dashboard.tasks.freeze_assessments": {"queue": "deadlines"},
    # notifications.tasks, under the names they had in issues (queued messages carry them).
    "notifications.tasks.deliver_notification": {"queue": "notifications"},
    "notifications.tasks.requeue_pending_notifications": {"queue": "notifications"},
    # Webhooks (api.tasks) wait on other systems as e-mail waits on the mail server.
    "api.tasks.deliver_webhooks": {"queue": "notifications"},
    "api.tasks.requeue_pending_webhooks": {"queue": "notifications"},
    "audit.tasks.purge_audit": {"queue": "deadlines"},
    # The follow-up visits' reminders (service.tasks): a daily sweep, like the digest.
    "service.tasks.remind_follow_ups": {"queue": "deadlines"},
}

# The outbox (notifications.delivery). A failed e-mail or SMS is tried again after each of
# these delays in turn (seconds; about 8 hours in all, so an ordinary mail-server
# outage is ridden out), then marked failed for the office to see.
LIAISON_OUTBOX_RETRY_DELAYS = env.list(
    "LIAISON_OUTBOX_RETRY_DELAYS", cast=int, default=[60, 120, 300, 600, 1800, 3600, 7200, 14400]
)
# How long a worker holds a message it is sending before another may take it up (it
# died mid-send). Longer than a delivery task can run (its hard time limit), so that
# two workers never send one message because one of them was merely slow.
LIAISON_OUTBOX_LEASE_SECONDS = env.int("LIAISON_OUTBOX_LEASE_SECONDS", default=300)
# How often the requeue runs, and how long a message handed to the broker may wait for a
# worker before it is handed over again (the broker may have lost it, e.g. Redis restarted
# empty). Together: mail written while Redis was down goes out within a minute of its return.
LIAISON_OUTBOX_REQUEUE_SECONDS = env.int("LIAISON_OUTBOX_REQUEUE_SECONDS", default=15)
LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS = env.int("LIAISON_OUTBOX_REQUEUE_AFTER_SECONDS", default=30)

# Webhooks (api.webhooks, issue 14). A failed delivery is tried again after each of these
# delays in turn (seconds, growing fourfold: about 15 hours in all), then failed, and its
# subscription disabled with the office told. Each attempt waits at most LIAISON_WEBHOOKS_TIMEOUT
# seconds for the receiver. Plain http:// URLs only where allowed (the local run, DEBUG,
# or a district whose receivers sit on its own intranet without TLS).
LIAISON_WEBHOOKS_RETRY_DELAYS = env.list(
    "LIAISON_WEBHOOKS_RETRY_DELAYS", cast=int, default=[10, 40, 160, 640, 2560, 10240, 40960]
)
LIAISON_WEBHOOKS_TIMEOUT = min(env.float("LIAISON_WEBHOOKS_TIMEOUT", default=5.0), 10.0)
LIAISON_WEBHOOKS_ALLOW_HTTP = env.bool(
    "LIAISON_WEBHOOKS_ALLOW_HTTP", default=DEBUG or LIAISON_LOCAL_RUN
)
# A worker's claim on a delivery it is sending (longer than one attempt can take), how
# often the requeue runs, and how long a queued delivery may wait for a worker before it
# is handed over again (as for the e-mail outbox above).
LIAISON_WEBHOOKS_LEASE_SECONDS = env.int("LIAISON_WEBHOOKS_LEASE_SECONDS", default=60)
LIAISON_WEBHOOKS_REQUEUE_SECONDS = env.int("LIAISON_WEBHOOKS_REQUEUE_SECONDS", default=15)
LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS = env.int(
    "LIAISON_WEBHOOKS_REQUEUE_AFTER_SECONDS", default=60
)

# How often the dashboard's summary is brought up to date (the page says "every minute").
LIAISON_DASHBOARD_REFRESH_SECONDS = env.int("LIAISON_DASHBOARD_REFRESH_SECONDS", default=60)

# How often the deadline sweep runs.
LIAISON_SWEEP_SECONDS = env.int("LIAISON_SWEEP_SECONDS", default=120)
# How often a worker notes that it runs tasks (liaison.tasks.heartbeat, read by /readyz).
LIAISON_HEARTBEAT_SECONDS = env.int("LIAISON_HEARTBEAT_SECONDS", default=30)

# /readyz (liaison.readiness): the oldest each record may be, in seconds, for the
# installation to count as ready. The worker's heartbeat: four beats missed. The sweep's
# last completed run: three runs missed, and a run that takes its whole time limit. The
# dashboard summary: ten refreshes missed (the nightly full rebuild holds the minute's
# refresh up while it runs; raise this if it takes longer than that on your data).
LIAISON_READYZ_WORKER_MAX_AGE = env.int(
    "LIAISON_READYZ_WORKER_MAX_AGE", default=4 * LIAISON_HEARTBEAT_SECONDS
)
LIAISON_READYZ_SWEEP_MAX_AGE = env.int(
    "LIAISON_READYZ_SWEEP_MAX_AGE", default=3 * LIAISON_SWEEP_SECONDS + CELERY_TASK_TIME_LIMIT
)
LIAISON_READYZ_DASHBOARD_MAX_AGE = env.int(
    "LIAISON_READYZ_DASHBOARD_MAX_AGE", default=10 * LIAISON_DASHBOARD_REFRESH_SECONDS
)

# The audit trail (audit/, issue 15): how many days its records are kept; older ones are
# deleted every night by audit.tasks.purge_audit (and `manage.py purge_audit`). Graded
# protection asks for at least six months: fewer than 180 days is refused at startup, and
# on PostgreSQL the table's trigger refuses to delete a younger record whatever is asked.
LIAISON_AUDIT_RETENTION_DAYS = env.int("LIAISON_AUDIT_RETENTION_DAYS", default=1095)
_audit_min_retention_days = 180  # audit.models.MIN_RETENTION_DAYS, the trigger's too
if LIAISON_AUDIT_RETENTION_DAYS < _audit_min_retention_days:
    raise ImproperlyConfigured(
        f"LIAISON_AUDIT_RETENTION_DAYS is {LIAISON_AUDIT_RETENTION_DAYS}: the audit trail must "
        f"be kept at least {_audit_min_retention_days} days (graded protection)."
    )
# django-auditlog (the change entries): no entries for fixtures loaded raw; the address
# is the client's as liaison.forms sees it (audit.middleware), not a header anyone can set.
AUDITLOG_DISABLE_ON_RAW_SAVE = True
# No correlation id from a request header: anyone could send one (a long one failing the
# write it came with), and nothing in front of the app sets it.
AUDITLOG_CID_HEADER = None

# The beat schedule, in one place. Times are Asia/Shanghai (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE = {
    "enforce-deadlines": {
        "task": "issues.tasks.enforce_deadlines",
        "schedule": LIAISON_SWEEP_SECONDS,
    },
    # Any deadlines worker runs it (Celery's default queue): /readyz's "worker" check.
    "worker-heartbeat": {
        "task": "liaison.tasks.heartbeat",
        "schedule": LIAISON_HEARTBEAT_SECONDS,
        "options": {"expires": LIAISON_HEARTBEAT_SECONDS},
    },
    "requeue-pending-notifications": {
        "task": "notifications.tasks.requeue_pending_notifications",
        "schedule": LIAISON_OUTBOX_REQUEUE_SECONDS,
        "options": {"expires": LIAISON_OUTBOX_REQUEUE_SECONDS},
    },
    "requeue-pending-webhooks": {
        "task": "api.tasks.requeue_pending_webhooks",
        "schedule": LIAISON_WEBHOOKS_REQUEUE_SECONDS,
        "options": {"expires": LIAISON_WEBHOOKS_REQUEUE_SECONDS},
    },
    "daily-digest": {
        "task": "issues.tasks.send_daily_digest",
        # Every day at 08:30; the task itself does nothing on days that are not working days.
        "schedule": crontab(hour=8, minute=30),
    },
    # The dashboard summary (dashboard.figures): the months that changed, and a nightly
    # rebuild of everything. A refresh still queued when the next is due is dropped.
    "refresh-dashboard": {
        "task": "dashboard.tasks.refresh_dashboard",
        "schedule": LIAISON_DASHBOARD_REFRESH_SECONDS,
        "options": {"expires": LIAISON_DASHBOARD_REFRESH_SECONDS},
    },
    "refresh-dashboard-full": {
        "task": "dashboard.tasks.refresh_dashboard_full",
        "schedule": crontab(hour=2, minute=30),
    },
    # The monthly bulletin (dashboard.bulletin): every morning; the task generates last
    # month's on the first working day of the month (the calendar decides), once, after
    # the assessment froze the month (01:10) so that its ranking is the frozen one.
    "generate-monthly-bulletin": {
        "task": "dashboard.tasks.generate_monthly_bulletin",
        "schedule": crontab(hour=7, minute=0),
    },
    # The department assessment (dashboard.assessment): each day, a month whose first
    # working day after it has come is frozen (once; later runs find it frozen).
    "freeze-assessments": {
        "task": "dashboard.tasks.freeze_assessments",
        "schedule": crontab(hour=1, minute=10),
    },
    # Follow-up visits due today: their recorders and commissioners told (service).
    "remind-visit-follow-ups": {
        "task": "service.tasks.remind_follow_ups",
        "schedule": crontab(hour=8, minute=0),
    },
    # The audit trail's records older than LIAISON_AUDIT_RETENTION_DAYS.
    "purge-audit": {
        "task": "audit.tasks.purge_audit",
        "schedule": crontab(hour=3, minute=15),
    },
}

# Email: console in development and the local run, SMTP from EMAIL_URL / EMAIL_* in
# production.
EMAIL_CONFIG = env.email_url(
    "EMAIL_URL", default="consolemail://" if DEBUG or LIAISON_LOCAL_RUN else "smtp://localhost:25"
)
vars().update(EMAIL_CONFIG)
# Seconds an SMTP connection may wait for the server at each step: a server that
# accepts connections but never answers fails the attempt instead of holding a worker.
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Liaison <liaison@localhost>")
SERVER_EMAIL = env.str("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)

# The address people use to reach the site, for links in e-mails.
LIAISON_SITE_URL = env.str("LIAISON_SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
# SMS delivery: a dotted path to a backend class; the default writes to the log. The
# gateways: notifications.sms.aliyun.AliyunSmsBackend (Alibaba Cloud) and
# notifications.sms.tencent.TencentSmsBackend (Tencent Cloud), configured by the settings
# below (README, "Text messages"); one missing is a system-check error at startup.
LIAISON_SMS_BACKEND = env.str(
    "LIAISON_SMS_BACKEND", default="notifications.delivery.LoggingSmsBackend"
)
# The approved signature (签名) and the templates: JSON {kind: {"template": code,
# "params": [...]}}, with a "default" entry for every kind without its own.
LIAISON_SMS_SIGN_NAME = env.str("LIAISON_SMS_SIGN_NAME", default="")
LIAISON_SMS_TEMPLATES = env.str("LIAISON_SMS_TEMPLATES", default="")
# The gateway's address, e.g. https://dysmsapi.aliyuncs.com (empty: the provider's own).
LIAISON_SMS_ENDPOINT = env.str("LIAISON_SMS_ENDPOINT", default="")
# Seconds to connect to the gateway and to wait for its answer: a gateway that does not
# answer fails the attempt quickly (it is tried again), instead of holding a worker.
LIAISON_SMS_CONNECT_TIMEOUT = env.float("LIAISON_SMS_CONNECT_TIMEOUT", default=5)
LIAISON_SMS_READ_TIMEOUT = env.float("LIAISON_SMS_READ_TIMEOUT", default=10)
LIAISON_SMS_ALIYUN_ACCESS_KEY_ID = env.str("LIAISON_SMS_ALIYUN_ACCESS_KEY_ID", default="")
LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET = env.str("LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET", default="")
LIAISON_SMS_TENCENT_SECRET_ID = env.str("LIAISON_SMS_TENCENT_SECRET_ID", default="")
LIAISON_SMS_TENCENT_SECRET_KEY = env.str("LIAISON_SMS_TENCENT_SECRET_KEY", default="")
LIAISON_SMS_TENCENT_SDK_APP_ID = env.str("LIAISON_SMS_TENCENT_SDK_APP_ID", default="")
LIAISON_SMS_TENCENT_REGION = env.str("LIAISON_SMS_TENCENT_REGION", default="ap-guangzhou")

# How many reverse proxies in front of the app add to X-Forwarded-For (0: none, use
# REMOTE_ADDR). Login protection counts failures per client address
# (liaison.login_protection.client_address, which hands this to django-ipware).
LIAISON_TRUSTED_PROXIES = env.int("LIAISON_TRUSTED_PROXIES", default=0)

# Login protection (django-axes; README, "Login protection"). Failed password checks are
# recorded in the database per user name and address together: after
# LIAISON_LOGIN_FAILURE_LIMIT of them that pair is refused for LIAISON_LOGIN_LOCKOUT_MINUTES
# after the last. From an address with LIAISON_LOGIN_CHALLENGE_AFTER failures in that
# time (any names), a sign-in answers a challenge before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before checking
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LIAISON_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LIAISON_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LIAISON_LOGIN_CHALLENGE_AFTER = env.int("LIAISON_LOGIN_CHALLENGE_AFTER", default=10)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "liaison.login_protection.client_address"
AXES_LOCKOUT_CALLABLE = "liaison.login_protection.lockout_response"
# A successful sign-in clears that user's failures from that address.
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without being recorded: the time the user is told
# to come back stays true however often they try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Each failure is also kept (AccessFailureLog) for the admin to read after the lock ends;
# successful sign-ins are not logged (a row for every sign-in, kept for ever).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True
# What axes copies of the form into its records: never a password or the form's token.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
    "csrfmiddlewaretoken",
]
# The challenge's picture (django-simple-captcha): 4 characters, large enough to read on a
# phone, valid for 10 minutes.
CAPTCHA_TIMEOUT = 10
CAPTCHA_LENGTH = 4
CAPTCHA_FONT_SIZE = 36

# Working days: how many a problem has, and when it is warned.
LIAISON_DEADLINE_WORKING_DAYS = env.int("LIAISON_DEADLINE_WORKING_DAYS", default=10)

# The published contact and guidance lists open without logging in (heads' mobile
# numbers then show masked to anonymous visitors).
LIAISON_PUBLIC_LISTS = env.bool("LIAISON_PUBLIC_LISTS", default=False)

# The REST API (api/, issue 14): an API client's key or the browser's session; answers
# in JSON; a client's budget per minute is its own (api.throttling), a browser user's
# is LIAISON_API_USER_RATE.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api-user": env.str("LIAISON_API_USER_RATE", default="120/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison API",
    "DESCRIPTION": (
        "Liaison's REST API v1: problems, their handling, enterprises, departments, "
        "meetings, figures and the working-day calendar. Authenticate with an API "
        "client's key from the liaison office (Authorization: Bearer lia_...)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (static/vendor/, from the npm registry).
    "SWAGGER_UI_DIST": f"/{STATIC_URL.strip('/')}/vendor/swagger-ui-dist-5.36.0",
    "SWAGGER_UI_FAVICON_HREF": (
        f"/{STATIC_URL.strip('/')}/vendor/swagger-ui-dist-5.36.0/favicon-32x32.png"
    ),
    # No badge from validator.swagger.io: the page loads nothing from elsewhere (and the
    # Content-Security-Policy would refuse the image).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for each set of choices the API shows.
    "ENUM_NAME_OVERRIDES": {
        "ProblemStatusEnum": "issues.models.Status",
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
        "SatisfactionEnum": "issues.models.Satisfaction",
        "EvaluationEnum": [
            ("satisfied", "satisfied"),
            ("basically", "basically"),
            ("unsatisfied", "unsatisfied"),
        ],
    },
}

# Security: strict in production (passes `manage.py check --deploy`); the local run
# serves plain HTTP on localhost, so no HTTPS redirect and no secure-only cookies.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): the same in every mode, so that the browser tests
# run under the production policy. Only our own files run: no inline script, event
# handler attribute or eval anywhere (static/js/ holds every script; htmx's eval and its
# injected indicator style are off, in base.html's htmx-config), and no inline style
# either (classes in static/css/; a width computed on the server is set by liaison.js
# through the CSSOM, which CSP does not restrict). Swagger UI's start-up script is a
# response of its own (api/urls.py). The browser reports a violation to /csp-report
# (liaison.views.csp_report), which logs it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report",
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not LIAISON_LOCAL_RUN:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]

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
