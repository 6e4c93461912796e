"""Validators: Chinese identifiers (credit codes, phone numbers), the window of dates and
the length of a password by the user's role."""

import datetime as dt
import re

from django.core.exceptions import ValidationError
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

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


# Every date a user enters (a meeting, a deadline, a filter's period) stays in this window:
# a year such as 9999 is a typing error, and date arithmetic at the ends of the calendar
# overflows (9999-12-31 plus one day is an OverflowError, not a date).
FIRST_DATE = dt.date(2000, 1, 1)
LAST_DATE = dt.date(2100, 12, 31)


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day `years` later (29 February becomes 28 February)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return day.replace(year=day.year + years, day=28)


@deconstructible
class DateWindowValidator:
    """A date, or a datetime by its date in the site's time zone, from FIRST_DATE to
    LAST_DATE; with `years_ahead`, also no later than that many years from today (a
    meeting or a deadline is planned a few years ahead at most)."""

    message = _("Enter a date from %(first)s to %(last)s.")
    code = "date_window"

    def __init__(self, years_ahead: int | None = None):
        self.years_ahead = years_ahead

    def bounds(self) -> tuple[dt.date, dt.date]:
        last = LAST_DATE
        if self.years_ahead is not None:
            last = min(last, years_after(timezone.localdate(), self.years_ahead))
        return FIRST_DATE, last

    def __call__(self, value) -> None:
        if value is None:
            return
        day = value
        if isinstance(value, dt.datetime):
            day = timezone.localdate(value) if timezone.is_aware(value) else value.date()
        first, last = self.bounds()
        if not first <= day <= last:
            raise ValidationError(
                self.message,
                code=self.code,
                params={"first": first.isoformat(), "last": last.isoformat()},
            )

    def __eq__(self, other) -> bool:
        return isinstance(other, DateWindowValidator) and self.years_ahead == other.years_ahead

    def __hash__(self) -> int:
        return hash((type(self), self.years_ahead))


# Any date from 2000 to 2100: periods of filters, dates of record.
validate_date_window = DateWindowValidator()
# A date planned ahead (a meeting, a deadline): from 2000 to five years from today.
PLANNING_YEARS_AHEAD = 5
validate_planned_date = DateWindowValidator(years_ahead=PLANNING_YEARS_AHEAD)


class RoleMinimumLengthValidator:
    """AUTH_PASSWORD_VALIDATORS: a password at least `official_min_length` characters long
    for officials (OWASP ASVS 2.1.1: 12), `enterprise_min_length` for enterprise users.

    Officials see every enterprise's problems; an enterprise user only their own. A user
    whose role is not known (no profile yet: the admin's "add user" form, createsuperuser)
    is held to the officials' length.
    """

    def __init__(self, official_min_length: int = 12, enterprise_min_length: int = 8):
        self.official_min_length = official_min_length
        self.enterprise_min_length = enterprise_min_length

    def min_length_for(self, user) -> int:
        from .models import Role
        from .permissions import role_of

        if user is not None and role_of(user) == Role.ENTERPRISE:
            return self.enterprise_min_length
        return self.official_min_length

    def validate(self, password: str, user=None) -> None:
        min_length = self.min_length_for(user)
        if len(password) < min_length:
            raise ValidationError(
                ngettext(
                    "This password is too short. It must contain at least %(min_length)d "
                    "character.",
                    "This password is too short. It must contain at least %(min_length)d "
                    "characters.",
                    min_length,
                )
                % {"min_length": min_length},
                code="password_too_short",
                params={"min_length": min_length},
            )

    def get_help_text(self) -> str:
        return _(
            "Officials' passwords must contain at least %(official)d characters, enterprise "
            "users' at least %(enterprise)d."
        ) % {"official": self.official_min_length, "enterprise": self.enterprise_min_length}
