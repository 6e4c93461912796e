"""Yuan as people read them: 31.63 亿元 / 9,100 万元 in Chinese, 3,163,000,000 yuan in English."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

from django.utils.translation import get_language

YI = Decimal(100_000_000)  # 亿
WAN = Decimal(10_000)  # 万


def _grouped(value: Decimal, places: int) -> str:
    quantum = Decimal(1).scaleb(-places)
    text = f"{value.quantize(quantum, rounding=ROUND_HALF_UP):,.{places}f}"
    if places and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text


def format_yuan(amount, language: str | None = None) -> str:
    """`amount` yuan in the active language (or `language`)."""
    amount = Decimal(amount or 0)
    language = (language or get_language() or "zh-hans").lower()
    if not language.startswith("zh"):
        return f"{_grouped(amount, 0)} yuan"
    if abs(amount) >= YI:
        return f"{_grouped(amount / YI, 2)} 亿元"
    if abs(amount) >= WAN:
        return f"{_grouped(amount / WAN, 2)} 万元"
    return f"{_grouped(amount, 2)} 元"
