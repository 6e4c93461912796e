"""django-auditlog's middleware, with the site's idea of the client's address and a lazy
actor: a change entry names the signed-in user, and a request that changes nothing pays
no query for it."""

from __future__ import annotations

from auditlog.middleware import AuditlogMiddleware

from liaison.login_protection import client_address


class AuditActorMiddleware(AuditlogMiddleware):
    def get_extra_data(self, request):
        def remote_addr():
            return client_address(request)  # None if there is none

        return {
            # auditlog calls a callable when it writes an entry, and compares the actor
            # with isinstance, which is when the lazy request.user is first loaded.
            "remote_addr": remote_addr,
            "remote_port": None,
            "actor": getattr(request, "user", None),
        }
