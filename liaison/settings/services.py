"""Settings, part 2 of 5: the services the site relies on. The cache, Celery (queues,
the beat schedule), the outbox's and webhooks' retries, the audit trail's retention,
e-mail and text messages."""

from celery.schedules import crontab

from .base import (
    DATABASE_REPLICA_URL,
    DEBUG,
    LIAISON_LOCAL_RUN,
    TIME_ZONE,
    VAR_DIR,
    ImproperlyConfigured,
    env,
)

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
# The filter forms' choice lists kept in each process until a version in the shared cache
# says they changed (liaison.choices): only with a cache all processes share.
LIAISON_CHOICES_CACHE = env.bool("LIAISON_CHOICES_CACHE", default=bool(REDIS_URL))
if DATABASE_REPLICA_URL and not REDIS_URL:
    # The pin that reads a user's own writes back from the primary lives in the cache: in
    # each process's memory, a user's next request to another process would not see it.
    raise ImproperlyConfigured(
        "DATABASE_REPLICA_URL needs REDIS_URL: the web processes share, in Redis, which "
        "users wrote in the last LIAISON_REPLICA_PIN_SECONDS (they read from the primary)."
    )

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
    "dashboard.tasks.freeze_assessments": {"queue": "deadlines"},
    "dashboard.tasks.generate_monthly_bulletin": {"queue": "deadlines"},
    "dashboard.tasks.refresh_provisional_assessments": {"queue": "deadlines"},
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
# How long each web process answers the dashboard page's same filter with the figures it
# counted (dashboard.kept; 0: count them for every request). The page says the time they
# are as of; a user who just wrote gets them counted again. At most a minute: the summary
# behind them is refreshed every minute.
LIAISON_DASHBOARD_KEEP_SECONDS = env.int("LIAISON_DASHBOARD_KEEP_SECONDS", default=10)
if not 0 <= LIAISON_DASHBOARD_KEEP_SECONDS <= 60:
    raise ImproperlyConfigured("LIAISON_DASHBOARD_KEEP_SECONDS must be from 0 to 60.")
# How often the department assessment's provisional months (this month, last month until
# it is frozen) are counted again for their ranking page (dashboard.assessment); a
# snapshot three refreshes old is not shown: the page counts the month itself.
LIAISON_ASSESSMENT_REFRESH_SECONDS = env.int("LIAISON_ASSESSMENT_REFRESH_SECONDS", default=300)

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


def _every(seconds, task: str) -> dict:
    """A beat entry running `task` every `seconds`; a run still queued when the next one
    is due is dropped (it expires), so a stopped worker does not find a backlog."""
    return {"task": task, "schedule": seconds, "options": {"expires": seconds}}


# The beat schedule, in one place. Times are Asia/Shanghai (CELERY_TIMEZONE).
CELERY_BEAT_SCHEDULE = {
    "enforce-deadlines": {
        "task": "issues.tasks.enforce_deadlines",
        "schedule": LIAISON_SWEEP_SECONDS,
    },
    # Any deadlines worker runs it (Celery's default queue): /readyz's "worker" check.
    "worker-heartbeat": _every(LIAISON_HEARTBEAT_SECONDS, "liaison.tasks.heartbeat"),
    "requeue-pending-notifications": _every(
        LIAISON_OUTBOX_REQUEUE_SECONDS, "notifications.tasks.requeue_pending_notifications"
    ),
    "requeue-pending-webhooks": _every(
        LIAISON_WEBHOOKS_REQUEUE_SECONDS, "api.tasks.requeue_pending_webhooks"
    ),
    "daily-digest": {
        "task": "issues.tasks.send_daily_digest",
        # Every day at 08:30; the task itself does nothing on days that are not working days.
        "schedule": crontab(hour=8, minute=30),
    },
    # The dashboard summary (dashboard.figures): the months that changed, and a nightly
    # rebuild of everything. A refresh still queued when the next is due is dropped.
    "refresh-dashboard": _every(
        LIAISON_DASHBOARD_REFRESH_SECONDS, "dashboard.tasks.refresh_dashboard"
    ),
    "refresh-dashboard-full": {
        "task": "dashboard.tasks.refresh_dashboard_full",
        "schedule": crontab(hour=2, minute=30),
    },
    # The department assessment (dashboard.assessment): each day, a month whose first
    # working day after it has come is frozen (once; later runs find it frozen).
    "freeze-assessments": {
        "task": "dashboard.tasks.freeze_assessments",
        "schedule": crontab(hour=1, minute=10),
    },
    # The monthly bulletin (dashboard.bulletin): every morning; the task generates last
    # month's on the first working day of the month (the calendar decides), once, after
    # the assessment froze the month (01:10) so that its ranking is the frozen one.
    "generate-monthly-bulletin": {
        "task": "dashboard.tasks.generate_monthly_bulletin",
        "schedule": crontab(hour=7, minute=0),
    },
    # The months not frozen yet, counted ahead for their ranking page ("provisional,
    # counted at HH:MM"). A refresh still queued when the next is due is dropped.
    "refresh-provisional-assessments": _every(
        LIAISON_ASSESSMENT_REFRESH_SECONDS, "dashboard.tasks.refresh_provisional_assessments"
    ),
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
