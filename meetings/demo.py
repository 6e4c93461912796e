"""Demo face-to-face meetings (a step of seed_demo)."""

from __future__ import annotations


def seed_meetings(district) -> None:
    """The past year of the programme and the current year (filled in by the meetings issue)."""


def _current_year(district) -> None:
    from .demo_current import seed_current_year

    seed_current_year(district)
