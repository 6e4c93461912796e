"""Every page, as each role sees it with the production settings, carries the security
headers: Content-Security-Policy, HSTS, nosniff, frame and referrer policies; and none
holds code or style the policy would refuse (the browser tests see the rest).

The production values are what liaison/settings/ makes of a production environment,
read in a fresh interpreter (tests/liaison/test_settings.py runs `check --deploy` there).
"""

from __future__ import annotations

import json
import re
from html.parser import HTMLParser

import pytest
from django.test import Client
from django.test.utils import override_settings

from dashboard.management.commands import seed_demo
from issues.models import Problem, Status
from keytasks.models import KeyTask
from liaison import demo_data
from liaison.models import Profile
from meetings.models import Meeting
from tests.conftest import rolled_back_at_the_end

from .test_settings import PRODUCTION, _python

HOST = PRODUCTION["ALLOWED_HOSTS"]
SECURITY_SETTINGS = [
    "SECURE_SSL_REDIRECT",
    "SECURE_PROXY_SSL_HEADER",
    "SECURE_HSTS_SECONDS",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS",
    "SECURE_HSTS_PRELOAD",
    "SECURE_CONTENT_TYPE_NOSNIFF",
    "SECURE_REFERRER_POLICY",
    "SECURE_CROSS_ORIGIN_OPENER_POLICY",
    "SESSION_COOKIE_SECURE",
    "CSRF_COOKIE_SECURE",
    "X_FRAME_OPTIONS",
    "CONTENT_SECURITY_POLICY",
    "ALLOWED_HOSTS",
]
REPORT = f"""
import json
import django
django.setup()
from django.conf import settings
print(json.dumps({{name: getattr(settings, name, None) for name in {SECURITY_SETTINGS!r}}}))
"""


@pytest.fixture(scope="module")
def production(tmp_path_factory):
    """The production values of the security settings, in force for the module's tests."""
    var_dir = tmp_path_factory.mktemp("production")
    process = _python(
        "-c",
        REPORT,
        DJANGO_SETTINGS_MODULE="liaison.settings",
        LIAISON_VAR_DIR=str(var_dir),
        **PRODUCTION,
    )
    assert process.returncode == 0, process.stderr
    values = json.loads(process.stdout.strip().splitlines()[-1])
    values["SECURE_PROXY_SSL_HEADER"] = tuple(values["SECURE_PROXY_SSL_HEADER"])
    with override_settings(**values):
        yield values


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo district, seeded once for the class and rolled back after it."""
    with rolled_back_at_the_end(django_db_blocker):
        with django_db_blocker.unblock(), override_settings(DEBUG=True):
            seed_demo.seed_demo_district()
        yield


def pages_by_user() -> dict[str | None, list[str]]:
    """username (None: signed out) -> the pages to ask for: home, lists, a problem, the
    dashboard, the admin, the API documentation, login and a missing page."""
    enterprise = Profile.objects.get(user__username=demo_data.enterprise_username(1)).enterprise
    department = Profile.objects.get(user__username="jxsw_staff").department
    ours = Problem.objects.filter(enterprise=enterprise).order_by("-created_at").first()
    in_hand = Problem.objects.filter(lead_department=department).order_by("-created_at").first()
    submitted = Problem.objects.filter(status=Status.SUBMITTED).first()
    meeting = Meeting.objects.order_by("-starts_at").first()
    task = KeyTask.objects.order_by("pk").first()
    return {
        None: ["/accounts/login/", "/api/docs/", "/api/docs/?script=", "/no-such-page/"],
        demo_data.enterprise_username(1): [
            "/",
            "/problems/",
            f"/problems/{ours.reference}/",
            "/problems/new/",
            "/meetings/lists/contacts/",
            "/accounts/password/",
            "/problems/XX-0000-0000/",
        ],
        "jxsw_staff": ["/", "/problems/department/", f"/problems/{in_hand.reference}/", "/tasks/"],
        "office1": [
            "/",
            "/problems/triage/",
            "/problems/",
            f"/problems/{submitted.reference}/",
            f"/problems/{in_hand.reference}/dispatch-sheet/",
            f"/meetings/{meeting.pk}/",
            f"/meetings/{meeting.pk}/handling-list/",
            "/meetings/statistics/",
            "/dashboard/",
            "/admin/",
            "/admin/liaison/enterprise/",
            "/admin/auth/user/add/",
            "/admin/imports/",
            "/api/docs/",
        ],
        "leader3": [
            "/",
            "/dashboard/",
            "/problems/escalations/",
            "/tasks/",
            f"/tasks/{task.pk}/",
            "/tasks/print/",
            "/meetings/lists/guidance/",
        ],
    }


class InlineCode(HTMLParser):
    """What a page holds that the policy refuses: inline scripts (a JSON data block is not
    run), on* handler attributes, javascript: links, style attributes and <style> blocks."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag, attrs):
        attributes = dict(attrs)
        if tag == "script" and "src" not in attributes:
            if attributes.get("type") != "application/json":
                self.found.append("inline <script>")
        if tag == "style":
            self.found.append("<style> block")
        for name, value in attrs:
            if name.startswith("on"):
                self.found.append(f"{tag} {name}={value!r}")
            if name == "style":
                self.found.append(f"{tag} style={value!r}")
            if name in ("href", "action", "src") and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f"{tag} {name}={value!r}")


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


def assert_security_headers(response, where: str) -> None:
    policy = response.get("Content-Security-Policy", "")
    directives = dict(
        (part.split(" ", 1) + [""])[:2] for part in (p.strip() for p in policy.split(";")) if part
    )
    assert directives.get("default-src") == "'self'", where
    assert directives.get("script-src") == "'self'", where
    assert directives.get("style-src") == "'self'", where
    assert directives.get("object-src") == "'none'", where
    assert directives.get("frame-ancestors") == "'none'", where
    assert directives.get("form-action") == "'self'", where
    assert directives.get("base-uri") == "'self'", where
    assert directives.get("report-uri") == "/csp-report", where
    assert "unsafe" not in policy, where
    assert response.get("Strict-Transport-Security") == (
        "max-age=31536000; includeSubDomains; preload"
    ), where
    assert response.get("X-Content-Type-Options") == "nosniff", where
    assert response.get("X-Frame-Options") == "DENY", where
    assert response.get("Referrer-Policy") == "same-origin", where


@pytest.mark.django_db
@pytest.mark.usefixtures("demo")
class TestEveryPageInProduction:
    def test_it_carries_the_security_headers_for_every_role(self, production):
        checked = 0
        for username, paths in pages_by_user().items():
            client = Client(headers={"host": HOST, "accept-language": "en"})
            if username:
                client.force_login(Profile.objects.get(user__username=username).user)
            for path in paths:
                response = client.get(path, secure=True)
                where = f"{username or 'signed out'} {path}"
                missing = path.startswith(("/no-such", "/problems/XX-"))
                assert response.status_code == (404 if missing else 200), where
                assert_security_headers(response, where)
                if response["Content-Type"].startswith("text/html"):
                    assert inline_code(response.content.decode()) == [], where
                checked += 1
        assert checked == 36

    def test_plain_http_is_sent_to_https(self, production):
        response = Client(headers={"host": HOST}).get("/accounts/login/")

        assert response.status_code == 301
        assert response["Location"] == f"https://{HOST}/accounts/login/"

    def test_the_api_documentation_starts_from_a_script_of_its_own(self, production):
        client = Client(headers={"host": HOST})

        page = client.get("/api/docs/", secure=True).content.decode()
        script = client.get("/api/docs/?script=", secure=True)

        assert re.search(r'<script src="/api/docs/\?script="></script>', page)
        assert script["Content-Type"].startswith("application/javascript")
        assert "SwaggerUIBundle(" in script.content.decode()
        # Nothing from elsewhere, not even Swagger's validator badge (an image the policy
        # would refuse on any host but localhost).
        assert '"validatorUrl": null' in script.content.decode()
