"""Settings read from the environment, and Celery really taking them.

Settings are read once per process, so every case that depends on the
environment runs in a fresh interpreter with a clean environment of its own.
"""

import json
import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from celery.app.defaults import DEFAULTS as CELERY_DEFAULTS
from django.conf import settings

from liaison.celery import app

BASE_DIR = Path(settings.BASE_DIR)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "liaison.example.gov.cn",
}

# Prints what the settings made of the environment, as Django and Celery see it.
REPORT = """
import json
import django
django.setup()
from django.conf import settings
from liaison.celery import app
db = settings.DATABASES["default"]
cache = settings.CACHES["default"]
print(json.dumps({
    "engine": db["ENGINE"],
    "name": str(db["NAME"]),
    "host": db.get("HOST"),
    "port": db.get("PORT"),
    "conn_max_age": db.get("CONN_MAX_AGE"),
    "sqlite_init": db.get("OPTIONS", {}).get("init_command"),
    "cache": cache["BACKEND"],
    "cache_location": cache.get("LOCATION"),
    "broker_url": app.conf.broker_url,
    "broker_options": app.conf.broker_transport_options,
    "broker_transport": app.conf.broker_transport,
    "result_backend": app.conf.result_backend,
    "trusted_proxies": settings.LIAISON_TRUSTED_PROXIES,
    "login_failure_limit": settings.AXES_FAILURE_LIMIT,
    "login_lockout_seconds": settings.AXES_COOLOFF_TIME.total_seconds(),
    "login_challenge_after": settings.LIAISON_LOGIN_CHALLENGE_AFTER,
    "login_lockout_parameters": settings.AXES_LOCKOUT_PARAMETERS,
    "db_options": db.get("OPTIONS", {}),
    "log_format": settings.LIAISON_LOG_FORMAT,
    "log_formatter": settings.LOGGING["formatters"]["default"]["()"],
    "sentry": settings.SENTRY_DSN,
}))
"""


def _python(*args: str, **environment: str) -> subprocess.CompletedProcess:
    """Run the project's Python with only PATH and the given variables set."""
    env = {"PATH": os.environ["PATH"], **environment}
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def _report(**environment: str) -> dict:
    process = _python("-c", REPORT, DJANGO_SETTINGS_MODULE="liaison.settings", **environment)
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_production_settings_pass_the_deployment_checks(tmp_path):
    process = _python(
        "manage.py",
        "check",
        "--deploy",
        "--fail-level=WARNING",
        LIAISON_VAR_DIR=str(tmp_path),
        **PRODUCTION,
    )

    assert process.returncode == 0, process.stdout + process.stderr
    assert "System check identified no issues (0 silenced)." in process.stdout
    assert "WARNING" not in process.stderr


@pytest.mark.parametrize("secret_key", [None, ""], ids=["unset", "empty"])
def test_production_refuses_to_start_without_a_secret_key(tmp_path, secret_key):
    environment = {**PRODUCTION, "LIAISON_VAR_DIR": str(tmp_path)}
    del environment["SECRET_KEY"]
    if secret_key is not None:
        environment["SECRET_KEY"] = secret_key

    process = _python("manage.py", "check", **environment)

    assert process.returncode != 0
    assert "ImproperlyConfigured: SECRET_KEY is not set" in process.stderr


def test_development_runs_without_a_secret_key(tmp_path):
    process = _python("manage.py", "check", LIAISON_VAR_DIR=str(tmp_path))

    assert process.returncode == 0, process.stderr


def test_no_proxy_is_trusted_unless_configured(tmp_path):
    # X-Forwarded-For is then ignored: a client cannot pick the address login
    # protection counts. docker-compose.yml sets 1 for its nginx.
    assert _report(LIAISON_VAR_DIR=str(tmp_path))["trusted_proxies"] == 0
    production = _report(LIAISON_VAR_DIR=str(tmp_path), **PRODUCTION)
    assert production["trusted_proxies"] == 0


def test_login_protection_has_sane_defaults_and_takes_the_environment(tmp_path):
    defaults = _report(LIAISON_VAR_DIR=str(tmp_path))
    assert defaults["login_failure_limit"] == 5
    assert defaults["login_lockout_seconds"] == 15 * 60
    assert defaults["login_challenge_after"] == 10
    # Per user name and address together, never per address alone.
    assert defaults["login_lockout_parameters"] == [["username", "ip_address"]]

    configured = _report(
        LIAISON_VAR_DIR=str(tmp_path),
        LIAISON_LOGIN_FAILURE_LIMIT="8",
        LIAISON_LOGIN_LOCKOUT_MINUTES="30",
        LIAISON_LOGIN_CHALLENGE_AFTER="20",
    )
    assert configured["login_failure_limit"] == 8
    assert configured["login_lockout_seconds"] == 30 * 60
    assert configured["login_challenge_after"] == 20


# What `make run` serves (LIAISON_LOCAL_RUN=1), asked through Django's test client.
LOCAL_RUN_REPORT = """
import json
import django
django.setup()
from django.conf import settings
from django.core.management import call_command
from django.test import Client

# As `make run` does before it serves: the login page reads the failed sign-ins recorded
# from the client's address (liaison.login_protection).
call_command("migrate", verbosity=0)
client = Client(HTTP_HOST="127.0.0.1", HTTP_ACCEPT_LANGUAGE="en")

def get(path):
    response = client.get(path)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return {"status": response.status_code, "body": body.decode(errors="replace")}

print(json.dumps({
    "debug": settings.DEBUG,
    "secret_key": settings.SECRET_KEY,
    "allowed_hosts": settings.ALLOWED_HOSTS,
    "ssl_redirect": getattr(settings, "SECURE_SSL_REDIRECT", False),
    "secure_cookies": [settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE],
    "email_backend": settings.EMAIL_BACKEND,
    "login": get("/accounts/login/"),
    "css": get("/static/css/liaison.css"),
    "missing": get("/no-such-page/"),
}))
"""


def _local_run(var_dir: Path, **environment: str) -> dict:
    process = _python(
        "-c",
        LOCAL_RUN_REPORT,
        DJANGO_SETTINGS_MODULE="liaison.settings",
        LIAISON_LOCAL_RUN="1",
        LIAISON_VAR_DIR=str(var_dir),
        **environment,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_the_local_run_shows_users_the_real_pages_on_localhost(tmp_path):
    report = _local_run(tmp_path)

    assert report["debug"] is False
    assert report["allowed_hosts"] == ["127.0.0.1", "localhost", "[::1]"]
    # Plain HTTP on localhost: no redirect to HTTPS, cookies sent over HTTP.
    assert report["ssl_redirect"] is False
    assert report["secure_cookies"] == [False, False]
    assert report["email_backend"] == "django.core.mail.backends.console.EmailBackend"
    # The login page and its stylesheet, which WhiteNoise serves without collectstatic.
    assert report["login"]["status"] == 200
    assert "/static/css/liaison.css" in report["login"]["body"]
    assert report["css"]["status"] == 200
    assert ".liaison-navbar" in report["css"]["body"]
    # A wrong address gets the site's 404 page, not the list of every URL pattern.
    assert report["missing"]["status"] == 404
    assert "Page not found" in report["missing"]["body"]
    assert "URLconf" not in report["missing"]["body"]


def test_the_local_run_makes_its_secret_key_once_for_its_owner_only(tmp_path):
    first = _local_run(tmp_path)
    second = _local_run(tmp_path)

    key_file = tmp_path / "secret-key"
    assert key_file.stat().st_mode & 0o777 == 0o600
    assert first["secret_key"] == second["secret_key"] == key_file.read_text().strip()
    assert len(first["secret_key"]) >= 50
    assert first["secret_key"] != _local_run(tmp_path / "elsewhere")["secret_key"]
    assert [path.name for path in tmp_path.iterdir() if path.name.startswith(".secret")] == []


def test_debug_1_gives_the_local_run_django_s_debug_pages(tmp_path):
    report = _local_run(tmp_path, DEBUG="1")

    assert report["debug"] is True
    assert report["missing"]["status"] == 404
    assert "URLconf" in report["missing"]["body"]


def test_make_setup_and_make_run_are_the_local_run_and_make_test_is_not():
    makefile = (BASE_DIR / "Makefile").read_text()

    assert "\nsetup run: export LIAISON_LOCAL_RUN = 1\n" in makefile
    assert "LIAISON_LOCAL_RUN" not in makefile.split("\ntest:")[1].split("\n\n")[0]


def test_database_url_selects_postgresql(tmp_path):
    report = _report(
        DATABASE_URL="postgres://liaison:secret@db.example:5433/liaison",
        LIAISON_VAR_DIR=str(tmp_path),
    )

    assert report["engine"] == "django.db.backends.postgresql"
    assert (report["name"], report["host"], report["port"]) == ("liaison", "db.example", 5433)
    assert report["conn_max_age"] == 60
    # A database host that does not answer fails the connection in seconds (/readyz, pages).
    assert report["db_options"]["connect_timeout"] == 3


def test_the_database_connect_timeout_is_configurable(tmp_path):
    report = _report(
        DATABASE_URL="postgres://liaison:secret@db.example:5433/liaison",
        LIAISON_DB_CONNECT_TIMEOUT="10",
        LIAISON_VAR_DIR=str(tmp_path),
    )
    too_short = _report(
        DATABASE_URL="postgres://liaison:secret@db.example:5433/liaison",
        LIAISON_DB_CONNECT_TIMEOUT="0",  # libpq: wait for ever
        LIAISON_VAR_DIR=str(tmp_path),
    )

    assert report["db_options"]["connect_timeout"] == 10
    assert too_short["db_options"]["connect_timeout"] == 2


def test_logs_are_json_in_production_and_text_in_development(tmp_path):
    production = _report(**PRODUCTION, LIAISON_VAR_DIR=str(tmp_path))
    development = _report(LIAISON_VAR_DIR=str(tmp_path))
    chosen = _report(LIAISON_LOG_FORMAT="json", LIAISON_VAR_DIR=str(tmp_path))

    assert (production["log_format"], production["log_formatter"]) == (
        "json",
        "liaison.logs.JsonFormatter",
    )
    assert (development["log_format"], development["log_formatter"]) == (
        "text",
        "liaison.logs.TextFormatter",
    )
    assert chosen["log_format"] == "json"
    # Without SENTRY_DSN nothing is sent anywhere.
    assert production["sentry"] == ""


def test_an_unknown_log_format_is_refused(tmp_path):
    process = _python("manage.py", "check", LIAISON_LOG_FORMAT="xml", LIAISON_VAR_DIR=str(tmp_path))

    assert process.returncode != 0
    assert "LIAISON_LOG_FORMAT must be json or text" in process.stderr


def test_the_default_database_is_sqlite_under_var():
    report = _report()

    assert report["engine"] == "django.db.backends.sqlite3"
    assert report["name"] == str(BASE_DIR / "var" / "liaison.sqlite3")
    assert "journal_mode=WAL" in report["sqlite_init"]


def test_liaison_var_dir_moves_the_embedded_state(tmp_path):
    report = _report(LIAISON_VAR_DIR=str(tmp_path))

    assert report["name"] == str(tmp_path / "liaison.sqlite3")
    assert report["broker_options"]["data_folder_in"] == str(tmp_path / "celery-broker" / "out")
    assert report["result_backend"] == f"file://{tmp_path / 'celery-results'}"


def test_redis_url_selects_redis_for_broker_results_and_cache(tmp_path):
    url = "redis://redis.example:6380/2"

    report = _report(REDIS_URL=url, LIAISON_VAR_DIR=str(tmp_path))

    assert report["broker_url"] == url
    assert report["result_backend"] == url
    assert report["broker_options"] == {"visibility_timeout": 3600, "socket_connect_timeout": 5}
    assert report["broker_transport"] == "liaison.broker:Transport"
    assert report["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert report["cache_location"] == url


def test_the_default_broker_is_the_file_system(tmp_path):
    report = _report(LIAISON_VAR_DIR=str(tmp_path))

    assert report["broker_url"] == "filesystem://"
    assert report["broker_transport"] is None  # the URL's own (filesystem)
    assert report["cache"] == "django.core.cache.backends.locmem.LocMemCache"
    # Configuring the Celery app created the folders the embedded default needs.
    for folder in ("celery-broker/out", "celery-broker/control", "celery-results"):
        assert (tmp_path / folder).is_dir(), folder


def test_time_is_kept_in_utc_and_shown_in_shanghai():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
    assert str(app.conf.timezone) == "Asia/Shanghai"
    assert app.conf.enable_utc is True


def test_chinese_first_then_english():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.USE_I18N is True
    assert BASE_DIR / "locale" in [Path(path) for path in settings.LOCALE_PATHS]


def test_the_locale_middleware_sits_between_sessions_and_common():
    # It reads the language from the session and must pick it before
    # CommonMiddleware redirects (APPEND_SLASH) to a URL in that language.
    middleware = settings.MIDDLEWARE
    session = middleware.index("django.contrib.sessions.middleware.SessionMiddleware")
    locale = middleware.index("django.middleware.locale.LocaleMiddleware")
    common = middleware.index("django.middleware.common.CommonMiddleware")

    assert session < locale < common


def test_every_celery_setting_is_a_name_celery_knows_and_takes():
    # A misspelt CELERY_ name is silently ignored by Celery; catch it here.
    names = [name for name in dir(settings) if name.startswith("CELERY_")]
    keys = {name: name.removeprefix("CELERY_").lower() for name in names}

    assert [name for name, key in keys.items() if key not in CELERY_DEFAULTS] == []
    for name, key in keys.items():
        assert app.conf[key] == getattr(settings, name), name


def test_celery_uses_the_configured_broker_and_time_limits():
    assert app.conf.broker_url == settings.CELERY_BROKER_URL
    assert app.conf.result_backend == settings.CELERY_RESULT_BACKEND
    assert app.conf.task_soft_time_limit == 120
    assert app.conf.task_time_limit == 180
    assert app.conf.beat_schedule_filename == str(Path(settings.VAR_DIR) / "celerybeat-schedule")
