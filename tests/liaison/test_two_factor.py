"""Two-factor sign-in: the second step after the password, enrolment, recovery codes,
the admin's reset, the district's setting for department roles, enterprise users' choice
and API sessions. Every test here signs in for real (no session marked verified)."""

from __future__ import annotations

import re
from base64 import b32decode

import pytest
from django.urls import reverse
from django_otp.oath import TOTP
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from liaison.models import DistrictSettings, Role
from liaison.services import profile_set_role
from liaison.twofactor import policy
from tests.twofactor import code_at, current_t, mark_session_verified, next_code, totp_device_for

from .conftest import PASSWORD, USERNAMES

pytestmark = [pytest.mark.django_db, pytest.mark.real_two_factor]

LOGIN = reverse("login")
VERIFY = reverse("two_factor_verify")
ENROL = reverse("two_factor_enrol")
CODES = reverse("two_factor_recovery_codes")
MANAGE = reverse("two_factor")
DISTRICT = reverse("two_factor_district")

OFFICIALS = [Role.OFFICE, Role.LEADER, Role.PRINCIPAL, Role.ADMIN]
DEPARTMENT = [Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF]

WRONG = {
    "en": "That code is not right.",
    "zh-hans": "验证码不正确。",
}
REUSED = {
    "en": "This code was already used.",
    "zh-hans": "此验证码已使用过。",
}
BROWSER_LANGUAGE = {"en": "en", "zh-hans": "zh-CN"}


@pytest.fixture(autouse=True)
def no_throttle_between_attempts(settings):
    """django-otp makes a user wait 1, 2, 4 … s after each wrong code; the tests of that
    wait set the factor back."""
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    settings.OTP_STATIC_THROTTLE_FACTOR = 0


def password_step(client, role, next_url="", **extra):
    data = {"username": USERNAMES[role], "password": PASSWORD}
    if next_url:
        data["next"] = next_url
    return client.post(LOGIN, data, **extra)


def page(response) -> str:
    return response.content.decode()


def shown_key(html: str) -> bytes:
    """The key the enrolment page shows as text, as an app that cannot scan takes it."""
    text = re.search(r'<code id="totp-key"[^>]*>([A-Z2-7 ]+)</code>', html).group(1)
    text = text.replace(" ", "")
    return b32decode(text + "=" * (-len(text) % 8))


def code_from_key(key: bytes) -> str:
    return f"{TOTP(key).token():06d}"


# --- The password step leads on -------------------------------------------------------


@pytest.mark.parametrize("role", OFFICIALS + DEPARTMENT)
def test_an_official_with_an_app_is_asked_for_a_code_after_the_password(client, district, role):
    totp_device_for(district.user(role))

    response = password_step(client, role, next_url="/problems/")

    assert response.status_code == 302
    assert response["Location"] == f"{VERIFY}?next=%2Fproblems%2F"
    assert client.get("/problems/")["Location"] == f"{VERIFY}?next=%2Fproblems%2F"


@pytest.mark.parametrize("role", OFFICIALS + DEPARTMENT)
def test_an_official_without_an_app_is_led_to_enrolment(client, district, role):
    response = password_step(client, role)

    assert response.status_code == 302
    assert response["Location"] == f"{ENROL}?next=%2F"
    # Any other page sends them there too (through the second step, which has no app).
    assert client.get("/problems/")["Location"].startswith(VERIFY)
    assert client.get(f"{VERIFY}?next=/problems/")["Location"] == f"{ENROL}?next=%2Fproblems%2F"


def test_a_right_code_lets_the_official_in(client, district):
    office = district.user(Role.OFFICE)
    device = totp_device_for(office)
    password_step(client, Role.OFFICE, next_url="/problems/")

    response = client.post(VERIFY, {"code": next_code(device), "next": "/problems/"})

    assert response.status_code == 302
    assert response["Location"] == "/problems/"
    assert client.get("/problems/").status_code == 200
    assert client.get("/").status_code == 200


def test_the_second_step_goes_back_only_to_pages_of_this_site(client, district):
    device = totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    response = client.post(VERIFY, {"code": next_code(device), "next": "https://evil.example/"})

    assert response["Location"] == "/"


def test_an_unverified_official_may_still_log_out_switch_language_and_be_checked(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    assert client.get("/healthz").status_code == 200
    assert client.post("/i18n/setlang/", {"language": "en", "next": "/"}).status_code == 302
    assert client.post(reverse("logout")).status_code == 302
    assert client.get("/problems/")["Location"].startswith(LOGIN)


def test_a_session_older_than_two_factor_sign_in_is_held_at_the_second_step(client, district):
    """A session signed in with the password alone (before two-factor sign-in existed)."""
    client.force_login(district.user(Role.LEADER))  # not marked verified: real_two_factor

    assert client.get("/")["Location"] == f"{VERIFY}?next=%2F"
    assert client.get(reverse("password_change"))["Location"].startswith(VERIFY)
    assert client.get("/admin/")["Location"].startswith(VERIFY)


# --- The API with a browser session -----------------------------------------------------


def test_an_unverified_session_is_refused_by_the_api(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    response = client.get("/api/v1/me/", HTTP_ACCEPT_LANGUAGE="en")

    assert response.status_code == 403
    assert response.json()["code"] == "two_factor_required"
    assert "authenticator app" in response.json()["detail"]


def test_a_verified_session_uses_the_api(client, district):
    device = totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)
    client.post(VERIFY, {"code": next_code(device)})

    assert client.get("/api/v1/me/").status_code == 200


def test_a_service_account_needs_no_second_factor(district):
    from rest_framework.test import APIClient

    from api import services
    from api.models import Binding, Scope

    api_client, key = services.client_create(
        actor=district.user(Role.OFFICE),
        contact="王工 13800000009",
        binding=Binding.DISTRICT,
        scopes=list(Scope.values),
        name="12345 热线",
    )
    account = api_client.user
    assert account.profile.is_service_account
    assert not policy.two_factor_required(account)
    http = APIClient()
    http.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")

    assert http.get("/api/v1/me/").status_code == 200
    assert not TOTPDevice.objects.filter(user=account).exists()


# --- Wrong, reused and throttled codes ---------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_wrong_code_is_refused_with_a_message_in_the_users_language(client, district, language):
    device = totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)
    right = next_code(device)
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    response = client.post(VERIFY, {"code": wrong}, HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language])

    assert response.status_code == 200
    assert WRONG[language] in page(response)
    assert client.get("/")["Location"].startswith(VERIFY)  # still not in
    device.refresh_from_db()
    assert device.last_t == -1 and device.throttling_failure_count == 1


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_code_already_used_is_refused(client, district, language):
    device = totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)
    code = next_code(device)
    assert client.post(VERIFY, {"code": code}).status_code == 302
    client.post(reverse("logout"))
    password_step(client, Role.OFFICE)

    response = client.post(VERIFY, {"code": code}, HTTP_ACCEPT_LANGUAGE=BROWSER_LANGUAGE[language])

    assert response.status_code == 200
    assert REUSED[language] in page(response)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_an_earlier_code_of_the_same_app_is_refused_after_a_later_one(client, district):
    device = totp_device_for(district.user(Role.OFFICE))
    now = current_t(device)
    password_step(client, Role.OFFICE)
    assert client.post(VERIFY, {"code": code_at(device, now + 1)}).status_code == 302
    client.post(reverse("logout"))
    password_step(client, Role.OFFICE)

    response = client.post(VERIFY, {"code": code_at(device, now)}, HTTP_ACCEPT_LANGUAGE="en")

    assert REUSED["en"] in page(response)


def test_wrong_codes_in_a_row_make_the_user_wait(client, district, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 1
    device = totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)
    right = next_code(device)
    client.post(VERIFY, {"code": f"{(int(right) + 1) % 1_000_000:06d}"})

    response = client.post(VERIFY, {"code": right}, HTTP_ACCEPT_LANGUAGE="en")

    assert "Too many wrong codes. Wait" in page(response)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_an_empty_or_overlong_code_is_refused(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    assert "Enter the code." in page(client.post(VERIFY, {"code": ""}, HTTP_ACCEPT_LANGUAGE="en"))
    response = client.post(VERIFY, {"code": "1" * 500}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert "at most 20 characters" in page(response)


# --- Enrolment and recovery codes ---------------------------------------------------------


def enrol(client, next_url="/") -> list[str]:
    """From the enrolment page to the recovery codes, as a person does it."""
    response = client.get(f"{ENROL}?next={next_url}")
    assert response.status_code == 200
    html = page(response)
    assert "<svg" in html  # the QR code
    response = client.post(ENROL, {"code": code_from_key(shown_key(html)), "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == f"{CODES}?next={next_url.replace('/', '%2F')}"
    codes_page = page(client.get(response["Location"]))
    return re.findall(r'<li><code class="fs-6">([a-z2-7]{8})</code></li>', codes_page)


def test_an_office_user_enrols_and_keeps_recovery_codes(client, district):
    office = district.user(Role.OFFICE)
    assert password_step(client, Role.OFFICE)["Location"] == f"{ENROL}?next=%2F"

    codes = enrol(client)

    assert len(codes) == 10
    device = TOTPDevice.objects.get(user=office)
    assert device.confirmed and device.last_t >= 0
    assert sorted(codes) == sorted(
        StaticToken.objects.filter(device__user=office).values_list("token", flat=True)
    )
    assert client.get("/").status_code == 200  # the session passed the second step
    # The key stays the same until the app is confirmed, and is never shown again.
    assert client.get(ENROL)["Location"] == MANAGE


def test_reloading_the_enrolment_page_keeps_the_key(client, district):
    password_step(client, Role.OFFICE)

    first = shown_key(page(client.get(ENROL)))

    assert shown_key(page(client.get(ENROL))) == first
    assert TOTPDevice.objects.filter(user=district.user(Role.OFFICE)).count() == 1


def test_a_wrong_code_at_enrolment_enrols_nothing(client, district):
    password_step(client, Role.OFFICE)
    key = shown_key(page(client.get(ENROL)))
    wrong = f"{(int(code_from_key(key)) + 1) % 1_000_000:06d}"

    response = client.post(ENROL, {"code": wrong}, HTTP_ACCEPT_LANGUAGE="zh-CN")

    assert WRONG["zh-hans"] in page(response)
    assert not TOTPDevice.objects.filter(confirmed=True).exists()
    assert not StaticDevice.objects.exists()
    assert client.get("/")["Location"].startswith(VERIFY)


def test_an_unverified_user_with_an_app_cannot_enrol_another(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    assert client.get(ENROL)["Location"] == f"{VERIFY}?next=%2F"
    assert client.post(ENROL, {"code": "123456"})["Location"].startswith(VERIFY)
    assert TOTPDevice.objects.count() == 1


def test_a_recovery_code_works_once(client, district):
    password_step(client, Role.OFFICE)
    codes = enrol(client)
    client.post(reverse("logout"))

    password_step(client, Role.OFFICE)
    response = client.post(
        VERIFY, {"code": codes[0].upper()}, HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    assert "9 recovery codes are left" in page(response)
    assert client.get("/").status_code == 200
    client.post(reverse("logout"))

    password_step(client, Role.OFFICE)
    response = client.post(VERIFY, {"code": codes[0]}, HTTP_ACCEPT_LANGUAGE="en")
    assert WRONG["en"] in page(response)
    assert client.get("/")["Location"].startswith(VERIFY)


def test_new_recovery_codes_replace_the_old_ones(client, district):
    password_step(client, Role.OFFICE)
    old = enrol(client)

    client.post(CODES)
    new = re.findall(r'<li><code class="fs-6">([a-z2-7]{8})</code></li>', page(client.get(CODES)))

    assert len(new) == 10 and not set(new) & set(old)
    client.post(reverse("logout"))
    password_step(client, Role.OFFICE)
    assert WRONG["en"] in page(client.post(VERIFY, {"code": old[1]}, HTTP_ACCEPT_LANGUAGE="en"))
    assert client.post(VERIFY, {"code": new[1]}).status_code == 302


def test_recovery_codes_are_shown_only_to_a_verified_session(client, district):
    password_step(client, Role.OFFICE)
    enrol(client)
    client.post(reverse("logout"))
    password_step(client, Role.OFFICE)

    assert client.get(CODES)["Location"].startswith(VERIFY)


# --- The admin's reset --------------------------------------------------------------------


def test_the_admin_resets_a_users_app_and_they_enrol_again(client, district):
    from django.test import Client

    leader = district.user(Role.LEADER)
    leader_browser = Client()
    device = totp_device_for(leader)
    password_step(leader_browser, Role.LEADER)
    leader_browser.post(VERIFY, {"code": next_code(device)})
    assert leader_browser.get("/").status_code == 200
    admin = district.user(Role.ADMIN)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    mark_session_verified(client, admin)

    response = client.post(
        "/admin/auth/user/",
        {"action": "reset_two_factor", "_selected_action": [leader.pk]},
        HTTP_ACCEPT_LANGUAGE="en",
        follow=True,
    )

    assert "Two-factor sign-in reset for 1 user." in page(response)
    assert not TOTPDevice.objects.filter(user=leader).exists()
    assert not StaticDevice.objects.filter(user=leader).exists()
    # The leader's open session is no longer verified: at once led to enrol again.
    assert leader_browser.get("/")["Location"].startswith(VERIFY)
    assert leader_browser.get(VERIFY)["Location"] == f"{ENROL}?next=%2F"
    leader_browser.post(reverse("logout"))
    assert password_step(leader_browser, Role.LEADER)["Location"] == f"{ENROL}?next=%2F"


def test_the_admin_offers_no_way_to_set_a_users_key(client, district):
    admin = district.user(Role.ADMIN)
    admin.is_staff = True
    admin.save(update_fields=["is_staff"])
    client.force_login(admin)
    mark_session_verified(client, admin)

    assert client.get("/admin/otp_totp/totpdevice/add/").status_code == 404
    assert client.get("/admin/otp_static/staticdevice/").status_code == 404


# --- The district's setting for department heads and staff ---------------------------------


def switch_departments(client, district, required: bool, language="en"):
    client.force_login(district.user(Role.OFFICE))
    mark_session_verified(client, district.user(Role.OFFICE))
    data = {"department_two_factor_required": "on"} if required else {}
    return client.post(DISTRICT, data, HTTP_ACCEPT_LANGUAGE=language, follow=True)


@pytest.mark.parametrize("role", DEPARTMENT)
def test_department_roles_sign_in_with_the_password_when_the_office_turns_it_off(
    client, district, role
):
    from django.test import Client

    response = switch_departments(client, district, required=False)
    assert "may now sign in with their password alone" in page(response)
    assert DistrictSettings.objects.get().department_two_factor_required is False

    browser = Client()
    response = password_step(browser, role, next_url="/problems/")
    assert response["Location"] == "/problems/"
    assert browser.get("/problems/").status_code == 200
    # The office and leaders still must.
    leader = Client()
    assert password_step(leader, Role.LEADER)["Location"] == f"{ENROL}?next=%2F"


def test_department_roles_that_enrolled_still_give_a_code_when_it_is_off(client, district):
    from django.test import Client

    switch_departments(client, district, required=False)
    device = totp_device_for(district.user(Role.DEPARTMENT_HEAD))
    browser = Client()

    assert password_step(browser, Role.DEPARTMENT_HEAD)["Location"] == f"{VERIFY}?next=%2F"
    assert browser.get("/")["Location"].startswith(VERIFY)
    assert browser.post(VERIFY, {"code": next_code(device)}).status_code == 302
    assert browser.get("/").status_code == 200


def test_turning_it_on_again_holds_department_roles_at_once(client, district):
    from django.test import Client

    switch_departments(client, district, required=False)
    browser = Client()
    password_step(browser, Role.DEPARTMENT_STAFF)
    assert browser.get("/").status_code == 200

    response = switch_departments(client, district, required=True, language="zh-hans")

    assert "部门负责人和工作人员现在必须使用双因素登录" in page(response)
    assert browser.get("/")["Location"].startswith(VERIFY)


def test_only_the_office_changes_the_district_setting(client, district):
    leader = district.user(Role.LEADER)
    client.force_login(leader)
    mark_session_verified(client, leader)

    assert client.post(DISTRICT, {}).status_code == 404
    assert "For the district" not in page(client.get(MANAGE, HTTP_ACCEPT_LANGUAGE="en"))
    assert not DistrictSettings.objects.exists()
    assert policy.department_two_factor_required()


# --- Enterprise users may choose -----------------------------------------------------------


def test_an_enterprise_user_signs_in_with_the_password_alone(client, district):
    response = password_step(client, Role.ENTERPRISE)

    assert response["Location"] == "/"
    assert client.get("/").status_code == 200
    assert "Off: you sign in with your password alone" in page(
        client.get(MANAGE, HTTP_ACCEPT_LANGUAGE="en")
    )


def test_an_enterprise_user_who_enrols_gives_a_code_and_may_turn_it_off(client, district):
    password_step(client, Role.ENTERPRISE)
    enrol(client)
    client.post(reverse("logout"))

    assert password_step(client, Role.ENTERPRISE)["Location"] == f"{VERIFY}?next=%2F"
    assert client.get("/problems/")["Location"].startswith(VERIFY)
    device = TOTPDevice.objects.get(user=district.user(Role.ENTERPRISE))
    client.post(VERIFY, {"code": next_code(device)})

    response = client.post(reverse("two_factor_remove"), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "Two-factor sign-in is off" in page(response)
    assert not TOTPDevice.objects.filter(user=district.user(Role.ENTERPRISE)).exists()
    client.post(reverse("logout"))
    assert password_step(client, Role.ENTERPRISE)["Location"] == "/"


def test_an_official_cannot_turn_it_off(client, district):
    password_step(client, Role.OFFICE)
    enrol(client)

    response = client.post(reverse("two_factor_remove"), HTTP_ACCEPT_LANGUAGE="en", follow=True)

    assert "Your role must use two-factor sign-in" in page(response)
    assert TOTPDevice.objects.filter(user=district.user(Role.OFFICE)).exists()


def test_a_user_without_a_role_needs_no_second_factor(client, district):
    assert password_step(client, None)["Location"] == "/"
    assert client.get("/").status_code == 200


def test_a_user_who_becomes_an_official_is_held_until_enrolled(client, district):
    password_step(client, Role.ENTERPRISE)
    assert client.get("/").status_code == 200
    norole = district.user(None)
    profile_set_role(user=norole, role=Role.LEADER)
    client.post(reverse("logout"))

    assert password_step(client, None)["Location"] == f"{ENROL}?next=%2F"


def test_a_fragment_sends_the_whole_page_to_the_second_step_and_back(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    response = client.get(
        reverse("issues:notifications_badge"),
        HTTP_HX_REQUEST="true",
        HTTP_HX_CURRENT_URL="http://testserver/problems/?status=new",
    )

    assert response.status_code == 204
    assert response["HX-Redirect"] == f"{VERIFY}?next=%2Fproblems%2F%3Fstatus%3Dnew"


def test_the_second_step_shows_no_menu_yet(client, district):
    totp_device_for(district.user(Role.OFFICE))
    password_step(client, Role.OFFICE)

    html = page(client.get(VERIFY, HTTP_ACCEPT_LANGUAGE="en"))

    assert 'id="main-menu"' not in html
    assert "notification-badge" not in html
    assert 'name="language"' in html  # the language switcher stays


CODE_FORM_LABELS = {
    "en": {ENROL: "Turn on two-factor sign-in", VERIFY: "Sign in", "out": "Cancel and log out"},
    "zh-hans": {ENROL: "开启双因素登录", VERIFY: "登录", "out": "取消并退出登录"},
}


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_both_code_pages_post_the_code_to_themselves_and_offer_to_log_out(
    client, district, language
):
    """The code form the two pages share (liaison/includes/two_factor_code_form.html)."""
    labels = CODE_FORM_LABELS[language]
    password_step(client, Role.OFFICE)
    enrol_html = page(client.get(f"{ENROL}?next=/problems/", HTTP_ACCEPT_LANGUAGE=language))
    client.logout()
    totp_device_for(district.user(Role.LEADER))
    password_step(client, Role.LEADER)
    verify_html = page(client.get(f"{VERIFY}?next=/problems/", HTTP_ACCEPT_LANGUAGE=language))

    for url, html in ((ENROL, enrol_html), (VERIFY, verify_html)):
        assert f'<form method="post" action="{url}" novalidate>' in html
        assert 'name="code"' in html
        assert '<input type="hidden" name="next" value="/problems/">' in html
        assert (
            f'<button type="submit" class="btn btn-liaison w-100 mt-2">{labels[url]}</button>'
            in html
        )
        assert '<form method="post" action="/accounts/logout/" class="mt-3 text-center">' in html
        assert f'<button type="submit" class="btn btn-link btn-sm">{labels["out"]}</button>' in html


@pytest.mark.parametrize("drift", [-1, 0, 1])
def test_the_tests_next_code_is_accepted_whatever_the_apps_drift(district, drift):
    """tests.twofactor.next_code, which every browser test types: a sign-in across a time
    step's boundary leaves the device a drift of -1 (or +1 after a code of the next step),
    and the next code must still be one the device takes, never a replay of last_t."""
    device = totp_device_for(district.user(Role.OFFICE))
    device.drift = drift
    device.last_t = current_t(device) + drift
    device.save()

    assert device.verify_token(next_code(device))
    assert device.verify_token(next_code(device))
