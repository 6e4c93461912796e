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

What a triage page costs (issue 18): the candidates are read with only the columns the
comparison and the panels show, the description cut to TEXT_CHARS by the database; each
text's bigrams are kept between requests in a bounded per-process cache keyed by the
compared text itself (so an edited title or description is a new key, never a stale
set); and a pair whose set sizes alone keep it under the threshold is not intersected.
"""

from __future__ import annotations

import datetime as dt
import re
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from heapq import nsmallest

from django.db.models.functions import Substr
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
# The texts whose bigrams a process keeps: the candidates and a few pages of new
# problems, with room for the candidates to turn over (each at most a few KB).
CACHED_TEXTS = 4096

# What a candidate is read with: what the comparison needs (its enterprise, its text:
# the title and DESCRIPTION_START) and what the duplicates panels show of it (its
# reference and title, its enterprise's name).
CANDIDATE_FIELDS = ("pk", "reference", "title", "enterprise__name")
DESCRIPTION_START = "description_start"

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
    """The compared text: the title and the start of the description (read whole, or cut
    by the database as DESCRIPTION_START: the same text)."""
    start = getattr(problem, DESCRIPTION_START, None)
    if start is None:
        start = (problem.description or "")[:TEXT_CHARS]
    return f"{problem.title}\n{start}"


@lru_cache(maxsize=CACHED_TEXTS)
def text_bigrams(text: str) -> frozenset[str]:
    """bigrams(text), kept per process. Keyed by the compared text itself, so an edited
    title or description (however it was edited) is a new key, never a stale set; the
    bigrams are interned, so the texts kept share their common ones."""
    return frozenset(map(sys.intern, bigrams(text)))


@dataclass(frozen=True)
class Match:
    problem: Problem
    score: float

    @property
    def percent(self) -> int:
        return round(self.score * 100)


def candidates(*, now: dt.datetime | None = None) -> list[Problem]:
    """The open problems a new one is compared with: one query, at most CANDIDATES rows,
    each with CANDIDATE_FIELDS and DESCRIPTION_START only (any other field read later
    costs a query)."""
    now = now or timezone.now()
    return list(
        Problem.objects.filter(
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            created_at__gte=now - dt.timedelta(days=CANDIDATE_DAYS),
        )
        .select_related("enterprise")
        .only(*CANDIDATE_FIELDS)
        .annotate(**{DESCRIPTION_START: Substr("description", 1, TEXT_CHARS)})
        .order_by("-created_at", "-id")[:CANDIDATES]
    )


def possible_duplicates(
    problem: Problem, pool: Iterable[Problem], *, threshold: float = THRESHOLD
) -> list[Match]:
    """The problems of `pool` from other enterprises most like `problem`, best first."""
    return _best(text_bigrams(problem_text(problem)), problem, _entries(pool), threshold)


def possible_duplicates_of_each(
    problems: Iterable[Problem], pool: Iterable[Problem], *, threshold: float = THRESHOLD
) -> dict[int, list[Match]]:
    """possible_duplicates of each of `problems` in the same pool, by primary key."""
    entries = _entries(pool)
    return {p.pk: _best(text_bigrams(problem_text(p)), p, entries, threshold) for p in problems}


# A candidate as compared: the problem, its primary key and enterprise (read once, not
# per pair), its bigrams and their number.
Entry = tuple[Problem, int, int, frozenset[str], int]


def _entries(pool: Iterable[Problem]) -> list[Entry]:
    entries = []
    for other in pool:
        grams = text_bigrams(problem_text(other))
        entries.append((other, other.pk, other.enterprise_id, grams, len(grams)))
    return entries


def _best(
    own: frozenset[str], problem: Problem, entries: list[Entry], threshold: float
) -> list[Match]:
    size = len(own)
    pk, enterprise_id = problem.pk, problem.enterprise_id
    # (-score, -pk, position): the order shown, best first, the higher primary key first
    # among equals.
    found = []
    for position, (_, other_pk, other_enterprise_id, grams, other_size) in enumerate(entries):
        if other_pk == pk or other_enterprise_id == enterprise_id:
            continue
        if not size or not other_size:
            score = 0.0
        else:
            total = size + other_size
            # |A∩B| ≤ min(|A|,|B|): a pair that would not reach the threshold even so is
            # not intersected (the same division, so the same rounding: exact).
            if 2 * (size if size < other_size else other_size) / total < threshold:
                continue
            score = 2 * len(own & grams) / total
        if score >= threshold:
            found.append((-score, -other_pk, position))
    return [Match(entries[position][0], -score) for score, _, position in nsmallest(SHOWN, found)]
