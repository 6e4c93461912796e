"""Passwords: officials' at least 12 characters (OWASP ASVS 2.1.1), enterprise users' at
least 8; not like the user's own name, not a common password, not all digits; said in the
user's language. The demo's password passes for every demo user."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from liaison import demo_data
from liaison.models import Role

from .conftest import PASSWORD, USERNAMES

pytestmark = pytest.mark.django_db

OFFICIALS = [Role.DEPARTMENT_STAFF, Role.DEPARTMENT_HEAD, Role.OFFICE, Role.LEADER, Role.ADMIN]


def refusals(password: str, user=None) -> list[str]:
    try:
        validate_password(password, user)
    except ValidationError as error:
        return [e.code for e in error.error_list]
    return []


@pytest.mark.parametrize("role", OFFICIALS)
def test_an_officials_password_has_at_least_12_characters(district, role):
    official = district.user(role)

    assert refusals("Kite-river-9", official) == []  # 12
    assert refusals("Kite-rivr-9", official) == ["password_too_short"]  # 11


def test_an_enterprise_users_password_may_have_8_characters(district):
    enterprise_user = district.user(Role.ENTERPRISE)

    assert refusals("Kite-r9x", enterprise_user) == []  # 8
    assert refusals("Kite-9x", enterprise_user) == ["password_too_short"]  # 7


def test_a_user_whose_role_is_not_known_is_held_to_the_officials_length(district):
    # The admin's "add user" form: the password is checked before the profile exists.
    assert refusals("Kite-r9xq", get_user_model()(username="newcomer")) == ["password_too_short"]
    assert refusals("Kite-r9xq", district.user(None)) == ["password_too_short"]
    assert refusals("Kite-r9xq") == ["password_too_short"]


def test_common_similar_and_numeric_passwords_are_refused(district):
    official = district.user(Role.OFFICE)
    official.email = "wang.lihua@example.gov.cn"

    assert "password_too_common" in refusals("password1234", official)
    assert "password_too_similar" in refusals("wang.lihua.gov", official)
    assert "password_entirely_numeric" in refusals("573820000012", official)


def test_the_refusal_is_in_the_users_language(district):
    with translation.override("zh-hans"):
        with pytest.raises(ValidationError) as refused:
            validate_password("Kite-rivr-9", district.user(Role.OFFICE))

    assert refused.value.messages == ["密码长度太短。密码必须包含至少 12 个字符。"]


def test_the_demo_password_passes_for_every_demo_user():
    User = get_user_model()
    usernames = [official.username for official in demo_data.OFFICIALS] + [
        demo_data.enterprise_username(1)
    ]
    for username in usernames:
        assert refusals(demo_data.DEMO_PASSWORD, User(username=username)) == [], username


def test_the_password_change_form_refuses_a_short_password_for_an_official(district):
    client = Client(headers={"accept-language": "en"})
    client.force_login(district.user(Role.LEADER))

    response = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "Kite-rivr-9", "new_password2": "Kite-rivr-9"},
    )

    assert response.status_code == 200
    assert (
        "This password is too short. It must contain at least 12 characters."
        in response.content.decode()
    )
    user = get_user_model().objects.get(username=USERNAMES[Role.LEADER])
    assert user.check_password(PASSWORD)  # unchanged
