"""Error reports: Sentry only when SENTRY_DSN is set, and never with personal data."""

from __future__ import annotations

import json
from unittest import mock

from liaison.sentry import before_send, init_sentry
from tests.liaison.test_settings import _python

PHONE = "13900000001"
CREDIT_CODE = "91330402MA0000001X"
EMAIL = "liuyang@hefeng.example"


def crafted_event() -> dict:
    """An event as the Django integration makes it, personal data in every part."""
    return {
        "event_id": "5d2f0c1b139123456789abcdef012345",
        "level": "error",
        "message": f"could not text {PHONE}",
        "logentry": {"message": "could not text %s", "params": [PHONE]},
        "exception": {
            "values": [
                {
                    "type": "ValueError",
                    "value": f"enterprise {CREDIT_CODE} has no contact {EMAIL}",
                    "stacktrace": {"frames": [{"function": "send", "vars": {"phone": PHONE}}]},
                }
            ]
        },
        "breadcrumbs": {
            "values": [
                {"category": "query", "message": f"SELECT 1 WHERE phone = '{PHONE}'"},
                {"category": "liaison.test", "message": f"mail to {EMAIL}"},
            ]
        },
        "request": {
            "url": "https://liaison.example.gov.cn/problems/",
            "method": "POST",
            "query_string": f"q={PHONE}",
            "data": {"contact_phone": PHONE, "credit_code": CREDIT_CODE},
            "cookies": {"sessionid": "abc"},
            "headers": {"Authorization": "Bearer lia_secret", "User-Agent": "Firefox"},
            "env": {"REMOTE_ADDR": "10.0.0.7"},
        },
        "user": {"id": "42", "username": "hefeng", "email": EMAIL, "ip_address": "10.0.0.7"},
    }


def test_before_send_masks_personal_data_everywhere():
    event = before_send(crafted_event(), {})
    sent = json.dumps(event, ensure_ascii=False)

    for secret in (PHONE, CREDIT_CODE, EMAIL, "lia_secret", "sessionid", "10.0.0.7", "username"):
        assert secret not in sent
    assert event["message"] == "could not text 139****0001"
    assert event["exception"]["values"][0]["value"] == (
        "enterprise 9133****1X has no contact l***@hefeng.example"
    )
    assert event["breadcrumbs"]["values"][0]["message"] == "SELECT 1 WHERE phone = '139****0001'"
    assert event["request"]["data"] == {"contact_phone": "139****0001", "credit_code": "9133****1X"}
    assert event["request"]["headers"] == {"User-Agent": "Firefox"}
    assert event["user"] == {"id": "42"}
    # What identifies the event is left alone.
    assert event["event_id"] == "5d2f0c1b139123456789abcdef012345"


def test_sentry_is_started_with_no_personal_data_and_the_scrubber():
    with mock.patch("sentry_sdk.init") as init:
        init_sentry(dsn="https://key@sentry.example/1", environment="production", release="1.2.3")

    options = init.call_args.kwargs
    assert options["send_default_pii"] is False
    assert options["include_local_variables"] is False
    assert options["before_send"] is before_send
    assert (options["environment"], options["release"]) == ("production", "1.2.3")
    names = {type(integration).__name__ for integration in options["integrations"]}
    assert {"DjangoIntegration", "CeleryIntegration"} <= names


SENTRY_REPORT = """
import json
import django
django.setup()
import sentry_sdk
client = sentry_sdk.get_client()
print(json.dumps({"active": client.is_active(), "dsn": client.dsn,
                  "pii": client.options.get("send_default_pii"),
                  "environment": client.options.get("environment")}))
"""


def sentry_as_started(tmp_path, **environment: str) -> dict:
    """The SDK's state in a fresh process with these settings."""
    process = _python(
        "-c",
        SENTRY_REPORT,
        DJANGO_SETTINGS_MODULE="liaison.settings",
        LIAISON_VAR_DIR=str(tmp_path),
        **environment,
    )
    assert process.returncode == 0, process.stderr
    return json.loads(process.stdout.strip().splitlines()[-1])


def test_without_sentry_dsn_nothing_is_started(tmp_path):
    assert sentry_as_started(tmp_path)["active"] is False


def test_with_sentry_dsn_the_sdk_is_started(tmp_path):
    report = sentry_as_started(
        tmp_path, SENTRY_DSN="https://key@127.0.0.1:9/1", SENTRY_ENVIRONMENT="staging"
    )

    assert report == {
        "active": True,
        "dsn": "https://key@127.0.0.1:9/1",
        "pii": False,
        "environment": "staging",
    }
