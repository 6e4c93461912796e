"""A request budget per API client (and per browser user), counted in the cache (Redis)."""

from __future__ import annotations

import logging

from django.conf import settings
from rest_framework.throttling import SimpleRateThrottle

from .permissions import client_of

logger = logging.getLogger(__name__)


class ClientRateThrottle(SimpleRateThrottle):
    """Each client's own `rate_per_minute`; a browser user the API_USER_RATE setting.

    Redis down: the request goes through (logged); a throttle must never make a 500.
    """

    scope = "api"

    def get_rate(self):
        return settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["api-user"]

    def allow_request(self, request, view):
        client = client_of(request)
        if client is not None:
            self.rate = f"{client.rate_per_minute}/min"
            self.num_requests, self.duration = self.parse_rate(self.rate)
        try:
            return super().allow_request(request, view)
        except Exception as error:  # the cache is down
            logger.warning("API throttle skipped: the cache failed (%r)", error)
            return True

    def get_cache_key(self, request, view):
        client = client_of(request)
        if client is not None:
            ident = f"client-{client.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
