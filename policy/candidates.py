"""Suggested common problems: clusters of similar open problems of several enterprises
not yet linked to a common problem.

The similarity here is a small, self-contained stand-in (character bigrams, Jaccard)
until issues has the one duplicate detection uses (issues/similarity.py on the branch
`merging`, not on main when this was written: `bigrams`, `dice`, `problem_text`). To
unify: use those for `bigrams`/`similarity` (Dice 0.3 is about Jaccard 0.18: set
THRESHOLD accordingly), and leave merged problems out of the pool
(`merged_into__isnull=True`). Bounded: the most recent CANDIDATE_POOL open problems,
one query (the linked ones are a subquery).
"""

from __future__ import annotations

from dataclasses import dataclass

from issues.models import OPEN_STATUSES, Problem, Status

from .models import CommonProblemLink

CANDIDATE_POOL = 500
THRESHOLD = 0.3
MAX_CLUSTERS = 20


def bigrams(text: str) -> frozenset[str]:
    chars = [c for c in text.lower() if c.isalnum()]
    return frozenset(a + b for a, b in zip(chars, chars[1:], strict=False))


def similarity(a: frozenset[str], b: frozenset[str]) -> float:
    """Jaccard index of two bigram sets (0 … 1)."""
    if not a or not b:
        return 0.0
    return len(a & b) / len(a | b)


@dataclass
class Cluster:
    problems: list[Problem]

    @property
    def enterprises(self) -> int:
        return len({p.enterprise_id for p in self.problems})

    @property
    def references(self) -> str:
        return " ".join(p.reference for p in self.problems)


def clusters(*, pool: int = CANDIDATE_POOL, threshold: float = THRESHOLD) -> list[Cluster]:
    """Groups of similar unlinked open problems spanning at least two enterprises."""
    linked = CommonProblemLink.objects.values("problem_id")
    problems = list(
        Problem.objects.filter(status__in=[Status.SUBMITTED, *OPEN_STATUSES])
        .exclude(pk__in=linked)
        .select_related("enterprise", "category")
        .only(
            "pk",
            "reference",
            "title",
            "description",
            "status",
            "created_at",
            "enterprise__name",
            "category__name_zh",
            "category__name_en",
        )
        .order_by("-created_at", "-pk")[:pool]
    )
    grams = [bigrams(p.title + " " + p.description[:300]) for p in problems]
    # Only pairs sharing a bigram are compared (an inverted index), not every pair.
    index: dict[str, list[int]] = {}
    for i, g in enumerate(grams):
        for gram in g:
            index.setdefault(gram, []).append(i)
    parent = list(range(len(problems)))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, g in enumerate(grams):
        seen: set[int] = set()
        for gram in g:
            seen.update(j for j in index[gram] if j > i)
        for j in seen:
            if problems[i].enterprise_id == problems[j].enterprise_id:
                continue
            if similarity(g, grams[j]) >= threshold:
                parent[find(j)] = find(i)
    groups: dict[int, list[Problem]] = {}
    for i, problem in enumerate(problems):
        groups.setdefault(find(i), []).append(problem)
    found = [Cluster(problems=group) for group in groups.values() if len(group) > 1]
    found = [c for c in found if c.enterprises > 1]
    found.sort(key=lambda c: (-c.enterprises, -len(c.problems)))
    return found[:MAX_CLUSTERS]
