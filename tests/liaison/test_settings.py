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
    "result_backend": app.conf.result_backend,
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


def test_database_url_selects_postgresql(tmp_path):
    report = _report(
        DATABASE_URL="postgres://liaison:secret@db.example:5433/liaison",
        LIAISON_VAR_DIR=str(tmp_path),
    )

    assert report["engine"] == "django.db.backends.postgresql"
    assert (report["name"], report["host"], report["port"]) == ("liaison", "db.example", 5433)
    assert report["conn_max_age"] == 60


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
    assert report["broker_options"] == {"visibility_timeout": 3600}
    assert report["cache"] == "django.core.cache.backends.redis.RedisCache"
    assert report["cache_location"] == url


def test_the_default_broker_is_the_file_system(tmp_path):
    report = _report(LIAISON_VAR_DIR=str(tmp_path))

    assert report["broker_url"] == "filesystem://"
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
