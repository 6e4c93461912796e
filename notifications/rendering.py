"""A rendered message, its HTML part filled in on demand, and where its links point.

Texts are rendered by the apps that know what a message is about (issues renders a
problem's events); an e-mail's HTML part may be rendered only when it is sent, by the
renderer registered for its kind (`register_html_renderer`).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings

# Renders the HTML part of an outbox row whose body_html was left empty (an event's
# e-mail: storing the HTML of every row would make the sweep's INSERT many times larger).
HtmlRenderer = Callable[[object], str]
_html_renderers: list[HtmlRenderer] = []


def register_html_renderer(renderer: HtmlRenderer) -> HtmlRenderer:
    """Add a renderer called with a Notification; it returns its HTML part, or "" if the
    row is not one of its own."""
    if renderer not in _html_renderers:
        _html_renderers.append(renderer)
    return renderer


def html_of(notification) -> str:
    """The HTML part of a row stored without one, rendered at sending time."""
    for renderer in _html_renderers:
        html = renderer(notification)
        if html:
            return html
    return ""


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    sms: str
    path: str
    in_app: str = ""  # a grouped message's text in the app
    # The HTML part is only needed when an e-mail is sent: rendered on demand by
    # `render_html` (the template and values of this message), unless already rendered.
    render_html: Callable[[], str] | None = None
    rendered_html: str = ""

    @property
    def html(self) -> str:
        if self.rendered_html:
            return self.rendered_html
        return self.render_html() if self.render_html is not None else ""


def site_url() -> str:
    """Where links in e-mails point: LIAISON_SITE_URL, e.g. https://liaison.example.gov.cn."""
    return getattr(settings, "LIAISON_SITE_URL", "http://127.0.0.1:8000").rstrip("/")
