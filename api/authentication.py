"""API keys: `Authorization: Bearer lia_<prefix>_<secret>`."""

from __future__ import annotations

import datetime as dt
import hmac

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import authentication, exceptions

from .models import ApiClient, hash_key, prefix_of

# `last_used_at` is written at most this often per client (not on every request).
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class ApiKeyAuthentication(authentication.BaseAuthentication):
    """The client's service account is request.user; the client is request.auth."""

    keyword = "Bearer"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(
                _("Send the key as: Authorization: Bearer <key>.")
            )
        try:
            key = header[1].decode("ascii")
        except UnicodeDecodeError:
            raise exceptions.AuthenticationFailed(_("This API key is not valid.")) from None
        prefix = prefix_of(key) if len(key) <= 200 else None
        client = None
        if prefix is not None:
            client = (
                ApiClient.objects.select_related(
                    "user", "user__profile", "department", "enterprise"
                )
                .filter(prefix=prefix)
                .first()
            )
        if client is None or not hmac.compare_digest(client.key_hash, hash_key(key)):
            raise exceptions.AuthenticationFailed(_("This API key is not valid."))
        if client.revoked_at is not None or not client.user.is_active:
            raise exceptions.AuthenticationFailed(_("This API key has been revoked."))
        now = timezone.now()
        if client.last_used_at is None or now - client.last_used_at > LAST_USED_RESOLUTION:
            ApiClient.objects.filter(pk=client.pk).update(last_used_at=now)
            client.last_used_at = now
        return client.user, client

    def authenticate_header(self, request):
        return self.keyword


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "api.authentication.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema):
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API client's key, lia_<prefix>_<secret>, from the office.",
        }
