"""Personal data in text: masking phone numbers, credit codes and e-mail addresses.

One set of patterns for everything that writes personal data where it should not be
read in full: the log (liaison.logs), error reports (liaison.sentry) and the pages that
show an enterprise's contact phone to someone who does not need it (the `contact_phone`
filter of liaison_tags, with the rule in issues.selectors.can_see_contact_phone).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

# Never inside a longer run of letters or digits (an id, a hash, a token): only a
# number standing on its own. Chinese characters around it are fine ("电话13800138000").
_NOT_ALNUM_BEFORE = r"(?<![0-9A-Za-z])"
_NOT_ALNUM_AFTER = r"(?![0-9A-Za-z])"

# 统一社会信用代码 (GB 32100-2015): registering body, kind, 6-digit region, 9-character
# organisation code, check character. 18-digit identity card numbers fit it too, and are
# masked as well.
CREDIT_CODE = re.compile(
    _NOT_ALNUM_BEFORE + r"([0-9A-HJ-NPQRTUWXY]{2}\d{6}[0-9A-HJ-NPQRTUWXY]{10})" + _NOT_ALNUM_AFTER
)
# A mainland mobile number, with or without +86 and with spaces or dashes after the
# third and seventh digits (138 0013 8000, 138-0013-8000).
MOBILE = re.compile(
    _NOT_ALNUM_BEFORE + r"(?:\+?86[ -]?)?(1[3-9]\d)[ -]?\d{4}[ -]?(\d{4})" + _NOT_ALNUM_AFTER
)
# A landline with its area code (010-62345678, 0571 8888 1234, 02087654321).
LANDLINE = re.compile(_NOT_ALNUM_BEFORE + r"(0\d{2,3})[ -]?\d{3,4}[ -]?(\d{4})" + _NOT_ALNUM_AFTER)
# An e-mail address: its local part is hidden, the domain kept (it says which body).
EMAIL = re.compile(r"([A-Za-z0-9._%+-])[A-Za-z0-9._%+-]*@([A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+)")


def mask_credit_code(code: str) -> str:
    """91110108MA01234567 -> 9111****67."""
    return f"{code[:4]}****{code[-2:]}"


def mask_phone(phone: str) -> str:
    """A mobile number with its middle four digits hidden (138****5678). A landline is
    shown as it is: on a page it is an office's switchboard, published by its owner."""
    digits = re.sub(r"\D", "", phone or "")
    if len(digits) >= 11 and digits[-11] == "1":
        mobile = digits[-11:]
        return f"{mobile[:3]}****{mobile[-4:]}"
    return phone


@dataclass(frozen=True)
class ContactPhones:
    """Whose enterprise contact phones a user sees in full; the others are masked.

    Made by issues.selectors.contact_phones_for, the one rule (it needs the problems);
    pages use it through the `contact_phone` filter, the API and exports through .phone().
    """

    every: bool = False
    enterprise_ids: frozenset[int] = field(default_factory=frozenset)

    def shows(self, enterprise_id: int) -> bool:
        return self.every or enterprise_id in self.enterprise_ids

    def phone(self, enterprise) -> str:
        """The enterprise's contact phone, in full or masked (138****0001) for this user."""
        if self.shows(enterprise.pk):
            return enterprise.contact_phone
        return mask_phone(enterprise.contact_phone)


def mask_personal_data(text: str) -> str:
    """`text` with every credit code, mobile and landline number and e-mail local part masked."""
    if not text:
        return text
    text = CREDIT_CODE.sub(lambda m: mask_credit_code(m.group(1)), text)
    text = MOBILE.sub(lambda m: f"{m.group(1)}****{m.group(2)}", text)
    text = LANDLINE.sub(lambda m: f"{m.group(1)}-****{m.group(2)}", text)
    return EMAIL.sub(lambda m: f"{m.group(1)}***@{m.group(2)}", text)
