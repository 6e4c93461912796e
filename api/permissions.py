"""Who may call what: scopes for clients; browser users by their role, as on the web pages."""

from __future__ import annotations

from rest_framework import permissions

from .models import ApiClient


def client_of(request) -> ApiClient | None:
    return request.auth if isinstance(request.auth, ApiClient) else None


class HasScope(permissions.BasePermission):
    """A view's `required_scopes` (a dict of HTTP method → scope, or one scope for all).

    A client needs the scope; a signed-in browser user passes (their role decides, through
    the same selectors and workflow checks as the web pages).
    """

    def has_permission(self, request, view) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        client = client_of(request)
        if client is None:
            return True
        return all(client.has_scope(scope) for scope in required_scopes(request, view))


def required_scopes(request, view) -> list[str]:
    scopes = getattr(view, "required_scopes", None)
    if scopes is None:
        return []
    if isinstance(scopes, str):
        return [scopes]
    if isinstance(scopes, dict):
        action = getattr(view, "action", None)
        scope = scopes.get(action) or scopes.get(request.method) or scopes.get("*")
        return [scope] if scope else []
    return list(scopes)
