"""Tencent Cloud SMS (腾讯云短信, API 2021-01-11 SendSms) through its official SDK
(the product's own package, tencentcloud-sdk-python-sms, on the common one)."""

from __future__ import annotations

import logging

from tencentcloud.common import credential
from tencentcloud.common.exception.tencent_cloud_sdk_exception import TencentCloudSDKException
from tencentcloud.common.profile.client_profile import ClientProfile
from tencentcloud.common.profile.http_profile import HttpProfile
from tencentcloud.sms.v20210111 import models as tc_sms
from tencentcloud.sms.v20210111.sms_client import SmsClient

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

PROVIDER = "tencent"
DEFAULT_HOST = "sms.tencentcloudapi.com"
DEFAULT_REGION = "ap-guangzhou"
SENT = "Ok"

# "Not now": frequency and daily limits, the gateway's own trouble, no answer (the SDK's
# ClientNetworkError, and ServerNetworkError for an HTTP status other than 200), the
# package's balance or an account in arrears (the office can top it up).
RETRY_CODES = frozenset(
    {
        "ClientNetworkError",
        "ServerNetworkError",
        "ServiceUnavailable",
        "FailedOperation.InsufficientBalanceInSmsPackage",
        "UnauthorizedOperation.ServiceSuspendDueToArrears",
    }
)
RETRY_PREFIXES = ("RequestLimitExceeded", "LimitExceeded", "InternalError")
# Refused for good although their prefix says "not now": too many numbers in one request,
# a country on the blacklist, the request's signature not verified (wrong key).
REFUSED_CODES = frozenset(
    {
        "LimitExceeded.PhoneNumberCountLimit",
        "LimitExceeded.AppCountryOrRegionInBlacklist",
        "InternalError.SigFieldMissing",
        "InternalError.SigVerificationFail",
        "InternalError.RestApiInterfaceNotExist",
    }
)
REFUSED_PREFIXES = (
    "AuthFailure",
    "FailedOperation",
    "InvalidParameter",
    "MissingParameter",
    "UnauthorizedOperation",
    "UnsupportedOperation",
    "UnknownParameter",
    "InvalidAction",
)


def classify(code: str) -> type[SmsRetryLater] | type[SmsRefused]:
    """Retry or refused, for an answer that is not "Ok". An unknown code is tried again
    (the attempts are bounded, and the code is kept on the row either way)."""
    if code in REFUSED_CODES:
        return SmsRefused
    if code in RETRY_CODES or code.startswith(RETRY_PREFIXES):
        return SmsRetryLater
    if code.startswith(REFUSED_PREFIXES):
        return SmsRefused
    return SmsRetryLater


class TencentSmsBackend(GatewayBackend):
    """LIAISON_SMS_BACKEND = "notifications.sms.tencent.TencentSmsBackend"."""

    provider = PROVIDER
    required_settings = {
        "LIAISON_SMS_TENCENT_SECRET_ID": "the API key's SecretId",
        "LIAISON_SMS_TENCENT_SECRET_KEY": "its SecretKey",
        "LIAISON_SMS_TENCENT_SDK_APP_ID": "the SMS application's SdkAppId",
        "LIAISON_SMS_SIGN_NAME": "the approved signature (签名)",
    }

    def __init__(self) -> None:
        super().__init__()
        where = endpoint(DEFAULT_HOST)
        # requests takes (connect, read); the SDK hands reqTimeout to it unchanged.
        http = HttpProfile(protocol=where.scheme, endpoint=where.host, reqTimeout=timeouts())
        self.client = SmsClient(
            credential.Credential(
                self.setting("LIAISON_SMS_TENCENT_SECRET_ID"),
                self.setting("LIAISON_SMS_TENCENT_SECRET_KEY"),
            ),
            self.setting("LIAISON_SMS_TENCENT_REGION") or DEFAULT_REGION,
            ClientProfile(httpProfile=http),
        )
        self.app_id = self.setting("LIAISON_SMS_TENCENT_SDK_APP_ID")
        self.sign_name = self.setting("LIAISON_SMS_SIGN_NAME")

    def send(self, message: SmsMessage) -> None:
        template = template_for(message.kind)
        number = mainland_number(message.phone)
        request = tc_sms.SendSmsRequest()
        request.PhoneNumberSet = [number if number.startswith("+") else f"+86{number}"]
        request.SmsSdkAppId = self.app_id
        request.SignName = self.sign_name
        request.TemplateId = template.code
        request.TemplateParamSet = [value for _, value in template.values(message)]
        # Returned with the answer and in delivery receipts: a message sent twice is
        # traced to its row.
        request.SessionContext = str(message.outbox_id)
        try:
            response = self.client.SendSms(request)
        except TencentCloudSDKException as error:
            code = error.code or "unknown"
            raise classify(code)(
                PROVIDER, code, str(error.message or ""), error.requestId or ""
            ) from error
        except Exception as error:  # a broken reply the SDK did not wrap
            raise SmsRetryLater(PROVIDER, "network", f"{type(error).__name__}: {error}") from error
        # The request succeeded; each number has its own outcome (we send to one).
        statuses = response.SendStatusSet or []
        if not statuses:
            raise SmsRetryLater(PROVIDER, "empty", "no SendStatusSet", response.RequestId or "")
        status = statuses[0]
        if status.Code != SENT:
            raise classify(status.Code or "")(
                PROVIDER, status.Code or "", status.Message or "", response.RequestId or ""
            )
        logger.info(
            "SMS %s sent through Tencent Cloud: SerialNo %s", message.outbox_id, status.SerialNo
        )
