"""The demo topic record and the tables' shorthand for it (T, R)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

ANY = "any"
TOWN = "town"  # as a topic's lead: the enterprise's own town or street

# (Chinese name, English name, demo code of the default lead department)
CATEGORIES = (
    ("环保与危废处置", "Environment and hazardous waste", "sthj"),
    ("用工招聘", "Recruitment and labour", "rlsb"),
    ("用电用能", "Electricity and energy", "gd"),
    ("土地与规划", "Land and planning", "zrzy"),
    ("项目审批", "Project approval", "xzsp"),
    ("融资与金融", "Finance and credit", "jrb"),
    ("税费政策", "Taxes and fees", "sw"),
    ("惠企政策兑现", "Business support policies", "jxsw"),
    ("科技创新", "Technology and innovation", "kjj"),
    ("市场监管与准入", "Market regulation and licences", "scjg"),
    ("交通物流", "Transport and logistics", "jtj"),
    ("安全生产", "Work safety", "yjj"),
    ("基础设施配套", "Infrastructure and utilities", "zjj"),
    ("其他", "Other", None),
)
DEFAULT_LEAD = {name: code for name, _, code in CATEGORIES}


def trait_set(words: str) -> frozenset[str]:
    return frozenset(words.split())


@dataclass(frozen=True)
class Topic:
    category: str  # Chinese category name (CATEGORIES)
    title: str
    fits: frozenset[str]  # traits, one of which the enterprise must have
    description: str  # may name "{town}"
    # Each may name "{town}", "{d1}" (when the work began) and "{d2}" (when it was answered).
    answers: tuple[str, ...]
    lead: str | None = None  # department code, TOWN, or None for the category's default
    towns: tuple[str, ...] = ()  # only enterprises of these towns (department codes)
    rejection: str = ""  # a topic the office does not accept: why (and no answers)

    def fits_enterprise(self, traits: frozenset[str], town_code: str) -> bool:
        if self.towns and town_code not in self.towns:
            return False
        return bool(self.fits & (traits | {ANY}))

    def lead_code(self, town_code: str) -> str:
        if self.lead == TOWN:
            return town_code
        return self.lead or DEFAULT_LEAD[self.category] or town_code


def T(category: str, title: str, fits: str, description: str, *answers: str, **options) -> Topic:
    """A topic (the tables' shorthand): `fits` is a space-separated list of traits."""
    return Topic(category, title, trait_set(fits), description, answers, **options)


def R(category: str, title: str, description: str, rejection: str) -> Topic:
    """A topic the office rejects, with the reason it gives."""
    return Topic(category, title, trait_set(ANY), description, (), rejection=rejection)


def day_text(day: dt.date) -> str:
    """A date as the answers write it: 11月18日."""
    return f"{day.month}月{day.day}日"
