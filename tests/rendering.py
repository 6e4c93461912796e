"""What the byte-for-byte rendering comparisons share (tests/issues/test_list_rendering.py,
tests/dashboard/test_dashboard_rendering.py): pages fetched with their CSRF tokens masked,
the site's templates with a folder of reference templates in front, a stopped clock."""

from __future__ import annotations

import re
from contextlib import contextmanager
from pathlib import Path

import time_machine
from django.conf import settings
from django.utils import timezone

_TOKENS = re.compile(r'(csrfmiddlewaretoken" value="|"X-CSRFToken": ")[^"]+')


def page(client, url, language) -> str:
    """The page's HTML with its CSRF tokens masked (each request gets its own)."""
    response = client.get(url, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 200
    return _TOKENS.sub(r"\1…", response.content.decode())


def engine_with(reference_templates: Path) -> dict:
    """The site's template engine, reading `reference_templates` first."""
    engine = settings.TEMPLATES[0]
    return {**engine, "DIRS": [reference_templates, *engine["DIRS"]]}


@contextmanager
def clock_stopped():
    """Both renderings of a comparison at the same moment: a page says when its figures
    are from, to the minute, and how many working days a deadline has left (a comparison
    across a minute's turn failed)."""
    with time_machine.travel(timezone.now(), tick=False):
        yield
