"""The log: one JSON line per request with its id, user, role and timing; the request's
id on every line written meanwhile and in the X-Request-ID header; personal data masked."""

from __future__ import annotations

import io
import json
import logging
from contextlib import contextmanager

import pytest
from django.test import Client

from liaison import logs
from liaison.models import Role
from liaison.privacy import mask_personal_data, mask_phone


@contextmanager
def json_log():
    """What the root logger writes meanwhile, through the production handler's formatter
    and filters (settings.LOGGING with LIAISON_LOG_FORMAT=json), as a list of dicts."""
    config = logs.logging_config(log_format="json", level="INFO")
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    formatter = config["formatters"]["default"]
    handler.setFormatter(
        logs.JsonFormatter(
            formatter["format"],
            rename_fields=formatter["rename_fields"],
            timestamp=formatter["timestamp"],
            json_ensure_ascii=False,
        )
    )
    handler.addFilter(logs.RequestContextFilter())
    handler.addFilter(logs.MaskPersonalDataFilter())
    root = logging.getLogger()
    old_level = root.level
    root.addHandler(handler)
    root.setLevel(logging.INFO)
    lines: list[dict] = []
    try:
        yield lines
    finally:
        root.removeHandler(handler)
        root.setLevel(old_level)
        lines.extend(json.loads(line) for line in stream.getvalue().splitlines())


def request_lines(lines: list[dict]) -> list[dict]:
    return [line for line in lines if line["logger"] == "liaison.requests"]


@pytest.mark.django_db
def test_each_request_is_one_json_line_with_its_id_and_timing():
    with json_log() as lines:
        response = Client().get("/healthz")

    (line,) = request_lines(lines)
    assert response["X-Request-ID"] == line["request_id"]
    assert len(line["request_id"]) == 32
    assert line["method"] == "GET"
    assert line["path"] == "/healthz"
    assert line["status"] == 200
    assert isinstance(line["duration_ms"], float) and line["duration_ms"] >= 0
    assert line["level"] == "INFO"
    assert line["time"].endswith("+00:00")
    # Nobody signed in (and /healthz reads no session to find out).
    assert line["user_id"] is None and line["role"] is None


def test_a_safe_incoming_request_id_is_kept_and_an_unsafe_one_replaced(db):
    client = Client()
    with json_log() as lines:
        kept = client.get("/healthz", HTTP_X_REQUEST_ID="nginx-4f2a9c01d3")
        replaced = client.get("/healthz", HTTP_X_REQUEST_ID="x\r\nSet-Cookie: evil=1")
        too_long = client.get("/healthz", HTTP_X_REQUEST_ID="a" * 65)

    assert kept["X-Request-ID"] == "nginx-4f2a9c01d3"
    assert "evil" not in replaced["X-Request-ID"] and len(replaced["X-Request-ID"]) == 32
    assert too_long["X-Request-ID"] != "a" * 65
    assert [line["request_id"] for line in request_lines(lines)] == [
        "nginx-4f2a9c01d3",
        replaced["X-Request-ID"],
        too_long["X-Request-ID"],
    ]


def test_the_signed_in_user_and_role_are_logged_and_the_query_values_are_not(district):
    user = district.user(Role.OFFICE)
    client = Client()
    client.force_login(user)  # Client.login has no request for django-axes

    with json_log() as lines:
        response = client.get("/problems/?q=13900000001&status=open")

    (line,) = request_lines(lines)
    assert response.status_code == 200
    assert line["user_id"] == user.pk
    assert line["role"] == Role.OFFICE
    assert line["path"] == "/problems/?q=…&status=…"
    assert "13900000001" not in json.dumps(lines, ensure_ascii=False)


def test_a_credit_code_in_the_path_is_masked_in_the_line_and_its_path_field(db):
    with json_log() as lines:
        Client().get("/api/v1/enterprises/91330402MA0000001X/")

    (line,) = request_lines(lines)
    assert line["path"] == "/api/v1/enterprises/9133****1X/"
    assert "91330402MA0000001X" not in json.dumps(line)


def test_lines_written_during_a_request_carry_its_id(db, monkeypatch):
    client = Client()

    def noisy_check():
        logging.getLogger("liaison.test").warning("inside the request")
        from liaison.readiness import Result

        return Result(True, "fine")

    from liaison import readiness

    monkeypatch.setitem(readiness.CHECKS, "noisy", noisy_check)
    with json_log() as lines:
        response = client.get("/readyz")

    (inside,) = [line for line in lines if line["message"] == "inside the request"]
    assert inside["request_id"] == response["X-Request-ID"]
    # /readyz reads no session: the user is not known to it, and none is invented.
    assert inside["user_id"] is None


def test_a_task_queued_in_a_request_carries_the_request_id():
    from liaison.celery import REQUEST_ID_HEADER, _send_request_id, _take_request_id

    token = logs.request_id_var.set("req-12345678")
    headers: dict = {}
    try:
        _send_request_id(headers=headers)
    finally:
        logs.request_id_var.reset(token)
    assert headers == {REQUEST_ID_HEADER: "req-12345678"}

    class Task:
        class request:  # noqa: N801 - Celery's attribute name
            liaison_request_id = "req-12345678"
            id = "task-1"

    _take_request_id(task=Task)
    try:
        assert logs.request_id_var.get() == "req-12345678"
    finally:
        logs.request_id_var.reset(Task.request._liaison_request_token)


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("SMS to 13800138000: sent", "SMS to 138****8000: sent"),
        ("电话+86 138-0013-8000。", "电话138****8000。"),
        ("office 0573-82000002", "office 0573-****0002"),
        ("信用代码91330402MA0000001X，", "信用代码9133****1X，"),
        ("from liuyang@hefeng.example", "from l***@hefeng.example"),
        # Ids and hashes are left alone, and so are times and short numbers.
        ("task 5d2f0c1b13912345678e9a took 13 ms", "task 5d2f0c1b13912345678e9a took 13 ms"),
        ("at 2026-01-05 12:00:00", "at 2026-01-05 12:00:00"),
    ],
)
def test_masking(text, masked):
    assert mask_personal_data(text) == masked


def test_mask_phone_hides_a_mobile_s_middle_digits_and_leaves_landlines():
    assert mask_phone("13900000001") == "139****0001"
    assert mask_phone("+86 139 0000 0001") == "139****0001"
    assert mask_phone("0573-82000002") == "0573-82000002"
    assert mask_phone("") == ""


def test_the_message_its_arguments_and_the_traceback_are_masked():
    logger = logging.getLogger("liaison.test")
    with json_log() as lines:
        logger.info("SMS to %s for %s", "13900000001", {"credit": "91330402MA0000001X"})
        logger.warning("e-mail %(to)s failed", {"to": "liuyang@hefeng.example"})
        try:
            raise ValueError("bad number 13900000001")
        except ValueError:
            logger.exception("sending failed")

    text = json.dumps(lines, ensure_ascii=False)
    assert lines[0]["message"] == "SMS to 139****0001 for {'credit': '9133****1X'}"
    assert lines[1]["message"] == "e-mail l***@hefeng.example failed"
    assert "bad number 139****0001" in lines[2]["exc_info"]
    for secret in ("13900000001", "91330402MA0000001X", "liuyang@"):
        assert secret not in text


def test_the_text_format_masks_too(capsys):
    config = logs.logging_config(log_format="text", level="INFO")
    handler = logging.StreamHandler()
    handler.setFormatter(logs.TextFormatter(config["formatters"]["default"]["format"]))
    handler.addFilter(logs.RequestContextFilter())
    handler.addFilter(logs.MaskPersonalDataFilter())
    record = logging.LogRecord("x", logging.INFO, __file__, 1, "to %s", ("13900000001",), None)

    for filter_ in handler.filters:
        filter_.filter(record)
    line = handler.format(record)

    assert line.endswith("INFO x [-] to 139****0001")


def test_a_request_whose_query_cannot_be_read_is_logged_without_it(db):
    query = "&".join(f"f{i}=1" for i in range(1100))  # over DATA_UPLOAD_MAX_NUMBER_FIELDS

    with json_log() as lines:
        response = Client(raise_request_exception=False).get(f"/healthz?{query}")

    assert response.status_code == 400  # Django refuses it
    (line,) = request_lines(lines)
    assert (line["path"], line["status"]) == ("/healthz?…", 400)
    assert line["request_id"] == response["X-Request-ID"]


def test_the_log_line_never_costs_the_user_the_page(db, monkeypatch):
    from liaison import middleware

    def broken(*args):
        raise RuntimeError("the log line's own bug")

    monkeypatch.setattr(middleware, "_log_request", broken)
    with json_log() as lines:
        response = Client().get("/healthz")

    assert response.status_code == 200 and response["X-Request-ID"]
    assert [line["message"] for line in lines] == ["the request's log line failed"]
