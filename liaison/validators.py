"""Validators for Chinese identifiers: unified social credit codes and phone numbers."""

import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

# GB 32100-2015: 31 characters (no I, O, S, V, Z) and the weights of positions 1-17.
CREDIT_CODE_CHARSET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
CREDIT_CODE_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
_CREDIT_CODE_RE = re.compile(r"^[0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10}$")

# Mainland mobile: 11 digits starting 13-19. Landline: area code 0xx(x), 7-8 digits,
# optional extension; the separator may be "-" or a space, or nothing.
_MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")
_LANDLINE_RE = re.compile(r"^0\d{2,3}[- ]?[2-9]\d{6,7}(?:[- ]\d{1,6})?$")
# +86 or 0086; written internationally, a landline's area code loses its leading 0.
_COUNTRY_CODE_RE = re.compile(r"^(?:\+|00)86[- ]?")
# "(0573)82345678", as contact lists often write it.
_AREA_CODE_IN_BRACKETS_RE = re.compile(r"^\((0\d{2,3})\)[- ]?")


def credit_code_check_char(first17: str) -> str:
    """The 18th character of a unified social credit code for its first 17."""
    pairs = zip(first17, CREDIT_CODE_WEIGHTS, strict=True)
    total = sum(CREDIT_CODE_CHARSET.index(c) * w for c, w in pairs)
    return CREDIT_CODE_CHARSET[(31 - total % 31) % 31]


def normalise_credit_code(value: str) -> str:
    """As stored: no surrounding blanks, capital letters (codes are often typed in lower case)."""
    return (value or "").strip().upper()


def validate_credit_code(value: str) -> None:
    code = normalise_credit_code(value)
    if len(code) != 18:
        raise ValidationError(
            _("A unified social credit code has 18 characters; this one has %(n)d."),
            code="credit_code_length",
            params={"n": len(code)},
        )
    if not _CREDIT_CODE_RE.match(code):
        raise ValidationError(
            _(
                "A unified social credit code uses digits and capital letters except "
                "I, O, S, V and Z, with digits in positions 3-8."
            ),
            code="credit_code_chars",
        )
    expected = credit_code_check_char(code[:17])
    if code[17] != expected:
        raise ValidationError(
            _(
                "The check digit (last character) of this unified social credit code is "
                "wrong: please check the code for a typing error."
            ),
            code="credit_code_check_digit",
        )


def normalise_phone(value: str) -> str:
    phone = re.sub(r"\s+", " ", (value or "").strip())
    for wide, narrow in (("—", "-"), ("－", "-"), ("（", "("), ("）", ")"), ("＋", "+")):
        phone = phone.replace(wide, narrow)
    return phone


def validate_phone(value: str) -> None:
    phone = normalise_phone(value)
    national = _COUNTRY_CODE_RE.sub("", phone)
    compact = national.replace(" ", "").replace("-", "")
    if _MOBILE_RE.match(compact):
        return
    if national != phone and not national.startswith("0"):
        national = "0" + national
        compact = "0" + compact
    national = _AREA_CODE_IN_BRACKETS_RE.sub(r"\1-", national)
    if _LANDLINE_RE.match(national) or _LANDLINE_RE.match(compact):
        return
    raise ValidationError(
        _(
            "Enter a mainland mobile number (11 digits, e.g. 13812345678) or a landline "
            "with its area code (e.g. 0573-82345678)."
        ),
        code="phone",
    )
