"""Settings, part 3 of 5: who gets in, and how. Client addresses behind proxies, login
protection and its challenge, the published lists, the REST API."""

import datetime as dt

from .base import STATIC_URL, env

# How many reverse proxies in front of the app add to X-Forwarded-For (0: none, use
# REMOTE_ADDR). Login protection counts failures per client address
# (liaison.login_protection.client_address, which hands this to django-ipware).
LIAISON_TRUSTED_PROXIES = env.int("LIAISON_TRUSTED_PROXIES", default=0)

# Login protection (django-axes; README, "Login protection"). Failed password checks are
# recorded in the database per user name and address together: after
# LIAISON_LOGIN_FAILURE_LIMIT of them that pair is refused for LIAISON_LOGIN_LOCKOUT_MINUTES
# after the last. From an address with LIAISON_LOGIN_CHALLENGE_AFTER failures in that
# time (any names), a sign-in answers a challenge before its password is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",  # first: refuses a locked pair before checking
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("LIAISON_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = dt.timedelta(minutes=env.int("LIAISON_LOGIN_LOCKOUT_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
LIAISON_LOGIN_CHALLENGE_AFTER = env.int("LIAISON_LOGIN_CHALLENGE_AFTER", default=10)
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_CLIENT_IP_CALLABLE = "liaison.login_protection.client_address"
AXES_LOCKOUT_CALLABLE = "liaison.login_protection.lockout_response"
# A successful sign-in clears that user's failures from that address.
AXES_RESET_ON_SUCCESS = True
# Attempts while locked are refused without being recorded: the time the user is told
# to come back stays true however often they try.
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False
# Each failure is also kept (AccessFailureLog) for the admin to read after the lock ends;
# successful sign-ins are not logged (a row for every sign-in, kept for ever).
AXES_ENABLE_ACCESS_FAILURE_LOG = True
AXES_DISABLE_ACCESS_LOG = True
# What axes copies of the form into its records: never a password or the form's token.
AXES_SENSITIVE_PARAMETERS = [
    "username",
    "ip_address",
    "old_password",
    "new_password1",
    "new_password2",
    "csrfmiddlewaretoken",
]
# The challenge's picture (django-simple-captcha): 4 characters, large enough to read on a
# phone, valid for 10 minutes.
CAPTCHA_TIMEOUT = 10
CAPTCHA_LENGTH = 4
CAPTCHA_FONT_SIZE = 36

# The published contact and guidance lists open without logging in (heads' mobile
# numbers then show masked to anonymous visitors).
LIAISON_PUBLIC_LISTS = env.bool("LIAISON_PUBLIC_LISTS", default=False)

# The REST API (api/, issue 14): an API client's key or the browser's session; answers
# in JSON; a client's budget per minute is its own (api.throttling), a browser user's
# is LIAISON_API_USER_RATE.
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "api.authentication.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["api.permissions.HasScope"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ClientRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api-user": env.str("LIAISON_API_USER_RATE", default="120/min"),
    },
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "EXCEPTION_HANDLER": "api.exceptions.exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "DATETIME_FORMAT": "iso-8601",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Liaison API",
    "DESCRIPTION": (
        "Liaison's REST API v1: problems, their handling, enterprises, departments, "
        "meetings, figures and the working-day calendar. Authenticate with an API "
        "client's key from the liaison office (Authorization: Bearer lia_...)."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    # Swagger UI from our own static files (static/vendor/, from the npm registry).
    "SWAGGER_UI_DIST": f"/{STATIC_URL.strip('/')}/vendor/swagger-ui-dist-5.36.0",
    "SWAGGER_UI_FAVICON_HREF": (
        f"/{STATIC_URL.strip('/')}/vendor/swagger-ui-dist-5.36.0/favicon-32x32.png"
    ),
    # No badge from validator.swagger.io: the page loads nothing from elsewhere (and the
    # Content-Security-Policy would refuse the image).
    "SWAGGER_UI_SETTINGS": {"deepLinking": True, "validatorUrl": None},
    "COMPONENT_SPLIT_REQUEST": True,
    # One name for each set of choices the API shows.
    "ENUM_NAME_OVERRIDES": {
        "ProblemStatusEnum": "issues.models.Status",
        "MeetingStatusEnum": "meetings.models.Meeting.Status",
        "SatisfactionEnum": "issues.models.Satisfaction",
        # One name for the four appeal types (诉求类型) wherever a field offers them.
        "AppealTypeEnum": "issues.models.AppealType",
        "EvaluationEnum": [
            ("satisfied", "satisfied"),
            ("basically", "basically"),
            ("unsatisfied", "unsatisfied"),
        ],
    },
}
