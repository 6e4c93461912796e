"""Alibaba Cloud SMS (阿里云短信服务, Dysmsapi 2017-05-25 SendSms) through its official SDK."""

from __future__ import annotations

import json
import logging

from alibabacloud_dysmsapi20170525 import models as dysms
from alibabacloud_dysmsapi20170525.client import Client
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException
from alibabacloud_tea_openapi.models import Config
from darabonba.runtime import RuntimeOptions

from .gateway import (
    GatewayBackend,
    SmsMessage,
    SmsRefused,
    SmsRetryLater,
    endpoint,
    mainland_number,
    template_for,
    timeouts,
)

logger = logging.getLogger(__name__)

PROVIDER = "aliyun"
DEFAULT_HOST = "dysmsapi.aliyuncs.com"

# Answers that say "not now": throttling, the account's daily cap or balance (the
# office can top it up), the gateway's own trouble.
RETRY_CODES = frozenset(
    {
        "isv.BUSINESS_LIMIT_CONTROL",
        "isv.DAY_LIMIT_CONTROL",
        "isv.AMOUNT_NOT_ENOUGH",
        "isv.OUT_OF_SERVICE",
        "isv.SYSTEM_ERROR",
        "isp.SYSTEM_ERROR",
        "SignatureNonceUsed",
    }
)
RETRY_PREFIXES = ("Throttling", "ServiceUnavailable", "InternalError")
# Answers that no later attempt can change: the number, the template, the signature,
# the content, the credentials or the account's rights.
REFUSED_CODES = frozenset(
    {
        "isv.MOBILE_NUMBER_ILLEGAL",
        "isv.MOBILE_COUNT_OVER_LIMIT",
        "isv.DOMESTIC_NUMBER_NOT_SUPPORTED",
        "isv.SMS_TEMPLATE_ILLEGAL",
        "isv.SMS_SIGNATURE_ILLEGAL",
        "isv.SMS_SIGN_ILLEGAL",
        "isv.SMS_SIGNATURE_SCENE_ILLEGAL",
        "isv.TEMPLATE_MISSING_PARAMETERS",
        "isv.TEMPLATE_PARAMS_ILLEGAL",
        "isv.INVALID_PARAMETERS",
        "isv.INVALID_JSON_PARAM",
        "isv.PARAM_LENGTH_LIMIT",
        "isv.PARAM_NOT_SUPPORT_URL",
        "isv.SMS_CONTENT_ILLEGAL",
        "isv.BLACK_KEY_CONTROL_LIMIT",
        "isv.EXTEND_CODE_ERROR",
        "isv.ACCOUNT_NOT_EXISTS",
        "isv.ACCOUNT_ABNORMAL",
        "isv.PRODUCT_UN_SUBSCRIPT",
        "isv.PRODUCT_UNSUBSCRIBE",
        "isv.DENY_IP_RANGE",
        "isv.RAM_PERMISSION_DENY",
        "isp.RAM_PERMISSION_DENY",
    }
)
REFUSED_PREFIXES = (
    "InvalidAccessKeyId",
    "InvalidAccessKeySecret",
    "SignatureDoesNotMatch",
    "IncompleteSignature",
    "Forbidden",
    "NoPermission",
    "isv.SMS_TEST_",
)


def classify(code: str, status: int = 200) -> type[SmsRetryLater] | type[SmsRefused]:
    """Retry or refused, for an answer that is not "OK". An unknown code in a 4xx answer is
    a request the gateway will never take; otherwise it is tried again (the attempts are
    bounded, and the code is kept on the row either way)."""
    if code in RETRY_CODES or code.startswith(RETRY_PREFIXES):
        return SmsRetryLater
    if code in REFUSED_CODES or code.startswith(REFUSED_PREFIXES):
        return SmsRefused
    return SmsRefused if 400 <= status < 500 else SmsRetryLater


class AliyunSmsBackend(GatewayBackend):
    """LIAISON_SMS_BACKEND = "notifications.sms.aliyun.AliyunSmsBackend"."""

    provider = PROVIDER
    required_settings = {
        "LIAISON_SMS_ALIYUN_ACCESS_KEY_ID": "the RAM user's AccessKey ID",
        "LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET": "its AccessKey secret",
        "LIAISON_SMS_SIGN_NAME": "the approved signature (签名)",
    }

    def __init__(self) -> None:
        super().__init__()
        where = endpoint(DEFAULT_HOST)
        connect, read = timeouts()
        self.client = Client(
            Config(
                access_key_id=self.setting("LIAISON_SMS_ALIYUN_ACCESS_KEY_ID"),
                access_key_secret=self.setting("LIAISON_SMS_ALIYUN_ACCESS_KEY_SECRET"),
                endpoint=where.host,
                protocol=where.scheme,
                connect_timeout=int(connect * 1000),
                read_timeout=int(read * 1000),
            )
        )
        self.sign_name = self.setting("LIAISON_SMS_SIGN_NAME")

    def send(self, message: SmsMessage) -> None:
        template = template_for(message.kind)
        request = dysms.SendSmsRequest(
            phone_numbers=mainland_number(message.phone).lstrip("+"),
            sign_name=self.sign_name,
            template_code=template.code,
            template_param=json.dumps(dict(template.values(message)), ensure_ascii=False),
            # Echoed in delivery receipts: a message sent twice is traced to its row.
            out_id=str(message.outbox_id),
        )
        try:
            response = self.client.send_sms_with_options(request, RuntimeOptions())
        except AlibabaCloudException as error:
            # The SDK writes a missing code as the text "None".
            code = (
                error.code if error.code not in (None, "", "None") else f"HTTP {error.status_code}"
            )
            kind = SmsRetryLater if isinstance(error, ThrottlingException) else None
            kind = kind or classify(code, error.status_code or 0)
            raise kind(PROVIDER, code, _provider_message(error), error.request_id or "") from error
        except Exception as error:  # no answer: refused connection, timeout, broken reply
            raise SmsRetryLater(PROVIDER, "network", f"{type(error).__name__}: {error}") from error
        body = response.body
        if body.code != "OK":
            raise classify(body.code or "")(
                PROVIDER, body.code or "", body.message or "", body.request_id or ""
            )
        logger.info("SMS %s sent through Alibaba Cloud: BizId %s", message.outbox_id, body.biz_id)


def _provider_message(error: AlibabaCloudException) -> str:
    """The gateway's own message (the SDK's text adds the status and the request id)."""
    data = getattr(error, "data", None) or {}
    return str(data.get("Message") or data.get("message") or error.message or "")
