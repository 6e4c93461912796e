"""Unified social credit codes (GB 32100-2015), mainland phone numbers, the window of dates."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone, translation
from django.utils.functional import Promise

from liaison.models import Enterprise
from liaison.validators import (
    CREDIT_CODE_CHARSET,
    credit_code_check_char,
    validate_credit_code,
    validate_date_window,
    validate_phone,
    validate_planned_date,
    years_after,
)

KNOWN_VALID_CODES = [
    "91350100M000100Y43",
    "91440300708461136T",  # a large Shenzhen company, as published on its licence
]
# First 17 characters in the real layout: registration authority, category, six-digit
# division code, nine-character organisation code. The check character is computed.
GENERATED_BODIES = [
    "91330400MA2B3C4D5",
    "92330402MA2JH0A1X",  # 92: individual business
    "12330400002563428",  # 12: public institution
    "52330424MJ8776543",  # 52: social organisation
    "Y1330400MA2BXK9LW",
]


def generated(body: str) -> str:
    return body + credit_code_check_char(body)


def error_of(validator, value) -> ValidationError:
    with pytest.raises(ValidationError) as caught:
        validator(value)
    return caught.value


# Credit codes.


@pytest.mark.parametrize("code", KNOWN_VALID_CODES)
def test_known_real_codes_are_valid(code):
    validate_credit_code(code)


@pytest.mark.parametrize("body", GENERATED_BODIES)
def test_codes_with_a_computed_check_character_are_valid(body):
    validate_credit_code(generated(body))


def test_check_character_of_the_reference_code():
    assert credit_code_check_char("91350100M000100Y4") == "3"


def test_check_character_is_one_of_the_31_characters():
    assert {credit_code_check_char(f"9133040000000{n:04d}") for n in range(400)} <= set(
        CREDIT_CODE_CHARSET
    )


@pytest.mark.parametrize("code", KNOWN_VALID_CODES + [generated(b) for b in GENERATED_BODIES])
def test_every_other_check_character_is_rejected_with_the_check_digit_message(code):
    for wrong in CREDIT_CODE_CHARSET.replace(code[17], ""):
        error = error_of(validate_credit_code, code[:17] + wrong)
        assert error.code == "credit_code_check_digit"


def test_a_typing_error_in_the_body_is_caught_by_the_check_character():
    transposed = "91350100M000010Y43"  # "100" typed as "010"

    assert error_of(validate_credit_code, transposed).code == "credit_code_check_digit"


@pytest.mark.parametrize("code", ["", "91350100M000100Y4", "91350100M000100Y433", "9135"])
def test_wrong_length_is_rejected(code):
    error = error_of(validate_credit_code, code)

    assert error.code == "credit_code_length"
    assert error.params == {"n": len(code)}


@pytest.mark.parametrize("letter", ["I", "O", "S", "V", "Z"])
def test_letters_not_in_the_charset_are_rejected(letter):
    code = "91350100M000100" + letter + "43"

    assert error_of(validate_credit_code, code).code == "credit_code_chars"


def test_division_code_must_be_digits():
    code = "9135A100M000100Y43"

    assert error_of(validate_credit_code, code).code == "credit_code_chars"


def test_lower_case_and_surrounding_blanks_are_accepted_by_the_validator():
    validate_credit_code("  91350100m000100y43 ")


@pytest.mark.django_db
def test_lower_case_code_is_stored_in_capitals():
    enterprise = Enterprise.objects.create(name="闽江精工", credit_code="91350100m000100y43")

    enterprise.refresh_from_db()
    assert enterprise.credit_code == "91350100M000100Y43"


# Phones.


@pytest.mark.parametrize(
    "phone",
    [
        "13812345678",
        "19912345678",
        "138 1234 5678",
        "138-1234-5678",
        "+8613812345678",
        "+86 138 1234 5678",
        "+86-138-1234-5678",
        "008613812345678",
        "0573-82345678",
        "057382345678",
        "0573 82345678",
        "0573 8234 5678",
        "010-62345678",
        "0571—87654321",  # an em dash, as Chinese input methods type it
        "0573－82345678",  # a full-width hyphen
        "0573-82345678-8001",
        "0573-82345678 123",
        "(0573)82345678",
        "（0573）82345678",
        "+86 573 82345678",
        "+86-10-62345678",
        "+86 573 82345678-123",
        "  13812345678 ",
    ],
)
def test_valid_phone_numbers(phone):
    validate_phone(phone)


@pytest.mark.parametrize(
    "phone",
    [
        "",
        "12345",
        "1234567890123",
        "12812345678",  # no mobile prefix 12
        "1381234567",  # 10 digits
        "138123456789",  # 12 digits
        "abcdefghijk",
        "1381234567a",
        "tel 13812345678",
        "82345678",  # a landline without its area code
        "0573-12345678",  # a local number never starts with 0 or 1
        "0573-82345678-1234567",  # extension too long
        "+1 415 555 0100",
    ],
)
def test_invalid_phone_numbers(phone):
    assert error_of(validate_phone, phone).code == "phone"


# Messages are translatable.


@pytest.mark.parametrize(
    ("validator", "value", "english"),
    [
        (
            validate_credit_code,
            "9135",
            "A unified social credit code has 18 characters; this one has 4.",
        ),
        (
            validate_credit_code,
            "91350100M000100S43",
            "A unified social credit code uses digits and capital letters except "
            "I, O, S, V and Z, with digits in positions 3-8.",
        ),
        (
            validate_credit_code,
            "91350100M000100Y44",
            "The check digit (last character) of this unified social credit code is "
            "wrong: please check the code for a typing error.",
        ),
        (
            validate_phone,
            "12345",
            "Enter a mainland mobile number (11 digits, e.g. 13812345678) or a landline "
            "with its area code (e.g. 0573-82345678).",
        ),
    ],
)
def test_messages_are_lazy_and_translated_when_shown(validator, value, english):
    error = error_of(validator, value)

    # Lazy: the language is chosen when the message is shown, not when the module loads.
    assert isinstance(error.message, Promise)
    with translation.override("en"):
        assert error.messages == [english]


# --- the window of dates -------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    [
        dt.date(2000, 1, 1),
        dt.date(2100, 12, 31),
        dt.datetime(2100, 12, 31, 23, 59, tzinfo=dt.timezone(dt.timedelta(hours=8))),
        None,
    ],
)
def test_a_date_in_the_window_is_accepted(value):
    validate_date_window(value)


@pytest.mark.parametrize(
    "value",
    [
        dt.date(1999, 12, 31),
        dt.date(2101, 1, 1),
        dt.date(9999, 12, 31),
        dt.date(1, 1, 1),
        # 2100-12-31 16:00 UTC is 2101-01-01 in Shanghai.
        dt.datetime(2100, 12, 31, 16, 0, tzinfo=dt.UTC),
    ],
)
def test_a_date_out_of_the_window_is_refused(value):
    error = error_of(validate_date_window, value)

    assert error.code == "date_window"
    with translation.override("en"):
        assert error.messages == ["Enter a date from 2000-01-01 to 2100-12-31."]


def test_a_planned_date_is_at_most_five_years_ahead():
    today = timezone.localdate()

    validate_planned_date(years_after(today, 5))
    error = error_of(validate_planned_date, years_after(today, 5) + dt.timedelta(days=1))

    with translation.override("en"):
        assert error.messages == [
            f"Enter a date from 2000-01-01 to {years_after(today, 5).isoformat()}."
        ]


def test_29_february_plus_a_year_is_28_february():
    assert years_after(dt.date(2024, 2, 29), 1) == dt.date(2025, 2, 28)
