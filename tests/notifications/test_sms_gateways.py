"""SMS through Alibaba Cloud and Tencent Cloud: the real SDKs against local fakes of their
HTTP APIs, through the outbox's delivery task, with each kind of answer recorded on the row.
"""

from __future__ import annotations

import datetime as dt
import json
import time

import pytest
from celery.signals import worker_ready
from django.core.management import call_command
from django.core.management.base import SystemCheckError
from django.utils import timezone

from issues import notifications
from issues.models import EventKind, Status
from liaison.models import Profile
from notifications import checks
from notifications import tasks as notification_tasks
from notifications.models import Notification
from notifications.sms import aliyun, tencent
from notifications.sms.gateway import SmsMessage, templates_from

from .fake_gateways import HANG, FakeAliyun, FakeTencent

ALIYUN_TEMPLATES = {
    "default": {"template": "SMS_900000001", "params": ["text"]},
    "escalated": {"template": "SMS_900000002", "params": {"title": "text"}, "max_length": 20},
}
TENCENT_TEMPLATES = {
    "default": {"template": "1000001", "params": ["text"]},
    "escalated": {"template": "1000002", "params": ["subject", "text"], "max_length": 12},
}


@pytest.fixture
def sms_row(make_problem, leader):
    """An escalation's SMS to the district leader, waiting in the outbox."""
    Profile.objects.filter(user=leader).update(phone="138-0013-8000")
    problem = make_problem(Status.DISPATCHED)
    event = problem.events.create(kind=EventKind.ESCALATED, is_public=False)
    notifications.write_for_events([(event, [leader])])
    return Notification.objects.get(channel="sms")


@pytest.fixture
def fake_aliyun(settings):
    with FakeAliyun() as fake:
        settings.LIAISON_SMS_BACKEND = "notifications.sms.aliyun.AliyunSmsBackend"
        settings.LIAISON_SMS_ENDPOINT = fake.url
        settings.LIAISON_SMS_ALIYUN_ACCESS_KEY_ID = "LTAI5tTestKeyId"
        settings.LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET = "test-secret"
        settings.LIAISON_SMS_SIGN_NAME = "秀洲政企联系"
        settings.LIAISON_SMS_TEMPLATES = json.dumps(ALIYUN_TEMPLATES)
        yield fake


@pytest.fixture
def fake_tencent(settings):
    with FakeTencent() as fake:
        settings.LIAISON_SMS_BACKEND = "notifications.sms.tencent.TencentSmsBackend"
        settings.LIAISON_SMS_ENDPOINT = fake.url
        settings.LIAISON_SMS_TENCENT_SECRET_ID = "AKIDtest"
        settings.LIAISON_SMS_TENCENT_SECRET_KEY = "test-key"
        settings.LIAISON_SMS_TENCENT_SDK_APP_ID = "1400000001"
        settings.LIAISON_SMS_SIGN_NAME = "秀洲政企联系"
        settings.LIAISON_SMS_TEMPLATES = json.dumps(TENCENT_TEMPLATES)
        yield fake


def deliver(row: Notification) -> Notification:
    """One attempt through the delivery task, as a worker runs it; the row afterwards."""
    notification_tasks.deliver_notification.apply(args=[row.pk])
    row.refresh_from_db()
    return row


def assert_retries(row: Notification, *fragments: str) -> None:
    assert (row.state, row.attempts) == ("pending", 1)
    assert row.next_attempt_at > timezone.now() + dt.timedelta(seconds=30)  # the backoff
    for fragment in fragments:
        assert fragment in row.last_error


def assert_failed(row: Notification, *fragments: str) -> None:
    assert (row.state, row.attempts, row.next_attempt_at) == ("failed", 1, None)
    for fragment in fragments:
        assert fragment in row.last_error


# --- Alibaba Cloud ----------------------------------------------------------------------


def test_aliyun_sends_the_kinds_template_with_its_params_and_the_rows_id(fake_aliyun, sms_row):
    fake_aliyun.answers = [FakeAliyun.ok()]

    row = deliver(sms_row)

    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    [sent] = fake_aliyun.requests
    assert sent.action == "SendSms"
    assert sent.phones == ["13800138000"]
    assert sent.template == "SMS_900000002"
    assert sent.sign_name == "秀洲政企联系"
    assert sent.out_id == str(row.pk)
    # The template's variable "title" carries the text, without its link, within 20.
    assert list(sent.params) == ["title"]
    title = sent.params["title"]
    assert len(title) <= 20 and "http" not in title
    assert title.rstrip("…") in row.body
    assert sent.extra["authorization"].startswith("ACS3-HMAC-SHA256 Credential=LTAI5tTestKeyId")


def test_aliyun_kinds_without_a_template_use_the_default_one(fake_aliyun, sms_row):
    fake_aliyun.answers = [FakeAliyun.ok()]
    Notification.objects.filter(pk=sms_row.pk).update(kind="meeting_invited")

    assert deliver(sms_row).state == "sent"

    [sent] = fake_aliyun.requests
    assert sent.template == "SMS_900000001"
    assert list(sent.params) == ["text"]


def test_aliyun_rate_limited_is_tried_again_with_the_same_out_id(fake_aliyun, sms_row):
    fake_aliyun.answers = [
        FakeAliyun.error("isv.BUSINESS_LIMIT_CONTROL", "触发小时级流控Permits:5"),
        FakeAliyun.ok(),
    ]

    row = deliver(sms_row)
    assert_retries(row, "aliyun isv.BUSINESS_LIMIT_CONTROL: 触发小时级流控Permits:5")

    row = deliver(row)  # its next attempt
    assert (row.state, row.attempts, row.last_error) == ("sent", 2, "")
    assert [r.out_id for r in fake_aliyun.requests] == [str(row.pk)] * 2


@pytest.mark.parametrize(
    "code,message,status",
    [
        ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板", 200),
        ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号", 200),
        ("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名", 200),
        ("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404),
        ("SignatureDoesNotMatch", "Specified signature does not match our calculation.", 400),
    ],
)
def test_aliyun_refusals_fail_at_once_with_code_and_message(
    fake_aliyun, sms_row, code, message, status
):
    fake_aliyun.answers = [FakeAliyun.error(code, message, status)]

    assert_failed(deliver(sms_row), f"aliyun {code}: {message}", "A1B2C3D4")


@pytest.mark.parametrize(
    "code,status",
    [("ServiceUnavailable", 503), ("isp.SYSTEM_ERROR", 200), ("Throttling.User", 400)],
)
def test_aliyun_gateway_trouble_is_tried_again(fake_aliyun, sms_row, code, status):
    fake_aliyun.answers = [FakeAliyun.error(code, "请稍后重试", status)]

    assert_retries(deliver(sms_row), f"aliyun {code}")


def test_aliyun_proxy_error_without_a_code_is_tried_again(fake_aliyun, sms_row):
    fake_aliyun.answers = [(502, {"message": "Bad Gateway"})]

    assert_retries(deliver(sms_row), "aliyun HTTP 502: Bad Gateway")


def test_aliyun_not_answering_leaves_the_message_to_retry(fake_aliyun, sms_row, settings):
    settings.LIAISON_SMS_READ_TIMEOUT = 0.5
    fake_aliyun.answers = [HANG]

    started = time.monotonic()
    row = deliver(sms_row)

    assert time.monotonic() - started < 5
    assert_retries(row, "aliyun network")


# --- Tencent Cloud ----------------------------------------------------------------------


def test_tencent_sends_the_kinds_template_with_its_params_and_the_rows_id(fake_tencent, sms_row):
    fake_tencent.answers = [FakeTencent.status()]

    row = deliver(sms_row)

    assert (row.state, row.attempts, row.last_error) == ("sent", 1, "")
    [sent] = fake_tencent.requests
    assert sent.action == "SendSms"
    assert sent.phones == ["+8613800138000"]
    assert sent.template == "1000002"
    assert sent.sign_name == "秀洲政企联系"
    assert sent.out_id == str(row.pk)
    assert sent.extra == {"app_id": "1400000001", "region": "ap-guangzhou"}
    # Positional: the subject, then the text without its link, each within 12.
    subject, text = sent.params
    assert len(subject) <= 12 and subject.rstrip("…") in row.subject
    assert len(text) <= 12 and "http" not in text


@pytest.mark.parametrize(
    "answer",
    [
        FakeTencent.error("RequestLimitExceeded", "请求的次数超过了频率限制。"),
        FakeTencent.status(
            "LimitExceeded.PhoneNumberDailyLimit", "单个手机号日下发短信条数超过设定的上限"
        ),
        FakeTencent.error("InternalError.Timeout", "请求下发短信超时"),
    ],
    ids=["request-limit", "per-number-daily-limit", "internal-timeout"],
)
def test_tencent_limits_and_gateway_trouble_are_tried_again(fake_tencent, sms_row, answer):
    fake_tencent.answers = [answer, FakeTencent.status()]
    payload = answer[1]["Response"]
    code = (payload.get("Error") or payload.get("SendStatusSet", [{}])[0])["Code"]

    row = deliver(sms_row)
    assert_retries(row, f"tencent {code}: ")

    row = deliver(row)
    assert (row.state, row.attempts) == ("sent", 2)
    assert [r.out_id for r in fake_tencent.requests] == [str(row.pk)] * 2


@pytest.mark.parametrize(
    "answer,code",
    [
        (
            FakeTencent.error(
                "FailedOperation.TemplateIncorrectOrUnapproved", "模板未审批或内容不匹配"
            ),
            "FailedOperation.TemplateIncorrectOrUnapproved",
        ),
        (
            FakeTencent.error("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
            "InvalidParameterValue.IncorrectPhoneNumber",
        ),
        (
            FakeTencent.status("InvalidParameterValue.IncorrectPhoneNumber", "手机号格式错误"),
            "InvalidParameterValue.IncorrectPhoneNumber",
        ),
        (
            FakeTencent.status("FailedOperation.SignatureIncorrectOrUnapproved", "签名未审批"),
            "FailedOperation.SignatureIncorrectOrUnapproved",
        ),
        (
            FakeTencent.error("AuthFailure.SecretIdNotFound", "密钥不存在"),
            "AuthFailure.SecretIdNotFound",
        ),
    ],
    ids=["bad-template", "bad-number", "bad-number-per-number", "bad-signature", "auth"],
)
def test_tencent_refusals_fail_at_once_with_code_and_message(fake_tencent, sms_row, answer, code):
    fake_tencent.answers = [answer]

    assert_failed(deliver(sms_row), f"tencent {code}: ")


def test_tencent_http_error_and_no_answer_leave_the_message_to_retry(
    fake_tencent, sms_row, settings
):
    fake_tencent.answers = [(502, {"message": "Bad Gateway"})]
    assert_retries(deliver(sms_row), "tencent ServerNetworkError")

    settings.LIAISON_SMS_READ_TIMEOUT = 0.5
    fake_tencent.answers = [HANG]
    Notification.objects.filter(pk=sms_row.pk).update(attempts=0)
    started = time.monotonic()
    row = deliver(sms_row)

    assert time.monotonic() - started < 5
    assert_retries(row, "tencent ClientNetworkError")


# --- what the office sees, and configuration ---------------------------------------------


def test_the_office_sees_the_gateways_code_and_message(fake_aliyun, sms_row, office, client_as):
    fake_aliyun.answers = [FakeAliyun.error("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号")]
    deliver(sms_row)

    page = client_as(office).get("/problems/notifications/outbox/").content.decode()

    assert "aliyun isv.MOBILE_NUMBER_ILLEGAL: 非法手机号" in page


def test_a_gateway_missing_settings_is_a_system_check_error(settings):
    settings.LIAISON_SMS_BACKEND = "notifications.sms.tencent.TencentSmsBackend"
    settings.LIAISON_SMS_TENCENT_SECRET_ID = "AKIDtest"
    settings.LIAISON_SMS_TEMPLATES = '{"escalated": {"template": "1000002"}}'

    errors = checks.sms_backend_configured()

    assert {e.id for e in errors} == {"notifications.E002"}
    text = "\n".join(e.msg for e in errors)
    for missing in (
        "LIAISON_SMS_TENCENT_SECRET_KEY",
        "LIAISON_SMS_TENCENT_SDK_APP_ID",
        "LIAISON_SMS_SIGN_NAME",
        'no "default" template',
    ):
        assert missing in text
    assert "LIAISON_SMS_TENCENT_SECRET_ID" not in text
    with pytest.raises(SystemCheckError):
        call_command("check")


@pytest.mark.parametrize(
    "backend,problem",
    [
        ("notifications.sms.nowhere.Backend", "notifications.E001"),
        ("notifications.sms.aliyun.AliyunSmsBackend", "notifications.E002"),
    ],
)
def test_a_wrong_backend_or_template_mapping_is_named(settings, backend, problem):
    settings.LIAISON_SMS_BACKEND = backend
    settings.LIAISON_SMS_TEMPLATES = "{not json"

    errors = checks.sms_backend_configured()

    assert problem in {e.id for e in errors}
    if problem == "notifications.E002":
        assert any("LIAISON_SMS_TEMPLATES is not valid JSON" in e.msg for e in errors)


def test_a_worker_starting_with_a_gateway_missing_settings_logs_them(settings, caplog):
    settings.LIAISON_SMS_BACKEND = "notifications.sms.aliyun.AliyunSmsBackend"

    with caplog.at_level("ERROR", logger="notifications.checks"):
        worker_ready.send(sender=None)

    assert "LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET is not set" in caplog.text


def test_the_logging_backend_needs_no_configuration(settings):
    settings.LIAISON_SMS_BACKEND = "notifications.delivery.LoggingSmsBackend"
    assert checks.sms_backend_configured() == []


def test_a_message_to_a_misconfigured_gateway_waits_and_says_why(sms_row, settings):
    settings.LIAISON_SMS_BACKEND = "notifications.sms.aliyun.AliyunSmsBackend"

    row = deliver(sms_row)

    assert_retries(row, "ImproperlyConfigured", "LIAISON_SMS_ALIYUN_ACCESS_KEY_ID is not set")


def test_template_mapping_rejects_unknown_params():
    with pytest.raises(Exception, match="unknown parameter"):
        templates_from({"default": {"template": "SMS_1", "params": ["password"]}})
    [(name, value)] = templates_from({"default": {"template": "SMS_1"}})["default"].values(
        SmsMessage(outbox_id=1, phone="1", kind="x", text="问题已超期 https://x.cn/p/1/")
    )
    assert (name, value) == ("text", "问题已超期")


def test_the_answers_are_classified():
    assert aliyun.classify("isv.BUSINESS_LIMIT_CONTROL") is aliyun.SmsRetryLater
    assert aliyun.classify("isv.MOBILE_NUMBER_ILLEGAL") is aliyun.SmsRefused
    assert aliyun.classify("isv.SOMETHING_NEW", 200) is aliyun.SmsRetryLater
    assert aliyun.classify("SomethingNew", 403) is aliyun.SmsRefused
    assert tencent.classify("LimitExceeded.PhoneNumberOneHourLimit") is tencent.SmsRetryLater
    assert tencent.classify("LimitExceeded.PhoneNumberCountLimit") is tencent.SmsRefused
    assert tencent.classify("FailedOperation.InsufficientBalanceInSmsPackage") is (
        tencent.SmsRetryLater
    )
    assert tencent.classify("FailedOperation.PhoneNumberInBlacklist") is tencent.SmsRefused
    assert tencent.classify("SomethingNew") is tencent.SmsRetryLater
