"""Demo burden relief (减负): outcome lines on the year's answered demo problems whose
totals read like the seed report's 2017: 31.63 亿元 in all, tax and fees 19.61 亿元 the
largest, electricity 9100 万元 over 1126 firms in direct power trading."""

from __future__ import annotations

from decimal import Decimal

from django.utils import timezone

from liaison import workdays

from ..models import Problem
from .models import ReliefKind, ReliefOutcome

K = ReliefKind
# The year's totals by kind (yuan), largest first, and (firms, jobs) per line.
TARGETS = {
    K.TAX_FEES: (Decimal("1961000000"), 3, 40),
    K.SUBSIDY: (Decimal("420000000"), 1, 25),
    K.LAND: (Decimal("330000000"), 1, 60),
    K.FINANCE: (Decimal("200000000"), 1, 30),
    K.SOCIAL_INSURANCE: (Decimal("120000000"), 1, 120),
    K.POWER: (Decimal("91000000"), None, 0),  # the firms: 1126 in all, below
    K.OTHER: (Decimal("41000000"), 1, 10),
}
POWER_FIRMS = 1126
# The kind of each answered problem in turn; one in five records no relief.
# Which kind of relief an answer to a problem of each category brings (the demo's
# categories, issues.demo_topics); problems of other categories bring none.
KINDS_BY_CATEGORY = {
    "税费政策": (K.TAX_FEES,),
    "惠企政策兑现": (K.TAX_FEES, K.SUBSIDY),
    "科技创新": (K.TAX_FEES, K.SUBSIDY),
    "土地与规划": (K.LAND,),
    "融资与金融": (K.FINANCE,),
    "用工招聘": (K.SOCIAL_INSURANCE, K.OTHER),
    "用电用能": (K.POWER,),
    "基础设施配套": (K.POWER,),
}
NOTES = {
    K.TAX_FEES: "高新技术企业所得税优惠、研发费用加计扣除",
    K.POWER: "参与电力直接交易",
    K.SUBSIDY: "技改项目专项扶持资金",
    K.LAND: "用地指标优先保障、土地出让金分期缴纳",
    K.FINANCE: "转贷资金、银企对接授信",
    K.SOCIAL_INSURANCE: "阶段性降低社会保险费率",
    K.OTHER: "定制式外出招聘，减少招工成本",
}


def _split(total: Decimal, parts: int) -> list[Decimal]:
    """`total` in `parts` unequal whole-yuan shares (weights 1..parts), adding up exactly."""
    weights = range(1, parts + 1)
    whole = sum(weights)
    shares = [(total * w / whole).quantize(Decimal(1)) for w in weights]
    shares[-1] += total - sum(shares)
    return shares


def _split_int(total: int, parts: int) -> list[int]:
    base = [total // parts] * parts
    base[-1] += total - sum(base)
    return base


def seed_relief(district) -> None:
    """Outcome lines on the problems first answered this year (once: skipped if any exist)."""
    if ReliefOutcome.objects.exists():
        return
    year = workdays.local_date(timezone.now()).year
    # A merged problem (并单) shares its main problem's answer: the relief is the main's.
    answered = list(
        Problem.objects.filter(
            first_resolved_at__gte=workdays.start_of_day(
                workdays.local_date(timezone.now()).replace(month=1, day=1)
            ),
            merged_into__isnull=True,
            category__name_zh__in=KINDS_BY_CATEGORY,
        )
        .order_by("reference")
        .only("id", "first_resolved_at", "category__name_zh")
        .select_related("category")
    )
    by_kind: dict[str, list[Problem]] = {kind: [] for kind in TARGETS}
    for index, problem in enumerate(answered):
        kinds = KINDS_BY_CATEGORY[problem.category.name_zh]
        by_kind[kinds[index % len(kinds)]].append(problem)
    office = district.users.get("office1")
    if office is None or not all(by_kind.values()):
        district.warnings.append(f"too few problems answered in {year} for demo relief")
        return
    rows = []
    now = timezone.now()
    for kind, problems in by_kind.items():
        total, firms, jobs = TARGETS[kind]
        amounts = _split(total, len(problems))
        firm_counts = (
            _split_int(POWER_FIRMS, len(problems)) if firms is None else [firms] * len(problems)
        )
        for problem, amount, firm_count in zip(problems, amounts, firm_counts, strict=True):
            rows.append(
                ReliefOutcome(
                    problem=problem,
                    kind=kind,
                    amount=amount,
                    firms=firm_count,
                    jobs=jobs,
                    note=NOTES[kind],
                    counted_on=workdays.local_date(problem.first_resolved_at),
                    recorded_by=office,
                    recorded_at=now,
                )
            )
    ReliefOutcome.objects.bulk_create(rows)
    district.created["reliefoutcome"] += len(rows)
