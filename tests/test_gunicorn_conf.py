"""gunicorn.conf.py, read as gunicorn reads it (no server started)."""

import runpy
from pathlib import Path

import pytest
from gunicorn.config import Config

BASE_DIR = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def conf() -> dict:
    namespace = runpy.run_path(str(BASE_DIR / "gunicorn.conf.py"))
    return {name: value for name, value in namespace.items() if not name.startswith("_")}


def test_every_setting_is_one_gunicorn_knows(conf):
    # A misspelt name (max_request) would be silently ignored.
    known = Config().settings
    names = [name for name, value in conf.items() if not callable(value) and name != "os"]

    assert [name for name in names if name not in known] == []
    config = Config()
    for name in names:
        config.set(name, conf[name])


def test_workers_are_not_all_recycled_at_once(conf):
    # With max_requests 1000 and a jitter of 100, the workers (sharing the requests
    # evenly) reached their limits within seconds of each other and restarted
    # together: nothing answered meanwhile. The app has no known leak, so workers
    # are not recycled on a request count at all.
    assert conf.get("max_requests", 0) == 0
    assert conf.get("max_requests_jitter", 0) == 0


def test_a_restarted_worker_is_quick_and_a_stopping_one_finishes_its_requests(conf):
    # The app is loaded once in the master: a worker that replaces one that died
    # or timed out is forked ready, without importing Django again.
    assert conf["preload_app"] is True
    assert conf["graceful_timeout"] >= 30
    assert conf["timeout"] == 60


def test_requests_are_logged_by_the_app_not_by_gunicorn(conf):
    # liaison.requests logs each request with its id and the query's values masked;
    # gunicorn's access log would write the full query string (a searched phone number).
    assert conf["accesslog"] is None
