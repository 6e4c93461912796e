"""The demo's table of problem topics (issues.demo_topics) and how they are handed out."""

from __future__ import annotations

import re
import string
from collections import Counter
from types import SimpleNamespace

from issues.demo_topics import (
    ANSWERED,
    CATEGORIES,
    INDUSTRY_TRAITS,
    REJECTED,
    TOPICS,
    TOWN,
    TopicPicker,
)
from liaison import demo_data
from meetings.demo import SEVENTEEN

DEPARTMENTS = {row.code: row for row in demo_data.DEPARTMENTS}
TOWNS = [row.code for row in demo_data.DEPARTMENTS if row.kind == "town"]
ALL = (*TOPICS, *SEVENTEEN)


def enterprises_fitting(topic):
    return [
        row
        for row in demo_data.ENTERPRISES
        if topic.fits_enterprise(INDUSTRY_TRAITS[row.industry], row.town)
    ]


def fields_of(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name is not None}


def test_every_demo_industry_has_its_traits():
    industries = {row.industry for row in demo_data.ENTERPRISES}

    assert industries == set(INDUSTRY_TRAITS)


def test_every_topic_is_for_some_demo_enterprise_and_has_a_title_of_its_own():
    titles = Counter(topic.title for topic in ALL)

    assert [title for title, n in titles.items() if n > 1] == []
    assert len(ANSWERED) >= 200
    for topic in ALL:
        assert enterprises_fitting(topic), topic.title
        assert topic.category in {name for name, _, _ in CATEGORIES}, topic.title
        assert set(topic.towns) <= set(TOWNS), topic.title
        assert topic.lead in (None, TOWN, *DEPARTMENTS), topic.title
        assert 4 <= len(topic.title) <= 30, topic.title


def test_every_answer_says_who_did_what_by_when():
    for topic in (*ANSWERED, *SEVENTEEN):
        row = enterprises_fitting(topic)[0]
        lead = DEPARTMENTS[topic.lead_code(row.town)]
        town = DEPARTMENTS[row.town].name
        if topic in ANSWERED:
            assert len(topic.answers) >= 2, topic.title
            assert len(set(topic.answers)) == len(topic.answers), topic.title
        assert fields_of(topic.description) <= {"town"}, topic.title
        for answer in topic.answers:
            assert fields_of(answer) <= {"town", "d1", "d2"}, answer
            assert fields_of(answer) & {"d1", "d2"}, answer
            text = answer.format(town=town, d1="11月3日", d2="11月12日")
            assert lead.short_name in text, (topic.title, lead.name, answer)


def test_rejected_topics_give_a_reason_and_no_answer():
    assert len(REJECTED) >= 10
    for topic in REJECTED:
        assert topic.rejection and not topic.answers, topic.title


def test_food_and_hazardous_waste_topics_are_only_for_firms_that_have_them():
    for topic in ALL:
        industries = {row.industry for row in enterprises_fitting(topic)}
        traits = [INDUSTRY_TRAITS[industry] for industry in industries]
        if "食品" in topic.title:
            assert all(t & {"food", "agri", "coldchain"} for t in traits), topic.title
        if re.search("危废|危险废物|油漆渣|废活性炭|废乳化液|废酸", topic.title):
            assert all("waste" in t for t in traits), topic.title


def test_the_picker_spreads_titles_and_never_repeats_one_for_an_enterprise():
    departments = {
        code: SimpleNamespace(pk=n, name=row.name)
        for n, (code, row) in enumerate(DEPARTMENTS.items(), start=1)
    }
    district = SimpleNamespace(departments=departments)
    enterprises = [
        SimpleNamespace(pk=n, industry=row.industry, town_id=departments[row.town].pk)
        for n, row in enumerate(demo_data.ENTERPRISES, start=1)
    ]
    picker = TopicPicker(district, seed=1)

    picked = [(e, picker.pick(e)) for _ in range(5) for e in enterprises]

    titles = Counter(raised.title for _, raised in picked)
    assert len(titles) >= 200
    assert max(titles.values()) <= 3
    assert len({(e.pk, raised.title) for e, raised in picked}) == len(picked)
    for enterprise, raised in picked:
        row = demo_data.ENTERPRISES[enterprise.pk - 1]
        assert raised.topic.fits_enterprise(INDUSTRY_TRAITS[row.industry], row.town)
    # The n-th use of a title gets the n-th answer: a title used twice is answered twice
    # in different words.
    wordings: dict[str, set[str]] = {}
    for _, raised in picked:
        wordings.setdefault(raised.title, set()).add(
            raised.topic.answers[raised.variant % len(raised.topic.answers)]
        )
    for title, uses in titles.items():
        topic = next(t for t in ANSWERED if t.title == title)
        assert len(wordings[title]) == min(uses, len(topic.answers)), title
