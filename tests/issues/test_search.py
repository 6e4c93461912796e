"""The list's text search (issues.search): on PostgreSQL the indexed predicate finds exactly
what the plain substring match finds, in the same order, and the index answers it."""

from __future__ import annotations

import pytest
from django.db import connection

from issues import search
from issues.filters import ProblemFilter
from issues.models import Problem
from liaison.models import Enterprise

from .conftest import credit_code

pytestmark = pytest.mark.django_db

TEXTS = [
    ("园区企业招工难", "今年订单同比增长三成，希望政府帮助拓宽招工渠道。"),
    ("毛衫企业用电成本高", "峰谷电价调整后，每月电费增加约8万元。"),
    ("危废处置渠道不畅", "喷漆车间产生的漆渣无处处置，库存已近上限。"),
    ("ERP System 升级补助", "申请 Smart-Factory 专项资金 100% 到位？"),
    ("用电增容", "新上3条生产线，需增容至2000kVA；变压器_改造"),
    ("招", "工"),  # a title ending and a description starting: no pair across them
    ("厂区道路破损", "路面坑洼，货车通行困难。C:\\data 报告见附件"),
]

TERMS = [
    "招工", "招", "电", "用电", "企业招工", "渠道", "工渠", "招工难", "增容至2000",
    "erp", "ERP", "smart-f", "sYsTeM 升", "100%", "%", "_", "变压器_", "\\", "c:\\DATA",
    "，", "。", "8万", "2026-0", "2026-00002", "2026", "精密", "南湖新材料", "有限公司",
    "招\n工", "招工 ", "量子计算", "a", "峰谷电价调整后，每月电费增加约8万元。",
]  # fmt: skip


@pytest.fixture
def texts(make_problem, other_enterprise_user, enterprise_user):
    """Problems with these titles and descriptions, half of them the other enterprise's:
    submitted through the workflow, then the text set as a bulk import would (an UPDATE)."""
    made = []
    for i, (title, description) in enumerate(TEXTS):
        submitter = other_enterprise_user if i % 2 else enterprise_user
        problem = make_problem(submitter=submitter, title=title)
        Problem.objects.filter(pk=problem.pk).update(description=description)
        made.append(problem)
    return made


def found(text: str, *, plain: bool) -> list[int]:
    queryset = Problem.objects.order_by("-created_at", "-id")
    if plain:
        with search.plain_search():
            return list(
                ProblemFilter({"q": text}, queryset=queryset).qs.values_list("pk", flat=True)
            )
    return list(ProblemFilter({"q": text}, queryset=queryset).qs.values_list("pk", flat=True))


def analyse() -> None:
    """Statistics of the problems, as autovacuum takes them: the pairs the index is asked
    for are chosen by them (migration 0017); without any, every pair."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE issues_problem")


def index_grams(text: str) -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT issues_index_grams(%s)", [text])
        return cursor.fetchone()[0]


@pytest.mark.parametrize("analysed", [False, True], ids=["no statistics", "analysed"])
@pytest.mark.parametrize("text", TERMS)
def test_it_finds_what_the_plain_match_finds(texts, text, analysed):
    if analysed:
        analyse()
    assert found(text, plain=False) == found(text, plain=True)


def test_it_finds_texts_by_one_and_two_characters(texts):
    assert len(found("招", plain=False)) == 2
    assert len(found("招工", plain=False)) == 1
    assert found("erp", plain=False) == [texts[3].pk]
    assert found("招工", plain=False) != []


def test_it_follows_changed_text_and_names(texts):
    Problem.objects.filter(pk=texts[0].pk).update(title="纺织企业缺少熟练工")
    Enterprise.objects.filter(pk=texts[1].enterprise_id).update(name="钱清恒达印染有限公司")

    assert found("招工难", plain=False) == found("招工难", plain=True) == []
    assert texts[0].pk in found("熟练", plain=False)
    assert texts[1].pk in found("恒达", plain=False)


def test_it_follows_a_problem_to_another_enterprise(texts, enterprise):
    Problem.objects.filter(pk=texts[1].pk).update(enterprise=enterprise)

    for text in ("南湖", "嘉禾精密"):
        assert found(text, plain=False) == found(text, plain=True)
    assert texts[1].pk in found("嘉禾精密", plain=False)


def test_it_finds_problems_created_in_bulk(texts, category, enterprise_user):
    # Imports and benchmarks insert with bulk_create: the index follows every insert.
    template = texts[0]
    Problem.objects.bulk_create(
        [
            Problem(
                reference="2999-00001",
                enterprise=Enterprise.objects.create(name="齐贤嘉禾", credit_code=credit_code(9)),
                submitted_by=enterprise_user,
                title="排污许可证延续",
                description="许可证将于下月到期。",
                category=category,
                created_at=template.created_at,
            )
        ]
    )

    for text in ("排污", "到期", "2999-0", "嘉禾"):
        assert found(text, plain=False) == found(text, plain=True) != []


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's indexes")
@pytest.mark.parametrize("text", ["招", "招工", "危废处置"])
def test_the_indexes_answer_it(texts, text):
    queryset = search.problems_matching(Problem.objects.order_by(), text)
    with connection.cursor() as cursor:
        # A handful of rows: the planner would rather read them all.
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        plan = queryset.explain()

    assert "problem_text_grams" in plan
    assert "BitmapOr" in plan


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL's statistics")
def test_the_index_is_asked_for_the_rarest_pairs(texts, category, enterprise_user):
    template = texts[0]
    # 危废 and 处置 in each of 100 more problems, 废处 (the words together) in one in ten.
    Problem.objects.bulk_create(
        [
            Problem(
                reference=f"2998-{i:05d}",
                enterprise=template.enterprise,
                submitted_by=enterprise_user,
                title="危废处置" if i % 10 == 0 else "危废暂存，处置",
                description="",
                category=category,
                created_at=template.created_at,
            )
            for i in range(1, 101)
        ]
    )
    analyse()

    # The planner then estimates the rarest pair alone, instead of multiplying the three
    # (which are not independent): the term is in 10 % of the rows, not in 0.1 %.
    assert index_grams("危废处置") == ["废处"]
    # Pairs too rare to be counted are all asked for: they narrow the index scan.
    assert sorted(index_grams("危废量子")) == ["废量", "量子"]
    # A term of one pair or one character: that, whatever the statistics.
    assert index_grams("危废") == ["危废"]
    assert index_grams("电") == ["电"]
    for text in ("危废处置", "危废量子", "暂存，处", "2998-0001"):
        assert found(text, plain=False) == found(text, plain=True)
