"""Local fakes of the Alibaba Cloud and Tencent Cloud SMS APIs, for the real SDKs to talk to.

Each serves plain HTTP on 127.0.0.1 in a thread, parses what the SDK sent (action, numbers,
template, signature, parameters, out id / session context) into `requests`, and answers
with the next of `answers` in the provider's own JSON shapes (the last one repeats).
`HANG` answers nothing until the test ends: the SDK's read timeout must give up.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, urlsplit

HANG = "hang"


@dataclass
class Sent:
    action: str
    phones: list[str]
    template: str
    sign_name: str
    params: object  # Alibaba: {name: value}; Tencent: [value, ...]
    out_id: str
    extra: dict = field(default_factory=dict)


class FakeGateway:
    def __init__(self) -> None:
        self.requests: list[Sent] = []
        self.answers: list = []
        self.release = threading.Event()
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length)
                gateway.requests.append(gateway.parse(self.path, dict(self.headers), body))
                answer = gateway.answers[0] if len(gateway.answers) == 1 else gateway.answers.pop(0)
                if answer == HANG:
                    gateway.release.wait(30)
                    return
                status, payload = answer
                data = json.dumps(payload, ensure_ascii=False).encode()
                self.send_response(status)
                self.send_header("Content-Type", gateway.content_type)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


class FakeAliyun(FakeGateway):
    """Dysmsapi 2017-05-25: SendSms's arguments in the query (or a form body), JSON answers."""

    content_type = "application/json;charset=utf-8"

    def parse(self, path: str, headers: dict, body: bytes) -> Sent:
        query = dict(parse_qsl(urlsplit(path).query))
        query.update(parse_qsl(body.decode()))
        lower = {k.lower(): v for k, v in headers.items()}
        return Sent(
            action=lower.get("x-acs-action") or query.get("Action", ""),
            phones=query.get("PhoneNumbers", "").split(","),
            template=query.get("TemplateCode", ""),
            sign_name=query.get("SignName", ""),
            params=json.loads(query.get("TemplateParam") or "{}"),
            out_id=query.get("OutId", ""),
            extra={"authorization": lower.get("authorization", "")},
        )

    @staticmethod
    def ok():
        return 200, {
            "Code": "OK",
            "Message": "OK",
            "BizId": "900619746936498440^0",
            "RequestId": "F655A8D5-B967-440B-8683-DAD6FF8DE990",
        }

    @staticmethod
    def error(code: str, message: str, status: int = 200):
        return status, {
            "Code": code,
            "Message": message,
            "RequestId": "A1B2C3D4-0000-4000-8000-ALIYUNREQID1",
        }


class FakeTencent(FakeGateway):
    """SMS 2021-01-11: a JSON body, the action in X-TC-Action, answers under "Response"."""

    content_type = "application/json"

    def parse(self, path: str, headers: dict, body: bytes) -> Sent:
        data = json.loads(body or b"{}")
        lower = {k.lower(): v for k, v in headers.items()}
        return Sent(
            action=lower.get("x-tc-action", ""),
            phones=data.get("PhoneNumberSet", []),
            template=data.get("TemplateId", ""),
            sign_name=data.get("SignName", ""),
            params=data.get("TemplateParamSet", []),
            out_id=data.get("SessionContext", ""),
            extra={"app_id": data.get("SmsSdkAppId", ""), "region": lower.get("x-tc-region")},
        )

    @staticmethod
    def status(code: str = "Ok", message: str = "send success", phone: str = "+8613800138000"):
        return 200, {
            "Response": {
                "SendStatusSet": [
                    {
                        "SerialNo": "5000:1045710669157053657849499619",
                        "PhoneNumber": phone,
                        "Fee": 1 if code == "Ok" else 0,
                        "SessionContext": "",
                        "Code": code,
                        "Message": message,
                        "IsoCode": "CN",
                    }
                ],
                "RequestId": "a0aabda6-cf91-4f3e-a81f-9198114a2279",
            }
        }

    @staticmethod
    def error(code: str, message: str):
        return 200, {
            "Response": {
                "Error": {"Code": code, "Message": message},
                "RequestId": "b1bbcdb7-0000-4000-8000-tencentreqid",
            }
        }
