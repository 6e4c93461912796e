"""Demo meetings of the current year: planned, held and in follow-up (a part of seed_meetings)."""

from __future__ import annotations


def seed_current_year(district) -> None:
    """Filled in by the meetings issue."""
