"""Create the demo district: officials, departments and towns, enterprises and their logins.

Idempotent: rows are looked up by natural key (username, department name, credit code)
and only created when missing, so a second run adds nothing and leaves edits made in
the demo (names, phones, passwords, roles) alone. Each step below receives the
`DemoDistrict` built so far; meetings, problems and key tasks are later steps of the
same list, then one run of the deadline sweep, so that overdue problems are escalated
at once rather than when Celery beat first runs.
"""

from __future__ import annotations

import time
import unicodedata
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management.base import BaseCommand, CommandError
from django.db import models, transaction

from dashboard.assessment.demo import seed_assessments
from dashboard.bulletin.demo import seed_bulletins
from dashboard.summary import dashboard_refresh
from issues.demo import seed_callbacks, seed_deadline_sweep, seed_merged_problem, seed_problems
from issues.relief.demo import seed_relief
from keytasks.demo import seed_key_tasks
from liaison import demo_data
from liaison.models import Department, Enterprise, Profile, Role
from liaison.services import profile_set_role
from meetings.demo import seed_current_year, seed_past_year
from meetings.demo_coordination import seed_consultations, seed_coordination
from policy.demo import seed_common_problems
from service.demo import seed_visits

User = get_user_model()
M = TypeVar("M", bound=models.Model)


@dataclass
class DemoDistrict:
    """What the steps have found or created, by natural key, for the steps after them."""

    users: dict[str, models.Model] = field(default_factory=dict)  # by username, in seed order
    departments: dict[str, Department] = field(default_factory=dict)  # by demo code
    enterprises: dict[str, Enterprise] = field(default_factory=dict)  # by demo slug
    created: Counter[str] = field(default_factory=Counter)  # model name -> rows created
    warnings: list[str] = field(default_factory=list)
    _password_hash: str | None = None

    @property
    def password_hash(self) -> str:
        # Hashing is deliberately slow (PBKDF2); one hash serves every new demo user.
        if self._password_hash is None:
            self._password_hash = make_password(demo_data.DEMO_PASSWORD)
        return self._password_hash


def _get_or_create_valid(district: DemoDistrict, model: type[M], build: Callable[[], M], **key):
    """get_or_create by natural key, but run every validator before the row is written."""
    obj = model._default_manager.filter(**key).first()
    if obj is None:
        obj = build()
        obj.full_clean()
        obj.save()
        district.created[model._meta.model_name] += 1
    return obj


def _ensure_user(
    district: DemoDistrict,
    *,
    username: str,
    name: str,
    email: str,
    role: str,
    title: str,
    phone: str,
    department: Department | None = None,
    enterprise: Enterprise | None = None,
):
    # The whole Chinese name goes in first_name so that get_full_name() reads "张伟",
    # not "伟 张" (Django puts first_name before last_name).
    user = _get_or_create_valid(
        district,
        User,
        lambda: User(
            username=username, first_name=name, email=email, password=district.password_hash
        ),
        username=username,
    )
    profile = Profile.objects.filter(user=user).first()
    if profile is None:
        Profile(
            user=user,
            role=role,
            department=department,
            enterprise=enterprise,
            title=title,
            phone=phone,
        ).full_clean()
        profile_set_role(
            user=user,
            role=role,
            department=department,
            enterprise=enterprise,
            title=title,
            phone=phone,
        )
        district.created["profile"] += 1
    elif profile.role != role:
        district.warnings.append(
            f"{username} already exists with role {profile.role!r}, not {role!r}; left as it is."
        )
    district.users[username] = user
    return user


def seed_officials(district: DemoDistrict) -> None:
    """The administrator, the two principal leaders, six district leaders and the office."""
    for official in demo_data.OFFICIALS:
        _ensure_user(
            district,
            username=official.username,
            name=official.name,
            email=demo_data.official_email(official.username),
            role=official.role,
            title=official.title,
            phone=demo_data.mobile_for(official.username),
        )


def seed_departments(district: DemoDistrict) -> None:
    """District departments, the power company and the towns, each with a supervising leader."""
    leader_of = {
        code: district.users[official.username]
        for official in demo_data.OFFICIALS
        for code in official.supervises
    }
    for order, row in enumerate(demo_data.DEPARTMENTS, start=1):
        district.departments[row.code] = _get_or_create_valid(
            district,
            Department,
            lambda row=row, order=order: Department(
                name=row.name,
                short_name=row.short_name,
                kind=row.kind,
                head_name=row.head_name,
                head_phone=demo_data.mobile_for(f"{row.code}_head"),
                office_phone=demo_data.office_phone_for(row.code),
                supervising_leader=leader_of.get(row.code),
                guidance_services="\n".join(row.services),
                display_order=order * 10,
            ),
            name=row.name,
        )


def seed_department_users(district: DemoDistrict) -> None:
    """Each department's head (its 一把手, as on the contact list) and one staff member."""
    for row in demo_data.DEPARTMENTS:
        department = district.departments[row.code]
        for suffix, role, name, title in (
            ("head", Role.DEPARTMENT_HEAD, row.head_name, row.head_title),
            ("staff", Role.DEPARTMENT_STAFF, row.staff_name, row.staff_title),
        ):
            username = f"{row.code}_{suffix}"
            _ensure_user(
                district,
                username=username,
                name=name,
                email=demo_data.official_email(username),
                role=role,
                title=title,
                phone=demo_data.mobile_for(username),
                department=department,
            )


def seed_enterprises(district: DemoDistrict) -> None:
    """The enterprises, each with one login for its contact person."""
    for seq, row in enumerate(demo_data.ENTERPRISES, start=1):
        username = demo_data.enterprise_username(seq)
        phone = demo_data.mobile_for(username)
        email = demo_data.enterprise_email(row.slug)
        enterprise = _get_or_create_valid(
            district,
            Enterprise,
            lambda row=row, phone=phone, email=email, seq=seq: Enterprise(
                name=row.name,
                credit_code=demo_data.credit_code_for(seq),
                industry=row.industry,
                town=district.departments[row.town],
                address=row.address,
                contact_person=row.contact_person,
                contact_phone=phone,
                email=email,
            ),
            credit_code=demo_data.credit_code_for(seq),
        )
        district.enterprises[row.slug] = enterprise
        _ensure_user(
            district,
            username=username,
            name=row.contact_person,
            email=email,
            role=Role.ENTERPRISE,
            title=row.contact_title,
            phone=phone,
            enterprise=enterprise,
        )


def seed_dashboard_summary(district: DemoDistrict) -> None:
    """Last: rebuild the dashboard's summary from everything seeded, so it is fresh at once."""
    dashboard_refresh(full=True)


# The order matters: departments need their leaders, enterprises their towns; problems
# go in by date (last year's meetings, the last 12 months, this year's meetings), so
# reference numbers rise with the submission date; coordination meetings need open
# problems; the sweep acts on everything, the past months' assessments are frozen from
# it, and the dashboard's summary counts it all.
STEPS: tuple[Callable[[DemoDistrict], None], ...] = (
    seed_officials,
    seed_departments,
    seed_department_users,
    seed_enterprises,
    seed_past_year,
    seed_problems,
    seed_callbacks,
    seed_merged_problem,
    seed_current_year,
    seed_coordination,
    seed_consultations,
    seed_key_tasks,
    seed_visits,
    seed_common_problems,
    seed_deadline_sweep,
    seed_relief,
    seed_assessments,
    seed_dashboard_summary,
    # The last twelve months' bulletins, after the sweep (their overdue figures).
    seed_bulletins,
)


def seed_demo_district() -> DemoDistrict:
    district = DemoDistrict()
    with transaction.atomic():
        for step in STEPS:
            step(district)
    return district


def demo_logins(district: DemoDistrict) -> list[tuple[str, str, str, str]]:
    """(username, role, name, organisation) of every demo user, as they are now in the database."""
    users = (
        User.objects.filter(username__in=district.users)
        .select_related("profile__department", "profile__enterprise")
        .prefetch_related("supervised_departments")
    )
    by_username = {user.username: user for user in users}
    rows = []
    for username in district.users:
        user = by_username[username]
        profile = getattr(user, "profile", None)
        if profile is None:
            rows.append((username, "-", user.get_full_name(), ""))
            continue
        organisation = profile.department or profile.enterprise
        where = f"{organisation} {profile.title}" if organisation else profile.title
        supervised = [
            d.name if d.kind == Department.Kind.TOWN else d.short_name
            for d in user.supervised_departments.all()
        ]
        if supervised:
            where += " 分管" + "、".join(supervised)
        rows.append((username, profile.role, user.get_full_name(), where.strip()))
    return rows


def _width(text: str) -> int:
    # Chinese characters take two columns in a terminal.
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def format_table(header: tuple[str, ...], rows: list[tuple[str, ...]]) -> str:
    widths = [max(_width(row[i]) for row in [header, *rows]) for i in range(len(header))]

    def line(cells):
        return "  ".join(
            c + " " * (w - _width(c)) for c, w in zip(cells, widths, strict=True)
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(header), rule, *(line(row) for row in rows)])


class Command(BaseCommand):
    help = (
        "Create the demo district (departments, towns, leaders, enterprises and their logins, "
        f'all with the password "{demo_data.DEMO_PASSWORD}"). Safe to run again.'
    )

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Seed even with DEBUG off (creates a superuser with a published password).",
        )

    def handle(self, *args, **options):
        # `make run` (LIAISON_LOCAL_RUN) has DEBUG off to show the real error pages, and
        # serves on localhost only.
        local = settings.DEBUG or settings.LIAISON_LOCAL_RUN
        if not local and not options["allow_production"]:
            raise CommandError(
                "DEBUG is off: refusing to create demo logins that share a published password, "
                "among them the superuser 'admin'. Pass --allow-production if this really is "
                "a demonstration server."
            )
        started = time.monotonic()
        district = seed_demo_district()
        elapsed = time.monotonic() - started

        for warning in district.warnings:
            self.stderr.write(self.style.WARNING(warning))
        created = ", ".join(f"{n} {name}" for name, n in sorted(district.created.items()))
        self.stdout.write(
            f"Demo district: {len(district.departments)} departments and towns, "
            f"{len(district.enterprises)} enterprises, {len(district.users)} logins; "
            f"created {created or 'nothing (all there already)'} in {elapsed:.1f} s.\n"
        )
        self.stdout.write(
            format_table(("username", "role", "name", "organisation"), demo_logins(district))
        )
        self.stdout.write(
            "\nTwo-factor sign-in: every login but the enterprises' (entNN) sets up an "
            "authenticator app at its first sign-in. Have one ready (any TOTP app, or "
            "`oathtool --totp -b KEY`, KEY being the key shown beside the QR code without its "
            "spaces). "
            "README, Demo logins."
        )
        self.stdout.write(
            self.style.SUCCESS(f'\nPassword for every demo login: "{demo_data.DEMO_PASSWORD}"')
            + " (unless changed since)."
        )
