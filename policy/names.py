"""Which enterprises a text names: one bounded query, whatever the number of enterprises.

An enterprise is named by its full name or by its name without the usual region prefix
and legal-form suffix (嘉兴市禾新纺织有限公司 → 禾新纺织), the way people write it.
"""

from __future__ import annotations

from django.db.models import CharField, F, Q, Value
from django.db.models.functions import Length, Replace

from liaison.models import Enterprise

# Removed from a name to get the name people use; longest first.
SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团", "公司")
PREFIXES = ("浙江省", "浙江", "嘉兴市", "嘉兴", "秀洲区", "秀洲")
# A shorter name than this says too little to be an enterprise's (e.g. 纺织).
MIN_SHORT_NAME = 3
MAX_NAMED = 5


def _short_name():
    expression = F("name")
    for part in (*SUFFIXES, *PREFIXES):
        expression = Replace(expression, Value(part), Value(""))
    return expression


def enterprises_named_in(*texts: str) -> list[str]:
    """Names of up to MAX_NAMED enterprises whose name or short name occurs in the texts."""
    text = "\n".join(t for t in texts if t)
    if not text.strip():
        return []
    rows = (
        Enterprise.objects.annotate(short=_short_name(), text=Value(text, output_field=CharField()))
        .annotate(short_length=Length("short"))
        .filter(
            Q(text__contains=F("name"))
            | Q(short_length__gte=MIN_SHORT_NAME, text__contains=F("short"))
        )
        .order_by("name")
        .values_list("name", flat=True)[:MAX_NAMED]
    )
    return list(rows)
