"""Settings, part 4 of 5: the browser's side of security. Cookies, framing, the
Content-Security-Policy, HTTPS in production."""

from csp.constants import NONE, SELF

from .base import DEBUG, LIAISON_LOCAL_RUN, env

# Security: strict in production (passes `manage.py check --deploy`); the local run
# serves plain HTTP on localhost, so no HTTPS redirect and no secure-only cookies.
SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy (django-csp 4): the same in every mode, so that the browser tests
# run under the production policy. Only our own files run: no inline script, event
# handler attribute or eval anywhere (static/js/ holds every script; htmx's eval and its
# injected indicator style are off, in base.html's htmx-config), and no inline style
# either (classes in static/css/; a width computed on the server is set by liaison.js
# through the CSSOM, which CSP does not restrict). Swagger UI's start-up script is a
# response of its own (api/urls.py). The browser reports a violation to /csp-report
# (liaison.views.csp_report), which logs it.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "object-src": [NONE],
        "base-uri": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "report-uri": "/csp-report",
    },
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if not DEBUG and not LIAISON_LOCAL_RUN:
    SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=True)
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = True
    SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^readyz$"]
