"""The real services CI promises: PostgreSQL as the test database, Redis as cache and broker.

Locally, without DATABASE_URL / REDIS_URL, these skip; under REQUIRE_SERVICES=1 they fail.
"""

import os

import pytest
import redis
from django.conf import settings
from django.core.cache import cache
from django.db import connection

from tests.conftest import redis_url_for_worker, require_service, xdist_worker_index

pytestmark = pytest.mark.services


def redis_ping_error(url: str) -> str | None:
    """Why Redis at `url` does not answer PING, or None when it does."""
    if not url.startswith(("redis://", "rediss://", "unix://")):
        return f"{url!r} is not a Redis URL"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except redis.RedisError as error:
        return f"Redis at {url} does not answer PING: {error}"
    return None


@pytest.mark.django_db
def test_the_database_is_postgresql():
    require_service(
        connection.vendor == "postgresql",
        f"the test database is {connection.vendor}, not PostgreSQL (set DATABASE_URL)",
    )

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('server_version_num')::int")
        (version,) = cursor.fetchone()

    assert version >= 150000


def test_redis_answers_and_backs_the_cache_and_the_broker():
    url = settings.REDIS_URL
    require_service(bool(url), "REDIS_URL is not set, so cache and broker are not Redis")
    error = redis_ping_error(url)
    require_service(error is None, str(error))

    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.redis.RedisCache"
    assert settings.CELERY_BROKER_URL == url
    cache.set("test-services-round-trip", "ok", timeout=10)
    assert cache.get("test-services-round-trip") == "ok"
    cache.delete("test-services-round-trip")


def test_each_pytest_xdist_worker_has_a_redis_database_of_its_own():
    """Under `make test` (two workers) the tests of one worker empty only its database."""
    given = os.environ.get("TESTS_REDIS_URL_GIVEN")
    if not given:  # one process, or no Redis: REDIS_URL as given
        assert not os.environ.get("PYTEST_XDIST_WORKER") or not settings.REDIS_URL
        return
    index, _ = xdist_worker_index()

    assert settings.REDIS_URL == redis_url_for_worker(given, index)
    assert settings.CACHES["default"]["LOCATION"] == settings.REDIS_URL
    assert settings.CELERY_BROKER_URL == settings.REDIS_URL
