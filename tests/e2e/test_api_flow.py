"""Issue 14's "done when": a client registered on the office's page submits a problem for
an enterprise, follows it to its conclusion through the API, and receives signed webhooks.

The office works in the browser (registers the 12345 hotline's client and a department's,
subscribes the hotline to events, dispatches the problem); the other systems talk to the
live server over HTTP with their keys; a receiver on 127.0.0.1 checks every signature.
Deliveries go through Celery run eagerly (tests/faults runs real workers).
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

import pytest
from django.utils import translation

from api.models import ApiClient
from issues.models import Category, Problem, Satisfaction, Status
from liaison import workdays
from liaison.models import Role
from liaison.services import calendar_load_from_package
from tests.api.receiver import Receiver
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.e2e.test_problem_flow import action_form
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(district, settings, celery_eager):
    settings.LIAISON_WEBHOOKS_ALLOW_HTTP = True
    calendar_load_from_package()
    workdays.invalidate()
    district.category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    return district


@pytest.fixture
def receiver():
    receiver = Receiver()
    receiver.start()
    yield receiver
    receiver.stop()


def zh(label) -> str:
    with translation.override("zh-hans"):
        return str(label)


class Api:
    """Another system calling the live server with its key."""

    def __init__(self, base_url: str, key: str) -> None:
        self.base_url = base_url
        self.key = key

    def call(self, method: str, path: str, body: dict | None = None) -> tuple[int, dict]:
        request = urllib.request.Request(
            self.base_url + path,
            method=method,
            data=json.dumps(body).encode() if body is not None else None,
            headers={
                "Authorization": f"Bearer {self.key}",
                "Content-Type": "application/json",
                "Accept-Language": "zh-hans",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=30) as response:
                return response.status, json.loads(response.read() or b"{}")
        except urllib.error.HTTPError as error:
            return error.code, json.loads(error.read() or b"{}")


def register_client(page, *, name: str, binding: str, scopes: list[str], department=None) -> str:
    """The office registers a client on its page; the key, read off the page shown once."""
    page.goto("/integrations/clients/")
    page.locator("#client-create").click()
    page.fill("#id_name", name)
    page.fill("#id_contact", "王工 13800000009")
    page.check(f"input[name=binding][value={binding}]")
    if department is not None:
        page.select_option("#id_department", str(department.pk))
    for scope in scopes:
        page.check(f"input[name=scopes][value='{scope}']")
    page.locator("main form button[type=submit]").click()
    key = page.input_value("#api-key")
    assert re.fullmatch(r"lia_[0-9a-f]{12}_[A-Za-z0-9_-]{43}", key)
    return key


def test_a_client_from_the_office_page_follows_a_problem_to_its_end_with_signed_webhooks(
    open_page, live_server, world, receiver, screenshot
):
    # 1. The office registers the hotline's client and subscribes it to the events.
    office = open_page("desktop", "zh-hans")
    log_in(office, USERNAMES[Role.OFFICE], PASSWORD)
    hotline_key = register_client(
        office,
        name="12345 热线",
        binding="district",
        scopes=["problems:read", "problems:write", "webhooks"],
    )
    screenshot(office, "api-client-key-zh-hans-desktop")
    office.locator("main a.btn-primary").click()  # "I have copied it": the client's page
    office.locator("#subscription-create").click()
    office.fill("input[name=url]", receiver.url("/hooks"))
    for event in office.locator("input[name=event_types]").all():
        event.check()
    office.locator("main form button[type=submit]").click()
    receiver.secrets["/hooks"] = office.locator("#webhook-secret").inner_text().strip()
    assert len(receiver.secrets["/hooks"]) >= 32

    # ... and the department's own case system.
    department_key = register_client(
        office,
        name="生态环境分局办案系统",
        binding="department",
        department=world.department,
        scopes=["problems:read", "problems:handle"],
    )
    hotline = Api(live_server.url, hotline_key)
    department = Api(live_server.url, department_key)

    # 2. The hotline submits an appeal for the enterprise, and again (a retry): one problem.
    appeal = {
        "enterprise_credit_code": world.enterprise.credit_code,
        "category": world.category.pk,
        "channel": "hotline",
        "external_reference": "12345-20261206-0007",
        "title": "漆渣无处处置",
        "description": "喷涂线每月约 2 吨漆渣，原处置单位停止接收。",
    }
    status, created = hotline.call("POST", "/api/v1/problems/", appeal)
    assert status == 201, created
    reference = created["reference"]
    status, again = hotline.call("POST", "/api/v1/problems/", appeal)
    assert (status, again["reference"]) == (200, reference)
    assert Problem.objects.count() == 1

    # 3. The office dispatches it in the browser.
    office.goto(f"/problems/{reference}/")
    action_form(office, "dispatch").locator("button[type=submit]").click()
    expect(office.locator("#problem-status")).to_have_text(zh(Status.DISPATCHED.label))

    # 4. The department's system acknowledges, reports progress and answers.
    status, problem = department.call("GET", f"/api/v1/problems/{reference}/")
    assert status == 200 and "acknowledge" in problem["actions"]
    status, problem = department.call(
        "POST", f"/api/v1/problems/{reference}/acknowledge/", {"version": problem["version"]}
    )
    assert status == 200, problem
    status, problem = department.call(
        "POST",
        f"/api/v1/problems/{reference}/progress/",
        {"version": problem["version"], "text": "已联系两家有资质的处置单位上门评估。"},
    )
    assert status == 200, problem
    stale_version = problem["version"] - 1
    status, refused = department.call(
        "POST",
        f"/api/v1/problems/{reference}/resolve/",
        {"version": stale_version, "answer": "x"},
    )
    assert (status, refused["code"], refused["version"]) == (409, "stale", problem["version"])
    status, problem = department.call(
        "POST",
        f"/api/v1/problems/{reference}/resolve/",
        {"version": problem["version"], "answer": "已协调嘉兴某环保公司按月上门收运漆渣。"},
    )
    assert status == 200, problem
    assert problem["status"] == Status.RESOLVED

    # 5. The enterprise, on its phone, is satisfied: the problem is concluded.
    enterprise = open_page("phone", "zh-hans")
    log_in(enterprise, USERNAMES[Role.ENTERPRISE], PASSWORD)
    enterprise.goto(f"/problems/{reference}/")
    evaluate = enterprise.locator('main form[action$="/evaluate/"]')
    evaluate.locator(f'input[name=satisfaction][value="{Satisfaction.SATISFIED}"]').check()
    evaluate.locator("button[type=submit]").click()
    expect(enterprise.locator("#problem-status")).to_have_text(zh(Status.CLOSED.label))
    assert_fits_the_screen(enterprise)

    # 6. The hotline follows it to the end: concluded, satisfied, the whole public story.
    status, problem = hotline.call("GET", f"/api/v1/problems/{reference}/")
    assert (status, problem["status"]) == (200, Status.CLOSED)
    status, timeline = hotline.call("GET", f"/api/v1/problems/{reference}/timeline/")
    assert status == 200
    entries = timeline["results"] if isinstance(timeline, dict) else timeline
    kinds = [entry["kind"] for entry in entries]
    assert kinds[:1] == ["submitted"] and "resolved" in kinds and "evaluated" in kinds

    # 7. ... and was told at every step, each delivery signed and none twice.
    assert receiver.bad_signatures == 0
    assert receiver.duplicates == []
    assert receiver.events() == [
        ("problem.acknowledged", reference),
        ("problem.closed", reference),
        ("problem.dispatched", reference),
        ("problem.resolved", reference),
    ]

    # The office sees the client's last use and every delivery in the log.
    client = ApiClient.objects.get(name="12345 热线")
    assert client.last_used_at is not None
    office.goto("/integrations/deliveries/")
    expect(office.locator("main table tbody tr")).to_have_count(4)
    open_menu(office, "desktop")
    screenshot(office, "api-deliveries-zh-hans-desktop")
