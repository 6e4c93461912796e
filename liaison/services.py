"""Writes for the core app: the working-day calendar, role groups and user profiles."""

from __future__ import annotations

import datetime as dt
import threading
from dataclasses import dataclass

from django.contrib.auth.models import Group, Permission
from django.db import transaction
from django.db.models import Q

from . import signals
from .locks import advisory_lock
from .models import CalendarDay, CalendarRevision, CalendarYear, Role

# Django groups mirror the roles, so that admin permissions follow the role.
ROLE_GROUP_NAMES = {role: role.label for role in Role}
OFFICE_ADMIN_MODELS = ("department", "enterprise", "profile", "calendarday", "calendaryear")
# The office creates and edits accounts; the admin keeps superusers and the
# role-driven fields (staff, groups, permissions) out of its reach.
OFFICE_USER_PERMISSIONS = ("view_user", "add_user", "change_user")
# The office sees sign-in lock-outs and failures (django-axes) and lifts a lock-out by
# deleting its access attempt (README, "Login protection").
OFFICE_LOCKOUT_PERMISSIONS = ("view_accessattempt", "delete_accessattempt", "view_accessfailurelog")


@dataclass
class CalendarLoadResult:
    created: int
    updated: int
    years_confirmed: list[int]


def calendar_load_from_package() -> CalendarLoadResult:
    """Copy the holiday and make-up-day schedule of the `chinesecalendar` package.

    Idempotent; days entered by hand (source=manual) are left as they are. Years the
    package covers are marked confirmed (the package follows the State Council's
    published schedules). liaison/migrations/0002_load_calendar.py has its own copy.
    """
    from chinese_calendar.constants import holidays, workdays

    Day, Year = CalendarDay, CalendarYear
    wanted: dict[dt.date, tuple[str, str]] = {}
    for day, name in holidays.items():
        if day.weekday() < 5:  # a holiday on a weekend changes nothing
            wanted[day] = ("holiday", str(name))
    for day, name in workdays.items():
        if day.weekday() >= 5:  # a make-up working day is always a weekend day
            wanted[day] = ("workday", str(name))
    years = sorted({day.year for day in holidays})
    created = updated = 0
    with transaction.atomic():
        existing = {d.date: d for d in Day.objects.filter(date__in=wanted)}
        new = []
        for day, (kind, name) in sorted(wanted.items()):
            row = existing.get(day)
            if row is None:
                new.append(Day(date=day, kind=kind, name=name, source="chinesecalendar"))
            elif row.source == "chinesecalendar" and (row.kind, row.name) != (kind, name):
                row.kind, row.name = kind, name
                row.save(update_fields=["kind", "name"])
                updated += 1
        Day.objects.bulk_create(new)
        created = len(new)
        for year in years:
            Year.objects.update_or_create(
                year=year,
                defaults={"confirmed": True, "source": "chinesecalendar"},
            )
        calendar_changed()  # in the transaction: bulk_create sends no signal
    return CalendarLoadResult(created=created, updated=updated, years_confirmed=years)


class _AfterCalendarCommit:
    """Run once after the commit: re-read the calendar everywhere, then tell the apps that
    keep times computed from it (liaison.signals.calendar_changed: issues recomputes the
    stored deadlines)."""

    def __init__(self) -> None:
        self.done = False

    def __call__(self) -> None:
        self.done = True
        from . import workdays

        workdays.invalidate()
        signals.calendar_changed.send(sender=CalendarRevision)


_calendar_state = threading.local()


def calendar_changed() -> None:
    """Called in the transaction that edits the calendar: a new revision of the calendar.

    In the transaction: wait for the deadline-sweep rules holding the calendar to finish
    (they act on the calendar in force until then), and record a new CalendarRevision,
    holding the calendar's lock until the commit. From the commit on, the sweep acts on
    no deadline computed with an older revision until it is recomputed (issues.deadlines).
    After the commit: every process re-reads the calendar, and the stored deadlines of
    unfinished problems are recomputed (by issues, on the calendar_changed signal).

    Once per transaction, however many days and years it edits. Edit the calendar inside
    a transaction (the admin does): in autocommit the day's row is committed a moment
    before its revision.
    """
    from . import workdays

    pending = getattr(_calendar_state, "pending", None)
    run_on_commit = transaction.get_connection().run_on_commit
    if pending is not None and not pending.done and any(f is pending for _, f, _ in run_on_commit):
        return
    with advisory_lock(workdays.CALENDAR_LOCK):
        CalendarRevision.objects.create()
    _calendar_state.pending = pending = _AfterCalendarCommit()
    transaction.on_commit(pending, robust=True)


def role_groups_ensure() -> dict[str, Group]:
    """Create one group per role; the office may edit organisations, accounts and the calendar,
    and lift sign-in lock-outs."""
    groups = {}
    for role in ROLE_GROUP_NAMES:
        groups[role], _ = Group.objects.get_or_create(name=str(role.value))
    office_perms = Permission.objects.filter(
        Q(content_type__app_label="liaison", content_type__model__in=OFFICE_ADMIN_MODELS)
        | Q(content_type__app_label="auth", codename__in=OFFICE_USER_PERMISSIONS)
        | Q(content_type__app_label="axes", codename__in=OFFICE_LOCKOUT_PERMISSIONS)
    )
    groups[Role.OFFICE].permissions.set(office_perms)
    groups[Role.ADMIN].permissions.set(Permission.objects.all())
    return groups


def profile_set_role(*, user, role: str, enterprise=None, department=None, **fields):
    """Give `user` a role (and its organisation), keeping groups and staff access in step."""
    from .models import Profile

    with transaction.atomic():
        profile, _ = Profile.objects.update_or_create(
            user=user,
            defaults={"role": role, "enterprise": enterprise, "department": department, **fields},
        )
        groups = role_groups_ensure()
        user.groups.remove(*[g for r, g in groups.items() if r != role])
        user.groups.add(groups[Role(role)])
        # Staff and superuser status follow the role both ways: a demoted admin loses both.
        is_staff = role in (Role.OFFICE, Role.ADMIN)
        is_superuser = role == Role.ADMIN
        if (user.is_staff, user.is_superuser) != (is_staff, is_superuser):
            user.is_staff, user.is_superuser = is_staff, is_superuser
            user.save(update_fields=["is_staff", "is_superuser"])
    return profile
