"""Hostile input gets a 4xx, never a 500: huge, NUL and emoji strings, impossible dates,
negative and huge ids and cursors, malformed JSON, the wrong content type, big bodies."""

from __future__ import annotations

import base64

import pytest

from api.models import Binding
from issues.models import Problem

from .conftest import as_client

pytestmark = pytest.mark.django_db

URL = "/api/v1/problems/"


@pytest.fixture
def office_api(register):
    _, key = register(Binding.DISTRICT, name="hostile")
    return as_client(key)


@pytest.mark.parametrize(
    "field,value",
    [
        ("title", "x" * 100_000),
        ("title", "a\x00b"),
        ("description", "😀" * 5001),
        ("title", ["list"]),
        ("title", {"o": 1}),
        ("enterprise", -1),
        ("enterprise", 2**70),
        ("enterprise", "1; DROP TABLE"),
        ("category", 2**64),
        ("channel", "carrier-pigeon"),
        ("external_reference", "r" * 65),
        ("enterprise_credit_code", "\x00" * 18),
    ],
)
def test_bad_fields_are_field_errors(district, category, office_api, field, value):
    data = {
        "enterprise": district.enterprise.pk,
        "title": "标题",
        "description": "描述",
        "category": category.pk,
        "channel": "hotline",
        field: value,
    }
    if field == "enterprise_credit_code":
        del data["enterprise"]
    response = office_api.post(URL, data, format="json")
    assert response.status_code == 400, response.content
    assert not Problem.objects.exists()


def test_emoji_within_the_bounds_are_kept(district, category, office_api):
    data = {
        "enterprise": district.enterprise.pk,
        "title": "用电成本高 ⚡😀",
        "description": "😀" * 100,
        "category": category.pk,
    }
    response = office_api.post(URL, data, format="json")
    assert response.status_code == 201
    assert Problem.objects.get().title == "用电成本高 ⚡😀"


@pytest.mark.parametrize(
    "content,content_type,status",
    [
        ("{not json", "application/json", 400),
        ("", "application/json", 400),
        ('"a string"', "application/json", 400),
        ("[1, 2]", "application/json", 400),
        ("title=x", "application/x-www-form-urlencoded", 415),
        ("<xml/>", "text/xml", 415),
    ],
)
def test_malformed_bodies(office_api, content, content_type, status):
    response = office_api.generic("POST", URL, content, content_type)
    assert response.status_code == status, response.content


def test_a_body_over_the_size_limit_is_refused_before_it_is_read(office_api, settings):
    big = '{"title": "' + "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 10) + '"}'
    response = office_api.generic("POST", URL, big, "application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["code"] == "too_large"


def test_a_nul_character_in_the_address_is_a_json_400(district, office_api):
    response = office_api.get(URL, {"q": "a\x00b"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    assert response.status_code == 400
    assert response.json() == {"detail": "地址中含有空字符（NUL）。", "code": "invalid"}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/problems/9999-99999/",
        "/api/v1/problems/-1/",
        "/api/v1/problems/%00/",
        "/api/v1/problems/2026-00001/timeline/",
        "/api/v1/meetings/-1/",
        "/api/v1/meetings/99999999999999999999999/",
        "/api/v1/departments/99999999999999999999/",
        "/api/v1/enterprises/" + "9" * 40 + "/",
        "/api/v1/enterprises/%F0%9F%98%80/",
    ],
)
def test_unknown_and_impossible_ids_are_not_found(district, office_api, path):
    assert office_api.get(path).status_code in (400, 404), path


@pytest.mark.parametrize(
    "cursor",
    [
        "garbage",
        base64.b64encode(b"p=99999999999999999999999999").decode(),
        base64.b64encode(b"p=abc&r=1").decode(),
        base64.b64encode(b"o=99999999999&p=1").decode(),
        base64.b64encode(b"p=-5").decode(),
        "%00",
    ],
)
def test_forged_cursors_are_not_found_or_empty(district, office_api, make_problem, cursor):
    make_problem()
    response = office_api.get(URL, {"cursor": cursor})
    # An offset past DRF's cut-off is clamped to it: an empty page.
    assert response.status_code in (200, 404), response.content
    if response.status_code == 200:
        assert response.json()["results"] == []


@pytest.mark.parametrize(
    "params",
    [
        {"enterprise": "-1"},
        {"enterprise": str(2**70)},
        {"lead_department": "x"},
        {"submitted_after": "0001-01-01"},
        {"submitted_before": "9999-12-31"},
        {"meeting": str(2**64)},
        {"q": "x" * 10_000},
        {"page_size": "9" * 5000},
        {"district_leader": "-3"},
    ],
)
def test_bad_filters_are_field_errors(district, office_api, make_problem, params):
    make_problem()
    response = office_api.get(URL, params)
    assert response.status_code in (200, 400), response.content
    if "page_size" in params:
        assert response.status_code == 200


def test_a_stale_version_out_of_range_is_a_field_error(district, office_api, make_problem):
    problem = make_problem("dispatched")
    for version in (-1, 0, 2**40, "x", None):
        response = office_api.post(
            f"{URL}{problem.reference}/acknowledge/", {"version": version}, format="json"
        )
        assert response.status_code == 400, version


@pytest.mark.parametrize(
    "code,data",
    [
        ("9" * 40, {"name": "X"}),
        ("%E9%94%AE", {"name": "X"}),
        ("91330402MA0000077Z", {"name": "x" * 201}),
        ("91330402MA0000077Z", {"name": "X", "town": 2**70}),
        ("91330402MA0000077Z", {"name": "X", "town": -1}),
        ("91330402MA0000077Z", {"name": "X", "email": "not an address"}),
        ("91330402MA0000077Z", {"name": "a\x00b"}),
        ("91330402MA0000077Z", {"name": ["X"]}),
        ("91330402MA0000077Z", {"name": "X", "credit_code": "changed"}),
    ],
)
def test_bad_enterprises_are_field_errors(district, office_api, code, data):
    response = office_api.put(f"/api/v1/enterprises/{code}/", data, format="json")
    if "credit_code" in data:  # read-only: ignored, the code is the URL's
        assert response.status_code in (200, 201, 400)
    else:
        assert response.status_code == 400, response.content


@pytest.mark.parametrize(
    "params",
    [
        {"year": "abc"},
        {"year": "99999999999999999999"},
        {"department": str(2**70)},
        {"leader": "-1"},
        {"meeting": "x"},
        {"date_from": "2026-01-01", "date_to": "2025-01-01"},
        {"date_from": "2026-01-01\x00"},
    ],
)
def test_bad_figures_filters_are_field_errors(district, office_api, params):
    response = office_api.get("/api/v1/figures/", params)
    assert response.status_code == 400, response.content
