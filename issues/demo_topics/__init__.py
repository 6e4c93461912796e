"""Demo problem topics: what an enterprise of each industry raises, and how it is answered.

A topic is a problem as an enterprise would write it (title, description), its
category, the department that leads it and two or three answers, each saying who did
what, by when, with what result. `fits` names traits (one of them is enough) an
enterprise needs to raise the topic; INDUSTRY_TRAITS gives every demo industry its
traits, so a food-licence problem comes only from a food firm and hazardous waste only
from firms that coat, print, dye or handle chemicals. `TopicPicker` hands the topics
out: each title as few times as possible, never twice to one enterprise, and each use
of a title with the next of its answers.

The topics themselves are tables, by kind: `common` (any enterprise), `plant`
(manufacturers: power, land, approvals, environment, safety, utilities), `sectors`
(one industry or town) and `services` (logistics, trade, offices, farms, tourism).
"""

from __future__ import annotations

import datetime as dt
import random
from collections import Counter
from dataclasses import dataclass

from ..models import Problem
from .common import COMMON
from .plant import PLANT
from .sectors import SECTORS
from .services import REJECTED, SERVICES
from .topic import ANY, CATEGORIES, DEFAULT_LEAD, TOWN, Topic, day_text, trait_set

__all__ = [
    "ANSWERED",
    "ANY",
    "CATEGORIES",
    "DEFAULT_LEAD",
    "INDUSTRY_TRAITS",
    "REJECTED",
    "TOPICS",
    "TOWN",
    "Raised",
    "Topic",
    "TopicPicker",
    "day_text",
]

ANSWERED: tuple[Topic, ...] = (*COMMON, *PLANT, *SECTORS, *SERVICES)
TOPICS: tuple[Topic, ...] = (*ANSWERED, *REJECTED)

# Every demo industry (liaison.demo_data.ENTERPRISES) and its traits; every firm is also ANY.
# factory: makes things on its own site; waste: produces hazardous waste (coating,
# printing, dyeing, chemicals, electronics, batteries, medicines); export: sells abroad.
INDUSTRY_TRAITS: dict[str, frozenset[str]] = {
    industry: trait_set(words)
    for industry, words in {
        "纺织（喷水织造）": "factory textile loom export",
        "纺织（丝绸）": "factory textile silk export",
        "纺织（功能面料）": "factory textile tech export",
        "化纤": "factory textile chemfibre waste",
        "纺织印染": "factory textile dyeing waste export",
        "毛衫": "factory sweater export",
        "毛衫（羊绒）": "factory sweater cashmere export",
        "毛衫（电商）": "sweater ecommerce",
        "服装": "factory garment export",
        "服装辅料": "factory garment",
        "智能装备": "factory tech machinery export",
        "智能装备（数控机床）": "factory tech machinery export",
        "智能装备（工业机器人）": "factory tech machinery robot",
        "智能装备（精密机械）": "factory tech machinery export",
        "纺织机械": "factory machinery export",
        "航空零部件": "factory tech machinery aviation export",
        "电气设备": "factory machinery electrical",
        "电线电缆": "factory machinery electrical cable",
        "环保设备": "factory machinery envtech",
        "汽车零部件": "factory auto coating waste export",
        "光伏新能源": "factory tech solar waste export",
        "新能源储能": "factory tech battery waste",
        "生物医药": "factory tech pharma waste",
        "医疗器械": "factory tech meddevice export",
        "电子信息": "factory tech electronics etching waste",
        "光学元件": "factory tech electronics optics export",
        "光电": "factory tech electronics optics",
        "半导体材料": "factory tech electronics etching chemical waste",
        "照明电器": "factory electronics electrical export",
        "集成吊顶": "factory ceiling coating waste export",
        "集成家居": "factory ceiling coating waste",
        "智能家居": "factory tech home export",
        "五金制品": "factory metal coating waste export",
        "化工涂料": "factory chemical coating waste",
        "新材料（落户新项目）": "factory tech chemical waste newproject",
        "塑料制品": "factory plastics",
        "包装材料": "factory printing waste",
        "造纸包装": "factory printing paper waste",
        "印刷包装": "factory printing waste",
        "建材": "factory building",
        "再生资源": "factory recycling waste",
        "环保工程": "envtech",
        "食品": "factory food",
        "食品（乳制品）": "factory food dairy",
        "食品（粽子、糕点）": "factory food festive export",
        "食品（调味品）": "factory food ferment",
        "粮油加工": "factory food grain agri",
        "农产品加工": "factory food agri",
        "现代农业": "agri farm",
        "物流": "logistics",
        "物流（冷链）": "logistics coldchain",
        "物流（快递）": "logistics express",
        "软件和信息服务": "tech office software",
        "电子商务": "ecommerce office",
        "文化旅游": "tourism",
    }.items()
}


@dataclass(frozen=True)
class Raised:
    """One use of a topic by one enterprise: the texts it submits and the answer it gets."""

    topic: Topic
    variant: int  # which of the topic's answers (the n-th use of a title gets the n-th)
    town: str  # the enterprise's town or street, as a name (王江泾镇)
    town_code: str

    @property
    def category(self) -> str:
        return self.topic.category

    @property
    def title(self) -> str:
        return self.topic.title

    @property
    def description(self) -> str:
        return self.topic.description.format(town=self.town)

    @property
    def lead_code(self) -> str:
        return self.topic.lead_code(self.town_code)

    @property
    def rejection(self) -> str:
        return self.topic.rejection.format(town=self.town)

    def answer(self, begun: dt.date, answered: dt.date) -> str:
        text = self.topic.answers[self.variant % len(self.topic.answers)]
        return text.format(town=self.town, d1=day_text(begun), d2=day_text(answered))


class TopicPicker:
    """Hands out topics that fit each enterprise, each title as few times as possible.

    `used` counts the titles already in the database (another step's problems), so the
    spread holds across seed steps. Deterministic for a given seed and call order.
    """

    def __init__(
        self,
        district,
        *,
        seed: int,
        topics: tuple[Topic, ...] | None = None,
        used: Counter[str] | None = None,
        raised: set[tuple[int, str]] | None = None,
    ):
        self.topics = ANSWERED if topics is None else topics
        self.used: Counter[str] = used if used is not None else Counter()
        self.raised = raised if raised is not None else set()  # (enterprise id, title)
        self.rng = random.Random(seed)
        self.town_codes = {d.pk: code for code, d in district.departments.items()}
        self.town_names = {d.pk: d.name for d in district.departments.values()}
        self._fitting: dict[tuple[str, str], list[Topic]] = {}

    @classmethod
    def from_database(cls, district, *, seed: int, topics: tuple[Topic, ...] | None = None):
        """A picker that counts the titles of the problems already in the database."""
        rows = list(Problem.objects.values_list("enterprise_id", "title"))
        return cls(
            district,
            seed=seed,
            topics=topics,
            used=Counter(title for _, title in rows),
            raised=set(rows),
        )

    def pick(self, enterprise, *, prefer: frozenset[str] = frozenset()) -> Raised:
        """A topic for `enterprise`, of a `prefer`red category or trait where it can be.

        Ranked by: the least-used title, a preferred one counting one use less (a
        meeting's theme comes back once before other fresh titles); then the most
        specific (fewest traits); then chance. A title is used a third time only when
        every title that fits the enterprise has been used twice.
        """
        town_code = self.town_codes[enterprise.town_id]
        key = (enterprise.industry, town_code)
        if key not in self._fitting:
            traits = INDUSTRY_TRAITS[enterprise.industry]
            self._fitting[key] = [t for t in self.topics if t.fits_enterprise(traits, town_code)]
        candidates = [t for t in self._fitting[key] if (enterprise.pk, t.title) not in self.raised]
        if not candidates:
            raise LookupError(f"no demo topic left for {enterprise.industry} in {town_code}")

        def rank(topic: Topic):
            uses = self.used[topic.title]
            preferred = topic.category in prefer or bool(topic.fits & prefer)
            return (uses >= 2, uses if not preferred else uses - 1, len(topic.fits))

        ranked = sorted(candidates, key=rank)
        best = rank(ranked[0])
        return self.raise_topic(enterprise, self.rng.choice([t for t in ranked if rank(t) == best]))

    def raise_topic(self, enterprise, topic: Topic) -> Raised:
        """`enterprise` raises `topic` (picked, or chosen by the caller): count the use."""
        variant = self.used[topic.title]
        self.used[topic.title] += 1
        self.raised.add((enterprise.pk, topic.title))
        town_code = self.town_codes[enterprise.town_id]
        return Raised(topic, variant, self.town_names[enterprise.town_id], town_code)
