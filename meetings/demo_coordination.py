"""Demo coordination meetings with action items (a step of seed_demo)."""

from __future__ import annotations


def seed_coordination(district) -> None:
    """Two coordination meetings with action items (filled in by the meetings issue)."""
