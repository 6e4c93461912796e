"""/csp-report: the browser's reports of Content-Security-Policy violations are logged as
warnings; the endpoint takes no CSRF token, bounds what it reads, and never answers 500."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import Client

URL = "/csp-report"

VIOLATION = {
    "csp-report": {
        "document-uri": "https://liaison.example.gov.cn/problems/new/",
        "referrer": "",
        "violated-directive": "script-src-elem",
        "effective-directive": "script-src-elem",
        "original-policy": "default-src 'self'; report-uri /csp-report",
        "disposition": "enforce",
        "blocked-uri": "inline",
        "line-number": 12,
        "source-file": "https://liaison.example.gov.cn/problems/new/",
        "status-code": 200,
        "script-sample": "",
    }
}


def post(body: bytes | str, content_type="application/csp-report", **extra):
    # enforce_csrf_checks: as a browser, which sends the report without a token.
    client = Client(enforce_csrf_checks=True)
    return client.post(URL, body, content_type=content_type, **extra)


def test_it_logs_a_violation_and_answers_204(caplog):
    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        response = post(json.dumps(VIOLATION))

    assert response.status_code == 204
    (record,) = [r for r in caplog.records if r.name == "liaison.views"]
    assert record.levelno == logging.WARNING
    assert record.getMessage() == (
        "CSP violation: 'script-src-elem' blocked 'inline' on "
        "'https://liaison.example.gov.cn/problems/new/' "
        "('https://liaison.example.gov.cn/problems/new/' line '12', sample '')"
    )


def test_it_takes_the_reporting_apis_batches_too(caplog):
    report = [
        {
            "type": "csp-violation",
            "body": {
                "documentURL": "https://liaison.example.gov.cn/",
                "effectiveDirective": "style-src-attr",
                "blockedURL": "inline",
                "lineNumber": 3,
            },
        }
    ]

    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        response = post(json.dumps(report), content_type="application/reports+json")

    assert response.status_code == 204
    assert "'style-src-attr' blocked 'inline'" in caplog.text


def test_what_it_logs_is_bounded_and_escaped(caplog):
    forged = {"csp-report": {"blocked-uri": "x\nCRITICAL fake line" + "y" * 5000}}

    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        assert post(json.dumps(forged)).status_code == 204

    (line,) = caplog.text.strip().splitlines()  # the newline did not make a second line
    assert "\\nCRITICAL fake line" in line
    assert len(line) < 1000


def test_a_batch_is_logged_up_to_ten_violations(caplog):
    batch = [{"type": "csp-violation", "body": {"blockedURL": f"inline {n}"}} for n in range(50)]

    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        assert post(json.dumps(batch)).status_code == 204

    assert len([r for r in caplog.records if r.name == "liaison.views"]) == 10


@pytest.mark.parametrize(
    "body",
    [b"not json", b"\xff\xfe", b"[]", b"{}", b'{"csp-report": "x"}', b"42", b'[{"body": 1}]'],
    ids=["text", "bytes", "empty-list", "empty-object", "wrong-shape", "number", "bad-body"],
)
def test_a_body_that_is_not_a_report_is_a_400(body, caplog):
    with caplog.at_level(logging.WARNING, logger="liaison.views"):
        response = post(body)

    assert response.status_code == 400
    assert not [r for r in caplog.records if r.name == "liaison.views"]


def test_a_large_body_is_refused_unread():
    response = post(json.dumps({"csp-report": {"blocked-uri": "x" * 20_000}}))

    assert response.status_code == 413


def test_only_post_is_taken():
    assert Client().get(URL).status_code == 405
