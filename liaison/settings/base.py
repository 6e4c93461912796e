"""Settings, part 1 of 5: the core. Paths, the environment, the secret key and hosts,
apps, middleware, templates, the database, passwords, sessions, two-factor sign-in,
languages, static and uploaded files, request bodies, working days."""

import os
import secrets
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
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

# Django's widget templates, with <select> written in Python (the filter forms' hundreds of
# options were most of a list page's time): liaison.forms_rendering.
FORM_RENDERER = "liaison.forms_rendering.FormRenderer"

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

# A PostgreSQL read replica (README, "Scaling out: a read replica"): the reads that may lag
# by seconds (figures, statistics, exports, the API's lists; liaison.replicas) go there;
# a user who just wrote reads from the primary for LIAISON_REPLICA_PIN_SECONDS. Without
# DATABASE_REPLICA_URL: one database, no router, no pin, nothing changes.
DATABASE_REPLICA_URL = env.str("DATABASE_REPLICA_URL", default="")
LIAISON_REPLICA_PIN_SECONDS = env.int("LIAISON_REPLICA_PIN_SECONDS", default=10)
if LIAISON_REPLICA_PIN_SECONDS < 1:
    raise ImproperlyConfigured("LIAISON_REPLICA_PIN_SECONDS must be a whole number of at least 1.")
if DATABASE_REPLICA_URL:
    DATABASES["replica"] = env.db("DATABASE_REPLICA_URL")
    if "postgresql" not in DATABASES["default"]["ENGINE"] or (
        DATABASES["replica"]["ENGINE"] != DATABASES["default"]["ENGINE"]
    ):
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL is a read replica of the PostgreSQL database of "
            "DATABASE_URL: set both to postgres:// URLs, or leave DATABASE_REPLICA_URL unset."
        )
    # The primary's connection settings (persistent, health-checked, the connect timeout:
    # a replica out of reach costs a page at most that long, then liaison.replicas leaves
    # it alone for a while). Tests never create a database on it: it mirrors the test one.
    DATABASES["replica"].setdefault("CONN_MAX_AGE", DATABASES["default"]["CONN_MAX_AGE"])
    DATABASES["replica"].setdefault("CONN_HEALTH_CHECKS", True)
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault(
        "connect_timeout", DATABASES["default"]["OPTIONS"]["connect_timeout"]
    )
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    DATABASE_ROUTERS = ["liaison.replicas.ReplicaRouter"]
    # After authentication: it pins the user who wrote (API clients' too; see the module).
    MIDDLEWARE.insert(
        MIDDLEWARE.index("django.contrib.auth.middleware.AuthenticationMiddleware") + 1,
        "liaison.replicas.ReplicaPinMiddleware",
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


# Working days: how many a problem has, and when it is warned.
LIAISON_DEADLINE_WORKING_DAYS = env.int("LIAISON_DEADLINE_WORKING_DAYS", default=10)
