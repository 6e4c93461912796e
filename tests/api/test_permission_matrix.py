"""The API's permission matrix mirrors the web one: every role (browser session) and client
binding, with and without the endpoint's scope, against its own and others' objects.

A problem the caller may not see is a 404 (never a 403 that says it exists); one it sees
but may not act on is a 403; a missing scope is a 403; the wrong state is a 409.
"""

from __future__ import annotations

import pytest

from api.models import Binding, Scope
from liaison.models import Role

from .conftest import ALL_SCOPES, as_client, as_user

pytestmark = pytest.mark.django_db

SESSIONS = {
    "office": Role.OFFICE,
    "leader": Role.LEADER,
    "principal": Role.PRINCIPAL,
    "dept_head": Role.DEPARTMENT_HEAD,
    "dept_staff": Role.DEPARTMENT_STAFF,
    "enterprise": Role.ENTERPRISE,
    "norole": None,
}
CLIENTS = {
    "district_client": Binding.DISTRICT,
    "dept_client": Binding.DEPARTMENT,
    "enterprise_client": Binding.ENTERPRISE,
}
# What each persona is, for the expectations: who sees everything, who is a department
# (of district.department), who is the enterprise (district.enterprise).
SEES_ALL = {"office", "leader", "principal", "district_client"}
DEPARTMENT = {"dept_head", "dept_staff", "dept_client"}
ENTERPRISE = {"enterprise", "enterprise_client"}
PERSONAS = [*SESSIONS, *CLIENTS]


@pytest.fixture
def world(district, make_problem, other_enterprise):
    """Three dispatched problems: ours (our department, our enterprise), another
    department's (for our enterprise), another enterprise's (for our department)."""
    return {
        "ours": make_problem("dispatched"),
        "other_department": make_problem("dispatched", department=district.other_department),
        "other_enterprise": make_problem("dispatched", enterprise=other_enterprise),
    }


@pytest.fixture
def caller(district, register):
    """caller(persona, scopes=ALL) -> an HTTP client acting as that persona."""

    def _caller(persona: str, scopes=None):
        if persona in SESSIONS:
            return as_user(district.user(SESSIONS[persona]))
        _, key = register(CLIENTS[persona], ALL_SCOPES if scopes is None else scopes, name=persona)
        return as_client(key)

    return _caller


def sees(persona: str, which: str) -> bool:
    if persona in SEES_ALL:
        return True
    if persona in DEPARTMENT:
        return which in ("ours", "other_enterprise")
    if persona in ENTERPRISE:
        return which in ("ours", "other_department")
    return False


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["ours", "other_department", "other_enterprise"])
@pytest.mark.parametrize("endpoint", ["", "timeline/"])
def test_reading_a_problem(world, caller, persona, which, endpoint):
    problem = world[which]
    response = caller(persona).get(f"/api/v1/problems/{problem.reference}/{endpoint}")
    assert response.status_code == (200 if sees(persona, which) else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_the_list_holds_what_the_persona_sees(world, caller, persona):
    response = caller(persona).get("/api/v1/problems/")
    assert response.status_code == 200
    listed = {p["reference"] for p in response.json()["results"]}
    assert listed == {p.reference for which, p in world.items() if sees(persona, which)}


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("which", ["ours", "other_department", "other_enterprise"])
def test_acknowledging(world, caller, persona, which):
    """Only the lead department acknowledges; others that see the problem are refused."""
    problem = world[which]
    response = caller(persona).post(
        f"/api/v1/problems/{problem.reference}/acknowledge/",
        {"version": problem.version},
        format="json",
    )
    if not sees(persona, which):
        expected = 404
    elif persona in DEPARTMENT and which in ("ours", "other_enterprise"):
        expected = 200
    else:
        expected = 403
    assert response.status_code == expected, response.content


@pytest.mark.parametrize(
    ("action", "payload"),
    [
        ("progress", {"text": "进展"}),
        ("resolve", {"answer": "答复"}),
        ("extension", {"days": 3, "reason": "需协调"}),
        ("evaluate", {"satisfaction": "satisfied"}),
    ],
)
def test_transitions_in_the_wrong_state_are_conflicts(world, caller, action, payload):
    """A dispatched problem cannot yet be progressed, answered, extended or evaluated."""
    problem = world["ours"]
    persona = "enterprise_client" if action == "evaluate" else "dept_client"
    response = caller(persona).post(
        f"/api/v1/problems/{problem.reference}/{action}/",
        {"version": problem.version, **payload},
        format="json",
    )
    assert response.status_code == 409, response.content


# Each endpoint, the scope it needs, and a request a scoped caller of the right binding makes.
SCOPED = [
    ("GET", "/api/v1/problems/", Scope.PROBLEMS_READ),
    ("GET", "/api/v1/problems/{ref}/", Scope.PROBLEMS_READ),
    ("GET", "/api/v1/problems/{ref}/timeline/", Scope.PROBLEMS_READ),
    ("POST", "/api/v1/problems/", Scope.PROBLEMS_WRITE),
    ("POST", "/api/v1/problems/{ref}/acknowledge/", Scope.PROBLEMS_HANDLE),
    ("POST", "/api/v1/problems/{ref}/progress/", Scope.PROBLEMS_HANDLE),
    ("POST", "/api/v1/problems/{ref}/resolve/", Scope.PROBLEMS_HANDLE),
    ("POST", "/api/v1/problems/{ref}/extension/", Scope.PROBLEMS_HANDLE),
    ("POST", "/api/v1/problems/{ref}/evaluate/", Scope.PROBLEMS_WRITE),
    ("GET", "/api/v1/enterprises/", Scope.ENTERPRISES_READ),
    ("GET", "/api/v1/enterprises/{code}/", Scope.ENTERPRISES_READ),
    ("PUT", "/api/v1/enterprises/{code}/", Scope.ENTERPRISES_WRITE),
    ("GET", "/api/v1/meetings/", Scope.MEETINGS_READ),
    ("GET", "/api/v1/meetings/1/", Scope.MEETINGS_READ),
    ("GET", "/api/v1/figures/", Scope.FIGURES_READ),
]


@pytest.mark.parametrize("persona", list(CLIENTS))
@pytest.mark.parametrize(("method", "path", "scope"), SCOPED)
def test_a_client_without_the_scope_is_refused(
    world, caller, district, persona, method, path, scope
):
    others = [s for s in ALL_SCOPES if s != scope]
    url = path.format(ref=world["ours"].reference, code=district.enterprise.credit_code)
    response = caller(persona, others).generic(method, url, "{}", "application/json")
    assert response.status_code == 403, response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_figures_for_the_dashboards_readers_only(world, caller, persona):
    response = caller(persona).get("/api/v1/figures/")
    readers = SEES_ALL | {"dept_head"}
    assert response.status_code == (200 if persona in readers else 403), response.content


@pytest.mark.parametrize("persona", PERSONAS)
def test_enterprises_as_the_web_shows_them(world, caller, persona, district, other_enterprise):
    http = caller(persona)
    own = http.get(f"/api/v1/enterprises/{district.enterprise.credit_code}/")
    other = http.get(f"/api/v1/enterprises/{other_enterprise.credit_code}/")
    sees_every = persona in SEES_ALL | DEPARTMENT
    assert own.status_code == (200 if sees_every or persona in ENTERPRISE else 404)
    assert other.status_code == (200 if sees_every else 404)


@pytest.mark.parametrize("persona", PERSONAS)
def test_only_the_office_writes_enterprises(world, caller, persona, district):
    response = caller(persona).put(
        f"/api/v1/enterprises/{district.enterprise.credit_code}/",
        {"address": "新地址 1 号"},
        format="json",
    )
    assert response.status_code == (200 if persona in ("office", "district_client") else 403)


def test_without_credentials_only_the_published_lists_answer(world, http, settings):
    settings.LIAISON_PUBLIC_LISTS = False
    for path in ("/api/v1/problems/", "/api/v1/departments/", "/api/v1/calendar/deadline/"):
        assert http.get(path).status_code == 401, path
    settings.LIAISON_PUBLIC_LISTS = True
    assert http.get("/api/v1/departments/").status_code == 200
    assert http.get("/api/v1/problems/").status_code == 401


def test_a_wrong_or_revoked_key_is_refused(world, district, register):
    client, key = register(Binding.DISTRICT, name="x")
    assert as_client(key + "x").get("/api/v1/problems/").status_code == 401
    from api import services

    services.client_revoke(actor=district.user(Role.OFFICE), client_id=client.pk)
    assert as_client(key).get("/api/v1/problems/").status_code == 401
