"""Export → import reproduces the data: what a district exports loads into an empty one
as it was (departments, enterprises, officials, a past year's meetings and problems)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from dashboard.summary import dashboard_refresh
from imports.exports import export_xlsx
from imports.services import import_workbook
from issues.models import Problem
from liaison.models import Department, Enterprise
from meetings.models import Meeting

from .conftest import departments_xlsx, enterprises_xlsx, history_xlsx, officials_xlsx

pytestmark = pytest.mark.django_db

KINDS = ("departments", "enterprises", "officials", "history")


def run(kind: str, content: bytes, actor=None):
    report = import_workbook(
        kind=kind, name=f"{kind}.xlsx", content=content, actor=actor, dry_run=False
    )
    assert report.ok, (kind, report.file_error, report.errors[:3])
    return report


def day(moment):
    """The files carry a problem's dates, not its times (an import sets the time of day)."""
    return timezone.localdate(moment) if moment else None


def snapshot() -> dict:
    """Everything the files carry, by natural keys (never database ids)."""
    users = get_user_model().objects.select_related(
        "profile", "profile__department", "profile__enterprise"
    )
    return {
        "departments": sorted(
            (d.name, d.short_name, d.kind, d.head_name, d.head_phone, d.office_phone,
             d.supervising_leader.username if d.supervising_leader else "",
             d.guidance_services, d.display_order, d.is_active)
            for d in Department.objects.select_related("supervising_leader")
        ),
        "enterprises": sorted(
            (e.credit_code, e.name, e.industry, e.town.name if e.town else "", e.address,
             e.contact_person, e.contact_phone, e.email)
            for e in Enterprise.objects.select_related("town")
        ),
        "officials": sorted(
            (u.username, u.first_name, u.last_name, u.profile.role,
             u.profile.department.name if u.profile.department else "",
             u.profile.enterprise.credit_code if u.profile.enterprise else "",
             u.profile.title, u.profile.phone)
            for u in users if hasattr(u, "profile")
        ),
        "meetings": sorted(
            (m.starts_at, m.theme, m.venue, m.status, m.minutes,
             tuple(sorted(m.presiding_leaders.values_list("username", flat=True))),
             tuple(sorted(m.departments.values_list("name", flat=True))),
             tuple(sorted(m.invitations.values_list("enterprise__credit_code", "attended"))))
            for m in Meeting.objects.all()
        ),
        "problems": sorted(
            (p.reference, p.enterprise.credit_code, p.title, p.description, p.category.name_zh,
             p.lead_department.name, p.status, *map(day, (p.created_at, p.clock_started_at,
             p.due_at, p.first_resolved_at, p.closed_at)), p.answer, p.satisfaction,
             p.meeting.theme if p.meeting else "",
             tuple(sorted(p.co_departments.values_list("name", flat=True))))
            for p in Problem.objects.select_related(
                "enterprise", "category", "lead_department", "meeting"
            )
        ),
    }  # fmt: skip


def test_what_is_exported_loads_into_an_empty_district_as_it_was(calendar, categories):
    dashboard_refresh(full=True)
    with transaction.atomic():
        # A district with a past year, built from the templates...
        run("officials", officials_xlsx(leaders_only=True))
        run("departments", departments_xlsx())
        run("enterprises", enterprises_xlsx())
        run("officials", officials_xlsx())
        office = get_user_model().objects.get(username="office1")
        run("history", history_xlsx(), actor=office)
        before = snapshot()
        exported = {kind: export_xlsx(kind) for kind in KINDS}
        # ... exported, and gone.
        transaction.set_rollback(True)
    assert not Enterprise.objects.exists() and not Problem.objects.exists()
    assert len(before["problems"]) == 180 and len(before["meetings"]) == 9

    # The other district: the leaders and the office first (departments name their
    # supervising leader), then each exported file in the README's order.
    run("officials", officials_xlsx(leaders_only=True))
    run("departments", exported["departments"])
    run("enterprises", exported["enterprises"])
    run("officials", exported["officials"])
    office = get_user_model().objects.get(username="office1")
    run("history", exported["history"], actor=office)

    assert snapshot() == before


def _problems_sheet(rows: list[list]) -> bytes:
    from imports.history import PROBLEM_COLUMNS, PROBLEM_SHEET

    from .conftest import workbook

    return workbook({PROBLEM_SHEET: ([c[0] for c in PROBLEM_COLUMNS], rows)})


def _row(reference: str, code: str, title: str, day) -> list:
    return [reference, code, "", "", title, "描述", "环保", "区经信商务局", "", "", day, day,
            day, "答复", "未评价", day]  # fmt: skip


def test_a_files_references_are_kept_and_new_ones_come_after_them(calendar, categories):
    from .conftest import credit_code

    run("officials", officials_xlsx(leaders_only=True))
    run("departments", departments_xlsx())
    run("enterprises", enterprises_xlsx())
    run("officials", officials_xlsx())
    office = get_user_model().objects.get(username="office1")
    year = timezone.localdate().year - 1
    day = f"{year}-03-10"
    rows = [
        _row("", credit_code(1), "没有编号的问题", day),
        _row(f"{year}-00042", credit_code(2), "带编号的问题", day),
    ]
    run("history", _problems_sheet(rows), actor=office)
    assert set(Problem.objects.values_list("reference", "title")) == {
        (f"{year}-00043", "没有编号的问题"),
        (f"{year}-00042", "带编号的问题"),
    }
    # The same reference on another problem: a row error, nothing written.
    clash = [_row(f"{year}-00042", credit_code(3), "另一个问题", day)]
    report = import_workbook(
        kind="history", name="h.xlsx", content=_problems_sheet(clash), actor=office, dry_run=False
    )
    assert not report.ok
    assert f"{year}-00042" in " ".join(report.errors[0].messages)
    assert Problem.objects.count() == 2
