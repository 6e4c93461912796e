"""The Redis broker transport, mended so that a worker rides out a Redis restart.

Celery 5.7.0's consumer, on losing the broker, first `collect()`s the connection
(which drops its transport) and then `close()`s it. With Redis gone, the first
close of the channel stops at its dead BRPOP socket, so the second one goes on to
restore the unacknowledged messages (acks_late tasks, countdowns) through a new
connection pool, built from the transport's connection info, which `collect()` has
set to None: AttributeError ... 'hostname', which is not a connection error, and
the worker exits ("Unrecoverable error"). Here that case raises a connection error
instead, which kombu's close path ignores: the messages stay in Redis's unacked
set, and kombu puts them back on their queue after the visibility timeout.
"""

from __future__ import annotations

from kombu.transport import redis as kombu_redis
from redis.exceptions import ConnectionError as RedisConnectionError


class Channel(kombu_redis.Channel):
    def _connparams(self, asynchronous: bool = False) -> dict:
        if self.connection.client is None:
            raise RedisConnectionError("the connection to the broker was closed")
        return super()._connparams(asynchronous=asynchronous)


class Transport(kombu_redis.Transport):
    Channel = Channel
