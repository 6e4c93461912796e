"""Each read of personal data, export, download and sign-in event is in the audit trail."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from audit.models import AccessEvent, Action
from issues.models import Status
from issues.services import problem_attach
from liaison.models import Role
from tests.liaison.conftest import PASSWORD as DISTRICT_PASSWORD
from tests.liaison.conftest import USERNAMES
from tests.twofactor import next_code, totp_device_for

from .conftest import make_user, pdf_bytes, upload

pytestmark = pytest.mark.django_db

PASSWORD = "Audit-test-password-9"


def last_event() -> AccessEvent:
    return AccessEvent.objects.order_by("-id").first()


def events(action) -> list[AccessEvent]:
    return list(AccessEvent.objects.filter(action=action).order_by("id"))


# --- problems and enterprises -----------------------------------------------------------


def test_an_official_opening_a_problem_is_recorded(client_as, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    response = client_as(lead_staff).get(reverse("issues:detail", args=[problem.reference]))

    assert response.status_code == 200
    (event,) = events(Action.VIEWED_PROBLEM)
    assert event.actor == lead_staff
    assert (event.username, event.role) == ("lead_staff", "department_staff")
    assert (event.object_type, event.object_id) == ("problem", str(problem.pk))
    assert event.object_label.startswith(problem.reference)
    assert event.enterprise_id == problem.enterprise_id
    assert event.ip_address == "127.0.0.1"
    assert event.path == f"/problems/{problem.reference}/"


def test_an_enterprise_reading_its_own_problem_is_not_recorded(
    client_as, make_problem, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)

    client_as(enterprise_user).get(reverse("issues:detail", args=[problem.reference]))

    assert not AccessEvent.objects.filter(action=Action.VIEWED_PROBLEM).exists()


def test_a_problem_the_user_may_not_see_records_nothing(client_as, make_problem, other_staff):
    problem = make_problem(Status.IN_PROGRESS)

    response = client_as(other_staff).get(reverse("issues:detail", args=[problem.reference]))

    assert response.status_code == 404
    assert not AccessEvent.objects.filter(action=Action.VIEWED_PROBLEM).exists()


def test_the_dispatch_sheet_is_recorded_as_a_print(client_as, make_problem, office):
    problem = make_problem(Status.DISPATCHED)

    client_as(office).get(reverse("issues:dispatch_sheet", args=[problem.reference]))

    (event,) = events(Action.PRINTED)
    assert (event.username, event.object_id, event.detail) == (
        "office",
        str(problem.pk),
        "dispatch sheet",
    )


def test_an_enterprise_opened_in_the_admin_is_recorded(client_as, office, enterprise):
    response = client_as(office).get(
        reverse("admin:liaison_enterprise_change", args=[enterprise.pk])
    )

    assert response.status_code == 200
    (event,) = events(Action.VIEWED_ENTERPRISE)
    assert (event.username, event.enterprise, event.object_label) == (
        "office",
        enterprise,
        enterprise.name,
    )


# --- downloads and exports --------------------------------------------------------------


def test_every_attachment_download_is_recorded(
    client_as, make_problem, enterprise_user, lead_staff, media_root
):
    problem = make_problem(Status.IN_PROGRESS)
    (attachment,) = problem_attach(
        problem_id=problem.pk,
        actor=enterprise_user,
        uploads=[upload("营业执照.pdf", pdf_bytes())],
        is_public=True,
    )

    for user in (enterprise_user, lead_staff):
        response = client_as(user).get(reverse("issues:attachment", args=[attachment.pk]))
        assert response.status_code == 200
        assert b"".join(response.streaming_content) == pdf_bytes()

    downloads = events(Action.DOWNLOADED_ATTACHMENT)
    assert [e.username for e in downloads] == ["enterprise_user", "lead_staff"]
    assert {e.object_label for e in downloads} == {f"{problem.reference} 营业执照.pdf"}
    assert {e.enterprise_id for e in downloads} == {problem.enterprise_id}


@pytest.mark.parametrize(
    "url",
    [
        reverse("meetings:contacts_xlsx"),
        reverse("meetings:guidance_xlsx"),
        reverse("meetings:statistics_xlsx"),
        reverse("dashboard_xlsx"),
        reverse("keytasks:year_xlsx"),
        reverse("admin:imports_export", args=["departments"]),
    ],
)
def test_every_export_is_recorded(client_as, office, warm_calendar, url):
    response = client_as(office).get(url)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    (event,) = events(Action.EXPORTED)
    assert event.username == "office"
    assert event.object_label.endswith(".xlsx")
    assert event.path.startswith(url)


def test_the_published_lists_are_recorded_for_signed_in_users(client_as, enterprise_user):
    client = client_as(enterprise_user)
    client.get(reverse("meetings:contacts"))
    client.get(reverse("meetings:guidance"))

    assert [(e.object_type, e.role) for e in events(Action.VIEWED_CONTACT_LIST)] == [
        ("contacts", "enterprise"),
        ("guidance", "enterprise"),
    ]


def test_anonymous_readers_of_public_lists_are_not_recorded(client_as, settings):
    settings.LIAISON_PUBLIC_LISTS = True

    assert client_as(None).get(reverse("meetings:contacts")).status_code == 200

    assert not AccessEvent.objects.exists()


# --- signing in and out -----------------------------------------------------------------


@pytest.fixture
def person(db):
    user = make_user("wangfang")
    user.set_password(PASSWORD)
    user.save(update_fields=["password"])
    return user


def test_signing_in_and_out_is_recorded(client, person):
    response = client.post(reverse("login"), {"username": "wangfang", "password": PASSWORD})
    assert response.status_code == 302
    client.post(reverse("logout"))

    assert [(e.action, e.username, e.actor) for e in AccessEvent.objects.order_by("id")] == [
        (Action.SIGNED_IN, "wangfang", person),
        (Action.SIGNED_OUT, "wangfang", person),
    ]


def test_a_failed_sign_in_is_recorded_with_the_name_tried(client, person):
    client.post(reverse("login"), {"username": "wangfang", "password": "wrong"})
    client.post(reverse("login"), {"username": "nobody-here", "password": "wrong"})

    failures = events(Action.SIGN_IN_FAILED)
    assert [(e.username, e.actor) for e in failures] == [("wangfang", None), ("nobody-here", None)]
    assert all(e.ip_address == "127.0.0.1" for e in failures)


def test_a_locked_out_sign_in_is_recorded_as_a_failure(client, person):
    for _ in range(6):  # django-axes locks the name and address at the 5th failure
        client.post(reverse("login"), {"username": "wangfang", "password": "wrong"})

    failures = events(Action.SIGN_IN_FAILED)
    assert len(failures) == 6
    # the failure that locked the name, and the attempt refused while it is locked
    assert [e.detail for e in failures] == [""] * 4 + ["locked out"] * 2


def test_the_two_factor_hook_records_for_a_user_not_yet_signed_in(rf, person):
    import audit

    request = rf.post("/accounts/login/")
    audit.record_two_factor(request, Action.TWO_FACTOR_FAILED, user=person, detail="totp")

    event = last_event()
    assert (event.action, event.actor, event.username, event.detail) == (
        Action.TWO_FACTOR_FAILED,
        person,
        "wangfang",
        "totp",
    )


@pytest.mark.real_two_factor
def test_the_second_step_of_a_sign_in_is_recorded(client, district, settings):
    settings.OTP_TOTP_THROTTLE_FACTOR = 0
    office = district.user(Role.OFFICE)
    device = totp_device_for(office)
    client.post(
        reverse("login"), {"username": USERNAMES[Role.OFFICE], "password": DISTRICT_PASSWORD}
    )
    right = next_code(device)
    client.post(reverse("two_factor_verify"), {"code": "000000" if right != "000000" else "111111"})
    client.post(reverse("two_factor_verify"), {"code": next_code(device)})

    assert [(e.action, e.actor, e.detail) for e in AccessEvent.objects.order_by("id")] == [
        (Action.SIGNED_IN, office, ""),
        (Action.TWO_FACTOR_FAILED, office, "wrong"),
        (Action.TWO_FACTOR_VERIFIED, office, "app"),
    ]


def test_the_admins_reset_of_someones_two_factor_sign_in_is_recorded(client, district):
    admin_user = district.user(Role.ADMIN)
    admin_user.is_staff = True
    admin_user.save(update_fields=["is_staff"])
    leader = district.user(Role.LEADER)
    totp_device_for(leader)
    client.force_login(admin_user)  # tests/conftest.py: the session passed the second step
    client.post(
        "/admin/auth/user/", {"action": "reset_two_factor", "_selected_action": [leader.pk]}
    )

    event = events(Action.TWO_FACTOR_DEVICE_RESET)[-1]
    assert (event.actor, event.object_type, event.object_id, event.detail) == (
        admin_user,
        "user",
        str(leader.pk),
        "admin reset",
    )


def test_an_unknown_action_is_refused(rf, person):
    import audit

    with pytest.raises(ValueError):
        audit.record(rf.get("/"), "looked_around")


def test_the_record_keeps_the_name_when_the_account_is_deleted(client, person):
    client.post(reverse("login"), {"username": "wangfang", "password": PASSWORD})
    client.logout()

    get_user_model().objects.filter(pk=person.pk).delete()

    event = AccessEvent.objects.get(action=Action.SIGNED_IN)
    assert (event.actor, event.username) == (None, "wangfang")
