"""What a reader sees of a page's dates: its text, without tags, attributes or scripts.

Pages print dates in the reader's language (2025年10月16日, 16 Oct 2025); ISO dates belong
only in machine values (`datetime=`, `value=`, `data-*`, links), which are attributes.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser

# 2025-10-16, not a problem's reference (2025-00001) nor a time (10:00).
ISO_DATE = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")


class _Text(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style", "template"):
            self._hidden += 1

    def handle_endtag(self, tag):
        if tag in ("script", "style", "template") and self._hidden:
            self._hidden -= 1

    def handle_data(self, data):
        if not self._hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    """The page's text as a reader sees it, white space collapsed."""
    parser = _Text()
    parser.feed(html)
    return " ".join(" ".join(parser.parts).split())


def iso_dates_in_text(html: str) -> list[str]:
    """ISO dates a reader would see on the page (there should be none)."""
    return ISO_DATE.findall(visible_text(html))
