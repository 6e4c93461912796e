"""Shared fixtures. With REQUIRE_SERVICES=1 (CI) a missing service fails instead of skipping."""

import os
from contextlib import contextmanager

import pytest

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"

# The production hasher (PBKDF2, a million rounds) costs a good part of a second per
# password set or checked. Every test hashes with MD5 instead: logins still go through
# the real form, backends and login protection, only the digest is cheap. The production hashers
# stay behind it, so a hash one of them made still verifies.
FAST_PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def pytest_configure(config):
    from django.conf import settings
    from django.test.utils import override_settings

    hashers = FAST_PASSWORD_HASHERS + [
        h for h in settings.PASSWORD_HASHERS if h not in FAST_PASSWORD_HASHERS
    ]
    # Enabled for the whole session (it sends setting_changed: the hasher cache is reset).
    override_settings(PASSWORD_HASHERS=hashers).enable()
    add_replica_mirror(settings.DATABASES)


def add_replica_mirror(databases: dict) -> None:
    """A second alias, "replica", that reads the test database (Django's TEST MIRROR), as
    DATABASE_REPLICA_URL would add one: no real replica needed.

    Nothing is routed to it unless a test turns the router on (the `replica_on` fixture
    of tests/liaison/test_replicas.py); a test that does not list it in its databases may
    not touch it (pytest-django refuses), so a stray read there fails loudly.
    """
    import copy

    if "replica" not in databases:
        replica = copy.deepcopy(databases["default"])
        replica["TEST"] = {"MIRROR": "default"}
        databases["replica"] = replica


@pytest.hookimpl(optionalhook=True)
def pytest_xdist_setupnodes(config, specs):
    """Under pytest-xdist (`make test` runs two workers), each worker its own Redis database.

    The tests empty the cache (FLUSHDB) and send tasks through the broker; two workers on
    one database would wipe each other's cache and could take each other's tasks.
    Worker N gets REDIS_URL's database number plus N (so /4 gives /4 and /5), set in its
    environment before it starts: its settings, and the Celery workers it starts, use it.
    """
    base = os.environ.get("REDIS_URL")
    if not base:
        return
    for index, spec in enumerate(specs):
        spec.env["REDIS_URL"] = redis_url_for_worker(base, index)
        spec.env["TESTS_REDIS_URL_GIVEN"] = base  # for the test that checks this


def redis_url_for_worker(url: str, index: int) -> str:
    """`url` with its database number (0 when it names none) plus `index`."""
    from urllib.parse import urlsplit, urlunsplit

    parts = urlsplit(url)
    path = parts.path.strip("/")
    database = int(path) if path.isdigit() else 0
    return urlunsplit(parts._replace(path=f"/{database + index}"))


def xdist_worker_index() -> tuple[int, int]:
    """(this worker's index, the number of workers); (0, 1) without pytest-xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0")
    count = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    return int(worker.removeprefix("gw")), count


def ports_of_this_worker(ports: range) -> range:
    """This worker's share of `ports`, so that two workers never probe the same port."""
    index, count = xdist_worker_index()
    share = len(ports) // count
    return ports[index * share : (index + 1) * share]


def require_service(available: bool, reason: str) -> None:
    """Skip locally when a service is absent; fail in CI, where every service must be there."""
    if available:
        return
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but {reason}")
    pytest.skip(reason)


@contextmanager
def rolled_back_at_the_end(django_db_blocker):
    """For a module- or class-scoped fixture whose data its tests share, built once.

    What the fixture writes inside goes into a transaction of its own, rolled back when
    the scope ends. Each test runs in a savepoint inside it (pytest-django's `db`), so
    what a test changes is undone before the next one. Not for transactional tests.

        with rolled_back_at_the_end(django_db_blocker):
            with django_db_blocker.unblock():
                data = build()
            yield data
    """
    from django.db import transaction

    with django_db_blocker.unblock():
        outer = transaction.atomic()
        outer.__enter__()
    try:
        yield
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)


DATABASE_FIXTURES = {"db", "transactional_db", "live_server", "django_db_reset_sequences"}


@pytest.fixture(autouse=True)
def no_failed_logins_carried_over(request):
    """Each test starts with no failed sign-ins, lock-outs or challenges recorded.

    Every request of the test client and of the browser tests comes from 127.0.0.1, and
    django-axes keeps failures and lock-outs in the database (the challenge's pictures
    too): a test's own are undone with it (rolled back, or emptied after a transactional
    test), but rows written by a shared, module-scoped fixture, or left by a test that
    failed half-way through a transactional run, would count against the next test's
    correct password. A test without the database has none to find.
    """
    if request.node.get_closest_marker("django_db") or DATABASE_FIXTURES & set(
        request.fixturenames
    ):
        # What pytest-django's own django_db marker asks for: the test's database, set
        # up as the test will use it (a transaction, or a transactional one).
        request.getfixturevalue("_django_db_helper")
        _forget_failed_logins()
    yield


@pytest.fixture(autouse=True)
def no_request_budget_carried_over():
    """Each test starts with the API's request budgets unspent when the cache is the
    embedded one (no REDIS_URL: LocMemCache, one per test process).

    The throttle counts per client, user or address id (api/throttling.py). On SQLite a
    rolled-back test gives its ids back, so the next test's client would inherit the
    spent budget and get 429. On Redis (CI) ids are never reused (PostgreSQL sequences)
    and the cache is shared with the broker, so nothing is cleared there.
    """
    from django.core.cache import caches
    from django.core.cache.backends.locmem import LocMemCache

    if isinstance(caches["default"], LocMemCache):
        caches["default"].clear()
    yield


def _forget_failed_logins() -> None:
    from axes.models import AccessAttempt, AccessFailureLog
    from captcha.models import CaptchaStore

    AccessAttempt.objects.all().delete()
    AccessFailureLog.objects.all().delete()
    CaptchaStore.objects.all().delete()


@pytest.fixture(autouse=True)
def sign_ins_pass_two_factor(request, monkeypatch):
    """Every test client's sign-in of an official (`client.force_login(user)` and
    `client.login(...)`) is a session that passed two-factor sign-in.

    Officials must give a code from an authenticator app after their password
    (liaison.twofactor); the thousands of tests that sign in with force_login test
    something else. For an official (tests/twofactor.py is_official) the wrapped sign-in
    gives the user a real confirmed TOTP device, if they have none, and records it in the
    session as django_otp.login does, so the session is verified as after the real second
    step (and its pages load that device: one query, counted in the query-count tests).
    Enterprise users, who may choose two-factor sign-in, stay signed in with the password.

    Sign-ins through the login page are never touched: they go through the real steps.
    A test of two-factor sign-in itself opts out with `@pytest.mark.real_two_factor`.
    """
    if request.node.get_closest_marker("real_two_factor"):
        yield
        return
    from django.test.client import ClientMixin

    from tests.twofactor import is_official, mark_session_verified

    password_only = ClientMixin._login

    def _login(self, user, backend=None):
        password_only(self, user, backend)
        if is_official(user):
            mark_session_verified(self, user)

    monkeypatch.setattr(ClientMixin, "_login", _login)
    yield


@pytest.fixture(autouse=True)
def no_content_types_carried_over():
    """Each test reads the content types it needs from its own database.

    Django keeps their ids in a process-wide cache. A transactional test ends by emptying
    every table, and a test after it that creates its content types again rolls them
    back: a cached id may then name a row that is not there. The audit trail's change
    entries (django-auditlog) refer to one on every tracked save.
    """
    yield
    from django.contrib.contenttypes.models import ContentType

    ContentType.objects.clear_cache()


@pytest.fixture(autouse=True)
def choice_lists_fresh(settings):
    """Each test reads the filter forms' choice lists (liaison.choices) from its own
    database, and with the lists kept between requests whatever the cache (LocMemCache
    without REDIS_URL is shared by the one process a test runs in), so that the query
    counts are the same on SQLite and on PostgreSQL with Redis."""
    from liaison import choices

    settings.LIAISON_CHOICES_CACHE = True
    choices.clear()
    yield
    choices.clear()


@pytest.fixture(autouse=True)
def dashboard_counted_each_time(settings):
    """The dashboard page counts its figures for every request (dashboard.kept), so that
    a test sees at once what it changed; the tests of the kept figures turn it back on."""
    from dashboard import kept

    settings.LIAISON_DASHBOARD_KEEP_SECONDS = 0
    kept.clear()
    yield
    kept.clear()


@pytest.fixture
def celery_eager():
    """Queued tasks run at once, in this process (as a worker would run them)."""
    from liaison.celery import app

    previous = app.conf.task_always_eager
    app.conf.task_always_eager = True
    yield app
    app.conf.task_always_eager = previous


def run_together(*calls, timeout: float = 60) -> list:
    """Run each call in its own thread (its own database connection), released at once.

    A barrier starts them together, as two requests arriving in the same instant; the
    results come back in order, and an exception in a thread is raised here.
    """
    import threading

    from django.db import connections

    barrier = threading.Barrier(len(calls))
    results: list = [None] * len(calls)
    errors: list = []

    def run(i: int, call) -> None:
        try:
            barrier.wait(timeout=timeout)
            results[i] = call()
        except BaseException as error:
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run, args=(i, c), daemon=True) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout)
    assert not any(thread.is_alive() for thread in threads), "a call did not finish"
    if errors:
        raise errors[0]
    return results


def pytest_collection_modifyitems(config, items):
    """Every transactional test (real commits, a live server) restores the migrations' data.

    Such a test empties every table when it ends; a later one would find no calendar, or
    role groups made again under new keys that the saved copy then collides with. With
    serialized_rollback each one starts from the database as the migrations left it.
    """
    for item in items:
        marker = item.get_closest_marker("django_db")
        kwargs = dict(marker.kwargs) if marker else {}
        transactional = kwargs.get("transaction") or {"transactional_db", "live_server"} & set(
            getattr(item, "fixturenames", ())
        )
        if transactional and not kwargs.get("serialized_rollback"):
            kwargs.update(transaction=True, serialized_rollback=True)
            item.add_marker(
                pytest.mark.django_db(*(marker.args if marker else ()), **kwargs), append=False
            )
