"""What the SMS gateway backends share: the message, the template mapping, the outcome
of an answer (sent, try again later, refused for good) and the settings they read.

Chinese gateways send only templates approved beforehand, filled with short parameters.
LIAISON_SMS_TEMPLATES maps each notification kind to a template and the parameters it
takes, in its variables' order (Tencent's are positional, Alibaba's named); the
`default` entry is the fallback for every kind without one of its own.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

# What a template's parameter can carry, from the outbox row.
PARAM_SOURCES = frozenset({"text", "subject", "link"})
# Gateways cap each variable (Alibaba 35 characters for most kinds of variable);
# a template may set its own "max_length".
DEFAULT_PARAM_MAX_LENGTH = 35
FALLBACK = "default"
_URL_RE = re.compile(r"https?://\S+")


@dataclass(frozen=True)
class SmsMessage:
    """One text message from the outbox, as a backend sends it."""

    outbox_id: int
    phone: str
    kind: str
    # The text written for SMS (a headline and the link to the page).
    text: str
    subject: str = ""
    link: str = ""


class SmsError(Exception):
    """A gateway's answer other than "sent": its code and message, kept on the outbox row."""

    def __init__(self, provider: str, code: str, message: str, request_id: str = ""):
        self.provider = provider
        self.code = code
        self.provider_message = message
        self.request_id = request_id
        super().__init__(provider, code, message, request_id)

    def __str__(self) -> str:
        request = f" (request {self.request_id})" if self.request_id else ""
        return f"{self.provider} {self.code}: {self.provider_message}{request}"


class SmsRetryLater(SmsError):
    """The gateway could not take the message now (throttled, its own error, no answer):
    the outbox tries again at the next attempt."""


class SmsRefused(SmsError):
    """The gateway refused this message for good (bad number, template or signature not
    approved, credentials refused): trying again cannot help; the office sees why."""


@dataclass(frozen=True)
class Template:
    code: str
    # (the template's variable name, the source of its value) in the template's order.
    params: tuple[tuple[str, str], ...]
    max_length: int = DEFAULT_PARAM_MAX_LENGTH

    def values(self, message: SmsMessage) -> list[tuple[str, str]]:
        """The template's variables filled from the message, each within max_length."""
        sources = {
            # Gateways refuse links inside a variable unless the template allows one.
            "text": " ".join(_URL_RE.sub(" ", message.text).split()),
            "subject": " ".join(message.subject.split()),
            "link": message.link,
        }
        return [(name, _shorten(sources[source], self.max_length)) for name, source in self.params]


def _shorten(value: str, limit: int) -> str:
    return value if len(value) <= limit else value[: limit - 1] + "…"


def templates_from(raw) -> dict[str, Template]:
    """LIAISON_SMS_TEMPLATES (JSON text, or the parsed dict) as {kind: Template}.

    Each entry: {"template": "SMS_123", "params": ["text"]}, where params is a list of
    sources (the template's variables are named after them) or an object
    {"variable": "source"}; optional "max_length". Raises ImproperlyConfigured saying
    what is wrong.
    """
    if isinstance(raw, str):
        if not raw.strip():
            return {}
        try:
            raw = json.loads(raw)
        except ValueError as error:
            raise ImproperlyConfigured(
                f"LIAISON_SMS_TEMPLATES is not valid JSON: {error}"
            ) from None
    if not isinstance(raw, dict):
        raise ImproperlyConfigured("LIAISON_SMS_TEMPLATES must be a JSON object {kind: template}")
    templates = {}
    for kind, entry in raw.items():
        where = f"LIAISON_SMS_TEMPLATES[{kind!r}]"
        if not isinstance(entry, dict) or not str(entry.get("template") or "").strip():
            raise ImproperlyConfigured(f'{where} needs "template": the approved template code')
        params = entry.get("params", ["text"])
        if isinstance(params, list):
            params = {name: name for name in params}
        if not isinstance(params, dict):
            raise ImproperlyConfigured(f'{where}["params"] must be a list or an object')
        unknown = sorted(str(s) for s in params.values() if s not in PARAM_SOURCES)
        if unknown:
            raise ImproperlyConfigured(
                f"{where} uses unknown parameter(s) {', '.join(unknown)}; "
                f"known: {', '.join(sorted(PARAM_SOURCES))}"
            )
        max_length = entry.get("max_length", DEFAULT_PARAM_MAX_LENGTH)
        if not isinstance(max_length, int) or max_length < 2:
            raise ImproperlyConfigured(f'{where}["max_length"] must be a whole number above 1')
        templates[kind] = Template(
            code=str(entry["template"]).strip(),
            params=tuple((str(name), source) for name, source in params.items()),
            max_length=max_length,
        )
    return templates


def template_for(kind: str) -> Template:
    """The template of this kind of notification, or the fallback."""
    templates = templates_from(getattr(settings, "LIAISON_SMS_TEMPLATES", ""))
    template = templates.get(kind) or templates.get(FALLBACK)
    if template is None:
        raise ImproperlyConfigured(f'LIAISON_SMS_TEMPLATES has no "{FALLBACK}" template')
    return template


@dataclass(frozen=True)
class Endpoint:
    scheme: str
    host: str  # host[:port]


def endpoint(default_host: str) -> Endpoint:
    """LIAISON_SMS_ENDPOINT (e.g. https://dysmsapi.aliyuncs.com) or the provider's own."""
    raw = (getattr(settings, "LIAISON_SMS_ENDPOINT", "") or "").strip()
    if not raw:
        return Endpoint("https", default_host)
    parts = urlsplit(raw if "://" in raw else f"https://{raw}")
    return Endpoint(parts.scheme or "https", parts.netloc or default_host)


def timeouts() -> tuple[float, float]:
    """(connect, read) in seconds: a gateway that does not answer fails the attempt fast."""
    return (
        float(getattr(settings, "LIAISON_SMS_CONNECT_TIMEOUT", 5)),
        float(getattr(settings, "LIAISON_SMS_READ_TIMEOUT", 10)),
    )


def mainland_number(phone: str) -> str:
    """The number without separators and without +86 / 0086 (the gateways' domestic form)."""
    compact = re.sub(r"[\s\-()（）]", "", phone).replace("＋", "+")
    return re.sub(r"^(?:\+|00)86", "", compact)


class GatewayBackend:
    """A backend that sends through a real gateway: its settings are checked at startup
    (notifications.checks) and again when it is built, so a missing one is an error
    that names it, never a message silently dropped."""

    provider = ""
    # Settings that must not be empty, with what each is.
    required_settings: dict[str, str] = {}

    @classmethod
    def configuration_problems(cls) -> list[str]:
        problems = [
            f"{name} is not set ({what})"
            for name, what in cls.required_settings.items()
            if not str(getattr(settings, name, "") or "").strip()
        ]
        try:
            templates = templates_from(getattr(settings, "LIAISON_SMS_TEMPLATES", ""))
        except ImproperlyConfigured as error:
            problems.append(str(error))
        else:
            if FALLBACK not in templates:
                problems.append(
                    f'LIAISON_SMS_TEMPLATES has no "{FALLBACK}" template (the fallback for '
                    "every kind of notification without a template of its own)"
                )
        try:
            connect, read = timeouts()
        except (TypeError, ValueError):
            problems.append("LIAISON_SMS_CONNECT_TIMEOUT and LIAISON_SMS_READ_TIMEOUT are seconds")
        else:
            # Within the delivery task's time limit (notifications.tasks, 60 s).
            if not (0 < connect <= 30 and 0 < read <= 30):
                problems.append(
                    "LIAISON_SMS_CONNECT_TIMEOUT and LIAISON_SMS_READ_TIMEOUT must be "
                    "between 0 and 30 seconds"
                )
        return problems

    def __init__(self) -> None:
        problems = self.configuration_problems()
        if problems:
            raise ImproperlyConfigured(f"{self.provider} SMS: " + "; ".join(problems))

    @staticmethod
    def setting(name: str) -> str:
        return str(getattr(settings, name, "") or "").strip()
