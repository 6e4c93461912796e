"""Review of the API (issue 14): hostile input that answered 500 or in English only."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from api.models import Binding

from .conftest import as_client

pytestmark = pytest.mark.django_db


@pytest.fixture
def office_api(register):
    _, key = register(Binding.DISTRICT, name="review", rate_per_minute=600)
    return as_client(key)


@pytest.mark.parametrize(
    "header",
    ["Bearer lia_\x00_secret", "Bearer lia_ab\x00cd_secret", "Bearer lia_%\u00e9_x"],
)
def test_a_key_with_stray_characters_is_refused_not_a_500(district, header):
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=header)
    response = http.get("/api/v1/me/")
    assert response.status_code == 401
    assert response.json()["detail"]


@pytest.mark.parametrize(
    "start",
    ["0001-01-01T00:00:00", "9999-12-31T23:59:59", "0001-01-01T00:00:00%2B14:00"],
)
def test_a_deadline_from_an_impossible_start_is_a_field_error(district, office_api, start):
    response = office_api.get(
        f"/api/v1/calendar/deadline/?start={start}", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    assert "start" in response.json()


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/problems/2026-99999/",
        "/api/v1/problems/2026-99999/timeline/",
        "/api/v1/webhooks/99999/",
    ],
)
@pytest.mark.parametrize(("language", "text"), [("zh-hans", "未找到。"), ("en", "Not found.")])
def test_not_found_is_said_in_the_callers_language_without_naming_a_model(
    district, office_api, path, language, text
):
    response = office_api.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response.json() == {"detail": text}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/meetings/99999999999999999999/",
        "/api/v1/departments/123456789012345678901/",
        "/api/v1/nothing-here/",
        "/api/v2/problems/",
    ],
)
@pytest.mark.parametrize(("language", "text"), [("zh-hans", "未找到。"), ("en", "Not found.")])
def test_a_path_outside_the_apis_routes_is_a_json_404(district, office_api, path, language, text):
    response = office_api.get(path, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": text}


def test_a_web_page_that_does_not_exist_is_still_the_html_page(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")


@pytest.mark.parametrize(
    "given, stored",
    [
        ("https://例子.中国/hook", "https://xn--fsqu00a.xn--fiqs8s/hook"),
        (
            "https://a.example/路径?名=值",
            "https://a.example/%E8%B7%AF%E5%BE%84?%E5%90%8D=%E5%80%BC",
        ),
        ("https://A.Example:8443/hooks", "https://a.example:8443/hooks"),
        ("https://[::1]:8443/hooks", "https://[::1]:8443/hooks"),
    ],
)
def test_a_webhook_url_is_stored_as_it_goes_on_the_wire(given, stored):
    from api.webhooks.services import validate_webhook_url

    assert validate_webhook_url(given) == stored
