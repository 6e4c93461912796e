"""The OpenAPI schema validates, and its documentation page is served from our own files."""

from __future__ import annotations

import json

import pytest
from django.test import Client
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def test_the_schema_is_valid_openapi_3():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert response.status_code == 200
    schema = json.loads(response.content)
    assert schema["openapi"].startswith("3.")
    validate(schema)
    assert "/api/v1/me/" in schema["paths"]
    assert "apiKey" in schema["components"]["securitySchemes"]


# Every endpoint of the API, with its methods: the schema documents each one.
ENDPOINTS = {
    "/api/v1/me/": {"get"},
    "/api/v1/problems/": {"get", "post"},
    "/api/v1/problems/{reference}/": {"get"},
    "/api/v1/problems/{reference}/timeline/": {"get"},
    "/api/v1/problems/{reference}/acknowledge/": {"post"},
    "/api/v1/problems/{reference}/progress/": {"post"},
    "/api/v1/problems/{reference}/resolve/": {"post"},
    "/api/v1/problems/{reference}/extension/": {"post"},
    "/api/v1/problems/{reference}/evaluate/": {"post"},
    "/api/v1/enterprises/": {"get"},
    "/api/v1/enterprises/{credit_code}/": {"get", "put"},
    "/api/v1/departments/": {"get"},
    "/api/v1/departments/{id}/": {"get"},
    "/api/v1/meetings/": {"get"},
    "/api/v1/meetings/{id}/": {"get"},
    "/api/v1/figures/": {"get"},
    "/api/v1/calendar/working-day/": {"get"},
    "/api/v1/calendar/deadline/": {"get"},
    "/api/v1/webhooks/": {"get", "post"},
    "/api/v1/webhooks/{id}/": {"get", "put", "patch", "delete"},
    "/api/v1/webhooks/{id}/rotate-secret/": {"post"},
}


def test_the_schema_has_every_endpoint_with_its_answers():
    response = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    paths = json.loads(response.content)["paths"]
    v1 = {path: methods for path, methods in paths.items() if path.startswith("/api/v1/")}
    assert {path: set(methods) - {"parameters"} for path, methods in v1.items()} == ENDPOINTS
    problems = paths["/api/v1/problems/"]
    assert {"201", "200", "400", "409"} <= set(problems["post"]["responses"])
    listed = {p["name"] for p in problems["get"]["parameters"]}
    assert {"cursor", "page_size", "status", "q", "lead_department", "overdue"} <= listed
    assert "409" in paths["/api/v1/problems/{reference}/resolve/"]["post"]["responses"]


def test_the_documentation_page_loads_nothing_from_elsewhere():
    response = Client().get("/api/docs/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "/static/vendor/swagger-ui-dist-5.36.0/swagger-ui-bundle.js" in page
    assert "cdn" not in page.lower()
    assert "https://" not in page
