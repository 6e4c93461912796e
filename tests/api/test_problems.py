"""/api/v1/problems/: submit on behalf (idempotent), read, list, timeline, transitions."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from api.models import Binding, IdempotencyKey, Scope
from issues import workflow
from issues.models import Problem, Status
from liaison.models import Role

from .conftest import as_client, as_user

pytestmark = pytest.mark.django_db

URL = "/api/v1/problems/"


def body(district, category, **overrides):
    data = {
        "enterprise": district.enterprise.pk,
        "title": "漆渣无处处置",
        "description": "企业喷涂线每月产生约 2 吨漆渣，现有处置单位停止接收。",
        "category": category.pk,
        "channel": "hotline",
        "external_reference": "12345-20260301-0007",
    }
    data.update(overrides)
    return data


# --- submit on behalf --------------------------------------------------------------------


def test_it_creates_a_problem_for_an_enterprise_from_the_hotline(district, category, register):
    client, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    response = as_client(key).post(URL, body(district, category), format="json")
    assert response.status_code == 201, response.content
    data = response.json()
    problem = Problem.objects.get(reference=data["reference"])
    assert response["Location"] == f"/api/v1/problems/{problem.reference}/"
    assert problem.enterprise == district.enterprise
    assert problem.channel == "hotline"
    assert problem.external_reference == "12345-20260301-0007"
    assert problem.submitted_by == client.user
    assert problem.status == Status.SUBMITTED
    assert data["version"] == problem.version
    assert data["enterprise"]["credit_code"] == district.enterprise.credit_code


def test_it_names_the_enterprise_by_credit_code(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="portal")
    data = body(district, category, channel="portal")
    del data["enterprise"]
    data["enterprise_credit_code"] = district.enterprise.credit_code.lower()
    response = as_client(key).post(URL, data, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["enterprise"]["id"] == district.enterprise.pk


def test_the_same_external_reference_again_gives_the_first_problem(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    http = as_client(key)
    first = http.post(URL, body(district, category), format="json")
    again = http.post(URL, body(district, category), format="json")
    assert (first.status_code, again.status_code) == (201, 200)
    assert again.json()["reference"] == first.json()["reference"]
    assert Problem.objects.count() == 1


def test_the_same_external_reference_with_other_content_is_a_conflict(
    district, category, other_enterprise, register
):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    http = as_client(key)
    first = http.post(URL, body(district, category), format="json")
    for changed in ({"enterprise": other_enterprise.pk}, {"title": "另一个问题"}):
        response = http.post(URL, body(district, category, **changed), format="json")
        assert response.status_code == 409, changed
        assert response.json()["code"] == "external_reference_conflict"
        assert response.json()["reference"] == first.json()["reference"]
    assert Problem.objects.count() == 1


def test_another_client_may_use_the_same_external_reference(district, category, register):
    _, hotline = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    _, portal = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="portal")
    assert as_client(hotline).post(URL, body(district, category), format="json").status_code == 201
    assert as_client(portal).post(URL, body(district, category), format="json").status_code == 201
    assert Problem.objects.count() == 2


def test_an_idempotency_key_replays_the_answer_and_refuses_another_body(
    district, category, register
):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    http = as_client(key)
    data = body(district, category, external_reference="")
    first = http.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    again = http.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    other = http.post(URL, {**data, "title": "别的"}, format="json", HTTP_IDEMPOTENCY_KEY="req-1")
    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 409)
    assert again.json()["reference"] == first.json()["reference"]
    assert other.json()["code"] == "idempotency_key_reused"
    assert Problem.objects.count() == 1
    assert IdempotencyKey.objects.count() == 1
    # A new key is a new problem (no external reference to tell them apart).
    assert http.post(URL, data, format="json", HTTP_IDEMPOTENCY_KEY="req-2").status_code == 201


@pytest.mark.parametrize("bad_key", ["", "x" * 101, "键"])
def test_a_malformed_idempotency_key_is_a_field_error(district, category, register, bad_key):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    headers = {"HTTP_IDEMPOTENCY_KEY": bad_key.encode().decode("latin-1")}
    response = as_client(key).post(URL, body(district, category), format="json", **headers)
    assert response.status_code == 400
    assert "Idempotency-Key" in response.json()
    assert not Problem.objects.exists()


def test_an_enterprise_client_submits_for_itself_only(
    district, category, other_enterprise, register
):
    _, key = register(Binding.ENTERPRISE, [Scope.PROBLEMS_WRITE], name="erp")
    http = as_client(key)
    own = {k: v for k, v in body(district, category).items() if k not in ("enterprise", "channel")}
    response = http.post(URL, own, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["channel"] == "web"
    # Another enterprise is unknown to it: the same answer as one that does not exist.
    other = http.post(URL, {**own, "enterprise": other_enterprise.pk}, format="json")
    missing = http.post(URL, {**own, "enterprise": 10**9}, format="json")
    assert other.status_code == missing.status_code == 400
    assert other.json() == missing.json()
    # The hotline channel is the office's (the workflow says so).
    assert http.post(URL, {**own, "channel": "hotline"}, format="json").status_code == 403


def test_a_department_client_may_not_submit(district, category, register):
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_WRITE], name="dept")
    response = as_client(key).post(URL, body(district, category), format="json")
    assert response.status_code == 403
    assert not Problem.objects.exists()


def test_field_errors_come_in_the_callers_language(district, category, register):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE], name="12345")
    http = as_client(key)
    data = body(district, category, title="")
    zh = http.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="zh-Hans").json()
    en = http.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="en").json()
    assert en["title"] == ["This field may not be blank."]
    assert zh["title"] == ["该字段不能为空。"]
    data = body(district, category, enterprise=10**9)
    assert http.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="en").json() == {
        "enterprise": ["There is no such enterprise."]
    }
    assert http.post(URL, data, format="json", HTTP_ACCEPT_LANGUAGE="zh-Hans").json() == {
        "enterprise": ["没有这家企业。"]
    }


# --- read, list, timeline ------------------------------------------------------------------


def test_it_reads_a_problem_by_reference_with_the_callers_actions(district, make_problem, register):
    problem = make_problem("dispatched")
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_READ], name="dept")
    response = as_client(key).get(f"{URL}{problem.reference}/")
    assert response.status_code == 200
    data = response.json()
    assert data["reference"] == problem.reference
    assert data["status"] == "dispatched"
    assert data["lead_department"]["id"] == district.department.pk
    assert "acknowledge" in data["actions"]


def test_the_list_uses_the_web_lists_filters_and_pages_by_cursor(district, make_problem, register):
    made = [make_problem("submitted", title=f"问题{i}") for i in range(5)]
    dispatched = make_problem("dispatched", title="已交办")
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_READ], name="bi")
    http = as_client(key)
    page = http.get(URL, {"page_size": 2}).json()
    assert [p["reference"] for p in page["results"]] == [dispatched.reference, made[4].reference]
    seen = [p["reference"] for p in page["results"]]
    while page["next"]:
        page = http.get(page["next"]).json()
        seen += [p["reference"] for p in page["results"]]
    assert len(seen) == len(set(seen)) == 6
    filtered = http.get(URL, {"status": "dispatched"}).json()["results"]
    assert [p["reference"] for p in filtered] == [dispatched.reference]
    found = http.get(URL, {"q": "问题3"}).json()["results"]
    assert [p["reference"] for p in found] == [made[3].reference]
    bad = http.get(URL, {"status": "nonsense", "due_within": "99"}, HTTP_ACCEPT_LANGUAGE="en")
    assert bad.status_code == 400
    assert set(bad.json()) == {"status", "due_within"}


def test_an_enterprise_filters_by_text_status_and_category_only(
    district, make_problem, other_enterprise, register
):
    own = make_problem("dispatched")
    make_problem("dispatched", enterprise=other_enterprise)
    _, key = register(Binding.ENTERPRISE, [Scope.PROBLEMS_READ], name="erp")
    http = as_client(key)
    listed = http.get(URL, {"lead_department": district.other_department.pk}).json()["results"]
    # The department filter is ignored for it (as on the web list); only its own problems.
    assert [p["reference"] for p in listed] == [own.reference]


def test_the_list_costs_the_same_queries_whatever_the_number_of_rows(
    district, make_problem, register
):
    _, key = register(Binding.DISTRICT, [Scope.PROBLEMS_READ], name="bi")
    http = as_client(key)
    make_problem("dispatched")
    http.get(URL)  # the client's last use is written once a minute: not in the count

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert http.get(URL).status_code == 200
        return len(queries)

    few = count()
    for i in range(6):
        make_problem("dispatched" if i % 2 else "submitted", title=f"更多{i}")
    # 1 the client by its key prefix, 2 the page of problems with enterprise, category,
    # lead department and meeting (select_related).
    assert count() == few == 2


def test_the_timeline_is_public_only_for_the_enterprise(district, make_problem, register):
    problem = make_problem("in_progress")
    staff = district.user(Role.DEPARTMENT_STAFF)
    workflow.problem_add_progress(
        problem_id=problem.pk, actor=staff, text="内部：已约谈处置单位", is_public=False
    )
    _, enterprise_key = register(Binding.ENTERPRISE, [Scope.PROBLEMS_READ], name="erp")
    _, office_key = register(Binding.DISTRICT, [Scope.PROBLEMS_READ], name="bi")
    url = f"{URL}{problem.reference}/timeline/"
    public = as_client(enterprise_key).get(url).json()
    full = as_client(office_key).get(url).json()
    assert "progress" not in [e["kind"] for e in public]
    assert all(e["actor"] is None and e["data"] is None for e in public)
    assert [e["text"] for e in full if e["kind"] == "progress"] == ["内部：已约谈处置单位"]
    assert len(full) == len(public) + 1


# --- transitions -----------------------------------------------------------------------------


def test_a_stale_version_is_a_conflict_with_the_current_version(district, make_problem, register):
    problem = make_problem("dispatched")
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_HANDLE], name="dept")
    url = f"{URL}{problem.reference}/acknowledge/"
    response = as_client(key).post(url, {"version": problem.version - 1}, format="json")
    assert response.status_code == 409
    assert response.json()["code"] == "stale"
    assert response.json()["version"] == problem.version
    assert as_client(key).post(url, {"version": problem.version}, format="json").status_code == 200


def test_a_transition_in_the_wrong_state_is_a_conflict(district, make_problem, register):
    problem = make_problem("in_progress")
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_HANDLE], name="dept")
    response = as_client(key).post(
        f"{URL}{problem.reference}/acknowledge/", {"version": problem.version}, format="json"
    )
    assert response.status_code == 409
    assert response.json()["code"] == "wrong_state"


def test_transition_texts_are_bounded_as_the_web_forms_bound_them(district, make_problem, register):
    problem = make_problem("in_progress")
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_HANDLE], name="dept")
    http = as_client(key)
    url = f"{URL}{problem.reference}/"
    long = http.post(
        url + "resolve/", {"version": problem.version, "answer": "答" * 5001}, format="json"
    )
    assert long.status_code == 400 and "answer" in long.json()
    days = http.post(
        url + "extension/",
        {"version": problem.version, "days": 11, "reason": "需要协调"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert days.json() == {"days": ["Ensure this value is less than or equal to 10."]}
    nul = http.post(
        url + "progress/", {"version": problem.version, "text": "a\x00b"}, format="json"
    )
    assert nul.status_code == 400 and "text" in nul.json()
    assert Problem.objects.get(pk=problem.pk).version == problem.version


def test_the_whole_flow_through_the_api(district, category, register):
    """The hotline submits, the office dispatches (web), the department's system
    acknowledges, reports and answers, the enterprise's system evaluates: closed."""
    _, hotline = register(Binding.DISTRICT, [Scope.PROBLEMS_WRITE, Scope.PROBLEMS_READ], name="h")
    _, dept = register(Binding.DEPARTMENT, [Scope.PROBLEMS_HANDLE, Scope.PROBLEMS_READ], name="d")
    _, erp = register(Binding.ENTERPRISE, [Scope.PROBLEMS_WRITE, Scope.PROBLEMS_READ], name="e")
    created = as_client(hotline).post(URL, body(district, category), format="json").json()
    reference = created["reference"]
    url = f"{URL}{reference}/"

    office = as_user(district.user(Role.OFFICE))
    problem = Problem.objects.get(reference=reference)
    dispatched = office.post(
        f"/problems/{reference}/dispatch/",
        {"lead_department": district.department.pk, "version": problem.version},
    )
    assert dispatched.status_code == 302
    department = as_client(dept)
    version = department.get(url).json()["version"]
    step = department.post(url + "acknowledge/", {"version": version}, format="json")
    assert step.status_code == 200, step.content
    step = department.post(
        url + "progress/",
        {"version": step.json()["version"], "text": "已联系处置单位现场查看"},
        format="json",
    )
    assert step.status_code == 200, step.content
    step = department.post(
        url + "resolve/",
        {"version": step.json()["version"], "answer": "已协调嘉兴某环保公司每月上门收运漆渣。"},
        format="json",
    )
    assert step.status_code == 200 and step.json()["status"] == "resolved"
    enterprise = as_client(erp)
    version = enterprise.get(url).json()["version"]
    step = enterprise.post(
        url + "evaluate/", {"version": version, "satisfaction": "satisfied"}, format="json"
    )
    assert step.status_code == 200, step.content
    assert step.json()["status"] == "closed"
    kinds = [e["kind"] for e in as_client(hotline).get(url + "timeline/").json()]
    assert kinds == ["submitted", "dispatched", "acknowledged", "progress", "resolved", "evaluated"]


def test_unsatisfied_needs_a_reason_as_on_the_web_form(district, make_problem, register):
    problem = make_problem("resolved")
    _, erp = register(Binding.ENTERPRISE, [Scope.PROBLEMS_WRITE], name="e")
    response = as_client(erp).post(
        f"{URL}{problem.reference}/evaluate/",
        {"version": problem.version, "satisfaction": "unsatisfied"},
        format="json",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert response.status_code == 400
    assert response.json() == {"reason": ["Say why you are not satisfied."]}


def test_the_problem_and_its_timeline_cost_a_fixed_number_of_queries(
    district, make_problem, register, django_assert_num_queries
):
    problem = make_problem("in_progress")
    staff = district.user(Role.DEPARTMENT_STAFF)
    for n in range(5):
        workflow.problem_add_progress(
            problem_id=problem.pk, actor=staff, text=f"进展 {n}", is_public=bool(n % 2)
        )
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_READ], name="dept")
    http = as_client(key)
    http.get("/api/v1/me/")  # the client's last use is written once a minute: not counted
    url = f"{URL}{problem.reference}/"
    # 1 the client, 2 the problem with its enterprise, category, lead department and
    # meeting, 3 its co-departments, 4 its burden-relief lines, 5 the audit trail's
    # record of the read, 6 its pending extension request (for the actions).
    with django_assert_num_queries(6):
        assert http.get(url).status_code == 200
    # 1 the client, 2 the problem, 3 its events with their actors and profiles.
    with django_assert_num_queries(3):
        assert len(http.get(url + "timeline/").json()) == 8


def test_the_problem_shows_its_burden_relief_read_only(district, make_problem, register):
    from decimal import Decimal

    problem = make_problem("in_progress")
    workflow.problem_resolve(
        problem_id=problem.pk,
        actor=district.user(Role.DEPARTMENT_STAFF),
        answer="已答复。",
        outcomes=[workflow.OutcomeLine("power", Decimal("91000000"), firms=1126)],
    )
    _, key = register(Binding.DEPARTMENT, [Scope.PROBLEMS_READ], name="dept")

    data = as_client(key).get(f"{URL}{problem.reference}/", HTTP_ACCEPT_LANGUAGE="en").json()

    assert data["relief_outcomes"] == [
        {
            "kind": "power",
            "kind_display": "Electricity",
            "amount": "91000000.00",
            "firms": 1126,
            "jobs": 0,
            "note": "",
            "counted_on": data["relief_outcomes"][0]["counted_on"],
        }
    ]
