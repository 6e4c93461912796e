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

What a triage page costs (issue 18): the candidates are read as plain rows with only
what the comparison and the panels use (the description cut to TEXT_CHARS by the
database), and a problem instance is made only for a candidate shown; each text's
bigrams are kept between requests in a bounded per-process cache keyed by the compared
text itself (an edited title or description is a new key, never a stale set); a pair
whose set sizes alone keep it under the threshold is not intersected; and a page's
matches are kept for as long as the candidates read are the same (same problems, same
enterprises, same texts), so a page viewed again computes only what is new.
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
from django.utils.functional import cached_property

from .models import OPEN_STATUSES, Problem

# How far back and how many open problems are compared (one query, bounded).
CANDIDATE_DAYS = 120
CANDIDATES = 300
# A pair scoring at least this is shown as a possible duplicate; at most SHOWN of them.
THRESHOLD = 0.3
SHOWN = 5
# Only the start of a long description is compared.
TEXT_CHARS = 600
# The texts whose bigrams a process keeps, and the problems whose matches it keeps: the
# candidates and many pages of new problems. A kept text costs its set's table (at most
# ~33 KB, for 720 different bigrams; mostly far less) and those of its bigrams no other
# kept text has (they are interned strings, shared: Chinese texts share most).
CACHED_TEXTS = 1024

# The start of the description a candidate is compared with, cut by the database.
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
    return f"{problem.title}\n{(problem.description or '')[:TEXT_CHARS]}"


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


class Candidate:
    """An open problem as read for the comparison: its row; `problem` makes the instance
    the duplicates panels show (its reference, title and enterprise's name; any other
    field read from it costs a query)."""

    def __init__(self, row: tuple, db: str) -> None:
        self.pk, self.reference, self.title, self.enterprise_id, self.enterprise_name, start = row
        self.text = f"{self.title}\n{start or ''}"
        self.db = db

    @cached_property
    def problem(self) -> Problem:
        problem = _from_db(
            Problem,
            self.db,
            id=self.pk,
            reference=self.reference,
            title=self.title,
            enterprise_id=self.enterprise_id,
        )
        enterprise_field = Problem._meta.get_field("enterprise")
        enterprise = _from_db(
            enterprise_field.related_model,
            self.db,
            id=self.enterprise_id,
            name=self.enterprise_name,
        )
        enterprise_field.set_cached_value(problem, enterprise)
        return problem


def _from_db(model, db: str, **values):
    """An instance of `model` as a query reading only `values` would make it (from_db
    takes the values in the model's field order; the other fields are deferred)."""
    names = [f.attname for f in model._meta.concrete_fields if f.attname in values]
    return model.from_db(db, names, [values[name] for name in names])


def candidates(*, now: dt.datetime | None = None) -> list[Candidate]:
    """The open problems a new one is compared with: one query, at most CANDIDATES rows."""
    now = now or timezone.now()
    rows = (
        Problem.objects.filter(
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            created_at__gte=now - dt.timedelta(days=CANDIDATE_DAYS),
        )
        .annotate(**{DESCRIPTION_START: Substr("description", 1, TEXT_CHARS)})
        .order_by("-created_at", "-id")
        .values_list(
            "pk", "reference", "title", "enterprise_id", "enterprise__name", DESCRIPTION_START
        )
    )[:CANDIDATES]
    db = rows.db
    return [Candidate(row, db) for row in rows]


def possible_duplicates(
    problem: Problem, pool: Iterable[Problem | Candidate], *, threshold: float = THRESHOLD
) -> list[Match]:
    """The problems of `pool` from other enterprises most like `problem`, best first."""
    entries = _entries(pool)
    found = _best(text_bigrams(problem_text(problem)), problem, entries, _grams(entries), threshold)
    return [Match(_shown(entries[position][0]), score) for position, score in found]


# The matches last computed, by problem, and the candidates they were computed among.
_kept: tuple[tuple, dict] = ((), {})


def possible_duplicates_of_each(
    problems: Iterable[Problem],
    pool: Iterable[Problem | Candidate],
    *,
    threshold: float = THRESHOLD,
) -> dict[int, list[Match]]:
    """possible_duplicates of each of `problems` in the same pool, by primary key. A
    problem's matches are computed again only if its text or the candidates changed."""
    global _kept
    entries = _entries(pool)
    signature = tuple(entry[1:] for entry in entries)
    kept_signature, kept = _kept
    if kept_signature != signature:
        kept = {}
        _kept = (signature, kept)
    grams = None
    each = {}
    for problem in problems:
        text = problem_text(problem)
        key = (problem.pk, problem.enterprise_id, text, threshold)
        found = kept.get(key)
        if found is None:
            grams = grams or _grams(entries)
            found = _best(text_bigrams(text), problem, entries, grams, threshold)
            if len(kept) >= CACHED_TEXTS:
                kept.clear()
            kept[key] = found
        each[problem.pk] = [Match(_shown(entries[position][0]), score) for position, score in found]
    return each


# A candidate as compared: the candidate, its primary key, enterprise and text (read once,
# not per pair).
Entry = tuple[Problem | Candidate, int, int, str]


def _entries(pool: Iterable[Problem | Candidate]) -> list[Entry]:
    return [
        (
            other,
            other.pk,
            other.enterprise_id,
            other.text if isinstance(other, Candidate) else problem_text(other),
        )
        for other in pool
    ]


def _grams(entries: list[Entry]) -> list[tuple[frozenset[str], int]]:
    grams = []
    for entry in entries:
        found = text_bigrams(entry[3])
        grams.append((found, len(found)))
    return grams


def _shown(other: Problem | Candidate) -> Problem:
    return other.problem if isinstance(other, Candidate) else other


def _best(
    own: frozenset[str],
    problem: Problem,
    entries: list[Entry],
    grams: list[tuple[frozenset[str], int]],
    threshold: float,
) -> list[tuple[int, float]]:
    """The positions in `entries` of the SHOWN best matches of `problem`, with scores."""
    size = len(own)
    pk, enterprise_id = problem.pk, problem.enterprise_id
    # (-score, -pk, position): the order shown, best first, the higher primary key first
    # among equals.
    found = []
    for position, ((_, other_pk, other_enterprise_id, _), (other_grams, other_size)) in enumerate(
        zip(entries, grams, strict=True)
    ):
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
            score = 2 * len(own & other_grams) / total
        if score >= threshold:
            found.append((-score, -other_pk, position))
    return [(position, -score) for score, _, position in nsmallest(SHOWN, found)]
