"""The seed_demo command: a complete, valid demo district, created once however often it runs."""

import re
from io import StringIO

import pytest
from django.apps import apps
from django.contrib.auth.models import User
from django.core.management import CommandError, call_command
from django.test.utils import override_settings

from dashboard.management.commands import seed_demo
from liaison import demo_data
from liaison.models import DEPARTMENT_ROLES, Department, Enterprise, Profile, Role
from liaison.validators import validate_credit_code, validate_phone
from tests.conftest import rolled_back_at_the_end

pytestmark = pytest.mark.django_db

JIAXING_LANDLINE = re.compile(r"^0573-8\d{7}$")
MOBILE = re.compile(r"^1[3-9]\d{9}$")


@pytest.fixture(autouse=True)
def demo_settings(settings):
    settings.DEBUG = True  # the command refuses to run without it (see the last tests)


def run_seed(**options) -> str:
    out = StringIO()
    call_command("seed_demo", stdout=out, stderr=StringIO(), **options)
    return out.getvalue()


@pytest.fixture(scope="class")
def seeded(django_db_setup, django_db_blocker):
    """seed_demo run once for the tests of a class (it takes seconds): its output."""
    with rolled_back_at_the_end(django_db_blocker):
        with django_db_blocker.unblock(), override_settings(DEBUG=True):
            output = run_seed()
        yield output


# The steps seed_demo runs before its last: enough to see what a failed or a refused run
# leaves behind without paying for the whole district each time.
FIRST_STEPS = (seed_demo.seed_officials, seed_demo.seed_departments)


def snapshot() -> dict[str, object]:
    """Row counts of every model, and the full contents of the ones the command writes."""
    state: dict[str, object] = {
        model._meta.label: model._default_manager.count()
        for model in apps.get_models(include_auto_created=True)
    }
    for model in (Department, Enterprise, Profile, User, User.groups.through):
        state[f"{model._meta.label} rows"] = list(model._default_manager.order_by("pk").values())
    return state


def test_it_makes_credit_codes_with_valid_check_digits():
    codes = [demo_data.credit_code_for(seq) for seq in range(1, 200)]

    assert len(set(codes)) == len(codes)
    for code in codes:
        validate_credit_code(code)
        assert code.startswith("91330411")


@pytest.mark.usefixtures("seeded")
class TestTheSeededDistrict:
    """On one run of seed_demo (the `seeded` fixture): what it created, and a second run."""

    def test_it_creates_district_departments_and_towns(self):
        districts = Department.objects.filter(kind=Department.Kind.DISTRICT)
        towns = Department.objects.filter(kind=Department.Kind.TOWN)
        assert districts.count() >= 12
        assert towns.count() >= 5
        assert Department.objects.get(name="区供电公司").kind == Department.Kind.OTHER
        for department in Department.objects.all():
            assert department.short_name
            assert department.head_name
            assert MOBILE.match(department.head_phone), department
            assert JIAXING_LANDLINE.match(department.office_phone), department
            assert 3 <= len(department.guidance_service_list()) <= 5, department
        orders = list(Department.objects.values_list("display_order", flat=True))
        assert len(set(orders)) == len(orders)

    def test_it_gives_every_department_a_supervising_leader(self):
        leaders = User.objects.filter(profile__role=Role.LEADER)
        assert leaders.count() == 6
        for leader in leaders:
            assert leader.supervised_departments.count() >= 2, leader.username
        assert not Department.objects.filter(supervising_leader__isnull=True).exists()
        assert User.objects.filter(profile__role=Role.PRINCIPAL).count() == 2
        assert User.objects.filter(profile__role=Role.OFFICE).count() == 2
        admin = User.objects.get(profile__role=Role.ADMIN)
        assert admin.username == "admin"
        assert admin.is_superuser and admin.is_staff

    def test_it_gives_every_department_a_head_and_a_staff_member(self):
        for department in Department.objects.all():
            roles = sorted(department.profiles.values_list("role", flat=True))
            assert roles == [Role.DEPARTMENT_HEAD, Role.DEPARTMENT_STAFF], department
            head = department.profiles.get(role=Role.DEPARTMENT_HEAD)
            # The head login is the person on the published head contact list.
            assert head.user.get_full_name() == department.head_name
            assert head.phone == department.head_phone

    def test_it_creates_enterprises_with_valid_codes_phones_and_one_login_each(self):
        enterprises = Enterprise.objects.select_related("town")
        assert enterprises.count() >= 40
        assert len({e.industry for e in enterprises}) >= 8
        for enterprise in enterprises:
            validate_credit_code(enterprise.credit_code)
            validate_phone(enterprise.contact_phone)
            enterprise.full_clean()
            assert enterprise.town.kind == Department.Kind.TOWN
            assert enterprise.address and enterprise.contact_person
            assert enterprise.email.endswith(".example.com")
            assert enterprise.profiles.get().role == Role.ENTERPRISE

    def test_it_gives_every_profile_a_role_that_fits(self):
        profiles = Profile.objects.select_related("user")
        assert profiles.count() == User.objects.count()
        for profile in profiles:
            user = profile.user
            profile.full_clean()  # includes the role/organisation constraint
            validate_phone(profile.phone)
            assert list(user.groups.values_list("name", flat=True)) == [profile.role]
            assert user.is_staff == (profile.role in (Role.OFFICE, Role.ADMIN))
            assert user.is_superuser == (profile.role == Role.ADMIN)
            if profile.role == Role.ENTERPRISE:
                assert profile.enterprise_id and not profile.department_id
            elif profile.role in DEPARTMENT_ROLES:
                assert profile.department_id and not profile.enterprise_id
            else:
                assert not profile.department_id and not profile.enterprise_id
            assert re.fullmatch(r"[a-z0-9_]+", user.username)
            assert re.fullmatch(r"[\u4e00-\u9fff]{2,4}", user.get_full_name()), user.username
            assert user.email

    def test_it_uses_the_one_demo_password(self):
        for username in (
            "admin",
            "principal1",
            "leader6",
            "office2",
            "sthj_head",
            "hh_staff",
            "ent40",
        ):
            # The password itself (authenticate() wants the request: django-axes records
            # failed sign-ins per address).
            user = User.objects.get(username=username)
            assert user.is_active and user.check_password("liaison-demo"), username

    def test_it_creates_nothing_and_changes_nothing_on_a_second_run(self):
        before = snapshot()

        output = run_seed()

        assert snapshot() == before
        assert "created nothing" in output

    def test_it_keeps_what_users_edited(self):
        user = User.objects.get(username="ent01")
        user.set_password("changed-by-the-user")
        user.save(update_fields=["password"])
        Department.objects.filter(name="区发改局").update(
            head_name="林晓", head_phone="13900000000"
        )
        Enterprise.objects.filter(name="嘉兴市禾新纺织有限公司").update(contact_person="林晓")
        Profile.objects.filter(user__username="office1").update(title="办公室副主任")

        run_seed()

        user.refresh_from_db()
        assert user.check_password("changed-by-the-user")
        assert not user.check_password("liaison-demo")
        department = Department.objects.get(name="区发改局")
        assert (department.head_name, department.head_phone) == ("林晓", "13900000000")
        assert Enterprise.objects.get(name="嘉兴市禾新纺织有限公司").contact_person == "林晓"
        assert Profile.objects.get(user__username="office1").title == "办公室副主任"

    def test_it_prints_every_login_and_the_password(self, seeded):
        output = seeded

        for username in User.objects.values_list("username", flat=True):
            assert re.search(rf"^{username}\s", output, re.MULTILINE), username
        assert "区委书记" in output and "嘉兴市禾新纺织有限公司" in output
        assert "liaison-demo" in output.splitlines()[-1]

    def test_it_leaves_the_officials_to_enrol_in_two_factor_sign_in(self, seeded):
        from django_otp.plugins.otp_totp.models import TOTPDevice

        from liaison.twofactor import policy

        # A tester goes through the real enrolment at the first sign-in (README).
        assert not TOTPDevice.objects.exists()
        assert policy.two_factor_required(User.objects.get(username="office1"))
        assert not policy.two_factor_required(User.objects.get(username="ent01"))
        assert "Two-factor sign-in: every login but the enterprises'" in seeded


def test_it_writes_nothing_when_a_step_fails(monkeypatch):
    def failing_step(district):
        raise RuntimeError("step failed")

    monkeypatch.setattr(seed_demo, "STEPS", (*FIRST_STEPS, failing_step))

    with pytest.raises(RuntimeError):
        run_seed()

    assert not User.objects.exists()
    assert not Department.objects.exists()


def test_it_refuses_to_run_without_debug(settings):
    settings.DEBUG = False

    with pytest.raises(CommandError, match="DEBUG is off"):
        run_seed()

    assert not User.objects.exists()


def test_it_runs_without_debug_when_told_to(settings, monkeypatch):
    monkeypatch.setattr(seed_demo, "STEPS", FIRST_STEPS)
    settings.DEBUG = False

    run_seed(allow_production=True)

    assert User.objects.filter(username="admin", is_superuser=True).exists()


def test_it_runs_in_make_run_s_local_mode_without_debug(settings, monkeypatch):
    # `make setup` seeds with DEBUG off (LIAISON_LOCAL_RUN), on localhost only.
    monkeypatch.setattr(seed_demo, "STEPS", FIRST_STEPS)
    settings.DEBUG = False
    settings.LIAISON_LOCAL_RUN = True

    run_seed()

    assert User.objects.filter(username="admin", is_superuser=True).exists()
