"""Suggested common problems: clusters of similar open problems of several enterprises
not yet linked to a common problem.

The similarity is the one duplicate detection uses (issues.similarity: the Dice
coefficient of the texts' character bigrams). Bounded: the most recent CANDIDATE_POOL
open problems not merged into another (one query; the linked ones are a subquery).
"""

from __future__ import annotations

from dataclasses import dataclass

from issues import similarity
from issues.models import OPEN_STATUSES, Problem, Status

from .models import CommonProblemLink

CANDIDATE_POOL = 500
THRESHOLD = similarity.THRESHOLD
MAX_CLUSTERS = 20


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
        Problem.objects.filter(
            status__in=[Status.SUBMITTED, *OPEN_STATUSES], merged_into__isnull=True
        )
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
    grams = [similarity.bigrams(similarity.problem_text(p)) for p in problems]
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
            if similarity.dice(g, grams[j]) >= threshold:
                parent[find(j)] = find(i)
    groups: dict[int, list[Problem]] = {}
    for i, problem in enumerate(problems):
        groups.setdefault(find(i), []).append(problem)
    found = [Cluster(problems=group) for group in groups.values() if len(group) > 1]
    found = [c for c in found if c.enterprises > 1]
    found.sort(key=lambda c: (-c.enterprises, -len(c.problems)))
    return found[:MAX_CLUSTERS]
