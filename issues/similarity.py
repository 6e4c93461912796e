"""Possible duplicates of a problem among other enterprises' open problems (并单 at triage).

Chinese text similarity on title + description: the Dice coefficient of the two texts'
sets of character bigrams (two consecutive letters, digits or CJK characters; runs of
Latin letters or digits count as one token). Computed in Python over a bounded set of
candidates read in one query (the CANDIDATES most recent open problems of the last
CANDIDATE_DAYS days, merged ones excepted), the same on PostgreSQL and SQLite.

Why not pg_trgm: checked on this project's PostgreSQL (ctype C.UTF-8): pg_trgm does
make trigrams of CJK text, but a Chinese sentence has no spaces, so it is one long
"word" cut into three-character pieces, while Chinese words are mostly two characters.
"园区企业招工难问题" / "企业招工困难问题" scores 0.27 with pg_trgm and 0.67 with bigrams;
"毛衫企业用电成本高" / "毛衫厂电费负担重" 0.12 with pg_trgm. Bigrams are what Chinese text
search uses (the pg_bigm extension, Lucene's CJK analyser); pg_bigm is not in
PostgreSQL's contrib, so the bigrams are computed here over the bounded candidates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone

from .models import OPEN_STATUSES, Problem

# How far back and how many open problems are compared (one query, bounded).
CANDIDATE_DAYS = 120
CANDIDATES = 300
# A pair scoring at least this is shown as a possible duplicate; at most SHOWN of them.
THRESHOLD = 0.3
SHOWN = 5
# Only the start of a long description is compared.
TEXT_CHARS = 600

_TOKEN = re.compile(r"[a-z0-9]+|[^\W\d_a-z]", re.IGNORECASE | re.UNICODE)


def tokens(text: str) -> list[str]:
    """CJK characters one by one, runs of Latin letters or digits as one token."""
    return [token.lower() for token in _TOKEN.findall(text or "")]


def bigrams(text: str) -> frozenset[str]:
    parts = tokens(text)
    if len(parts) == 1:
        return frozenset(parts)
    return frozenset(a + "\x00" + b for a, b in zip(parts, parts[1:], strict=False))


def dice(a: frozenset[str], b: frozenset[str]) -> float:
    """2·|A∩B| / (|A|+|B|), 0 when both are empty."""
    if not a or not b:
        return 0.0
    return 2 * len(a & b) / (len(a) + len(b))


def problem_text(problem: Problem) -> str:
    return f"{problem.title}\n{(problem.description or '')[:TEXT_CHARS]}"


@dataclass(frozen=True)
class Match:
    problem: Problem
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def candidates(*, now: dt.datetime | None = None) -> list[Problem]:
    """The open problems a new one is compared with: one query, at most CANDIDATES rows."""
    now = now or timezone.now()
    return list(
        Problem.objects.filter(
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            created_at__gte=now - dt.timedelta(days=CANDIDATE_DAYS),
        )
        .select_related("enterprise", "lead_department")
        .order_by("-created_at", "-id")[:CANDIDATES]
    )


def possible_duplicates(
    problem: Problem, pool: Iterable[Problem], *, threshold: float = THRESHOLD
) -> list[Match]:
    """The problems of `pool` from other enterprises most like `problem`, best first."""
    own = bigrams(problem_text(problem))
    matches = []
    for other in pool:
        if other.pk == problem.pk or other.enterprise_id == problem.enterprise_id:
            continue
        score = dice(own, _bigrams_of(other))
        if score >= threshold:
            matches.append(Match(other, score))
    matches.sort(key=lambda m: (-m.score, -m.problem.pk))
    return matches[:SHOWN]


def _bigrams_of(problem: Problem) -> frozenset[str]:
    cached = getattr(problem, "_bigrams", None)
    if cached is None:
        cached = problem._bigrams = bigrams(problem_text(problem))
    return cached
