"""Key tasks in the browser: a department reports progress on a not-started task; its
leader sees the task move to "on track" on their home page, the list and the task page.

Elements are found by URL, id and data attributes, not by their text (the catalogues change).
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone

from keytasks import services
from keytasks.models import KeyTask, Milestone
from liaison.models import Role
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

REPORT = "已召开专题部署会，细化任务清单；王江泾镇首批120台喷水织机已完成淘汰。"


@pytest.fixture
def key_task(district):
    year = timezone.localdate().year
    task = services.key_task_create(
        actor=district.user(Role.OFFICE),
        year=year,
        number=2,
        title="喷水织机整治提升",
        target="淘汰落后喷水织机，整治后企业废水100%纳管",
        leader=district.user(Role.LEADER),
        lead_department=district.department,
        supporting_departments=[district.town],
    )
    Milestone.objects.create(task=task, title="整治方案印发", due_date=dt.date(year, 12, 31))
    return task


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_department_reports_progress_and_the_leader_sees_the_task_on_track(
    open_page, screenshot, district, key_task, viewport
):
    # The department's staff member reports 20%.
    page = open_page(viewport)
    log_in(page, USERNAMES[Role.DEPARTMENT_STAFF], PASSWORD)
    page.goto(f"/tasks/{key_task.pk}/")
    expect(page.locator("#task-status [data-status]")).to_have_attribute(
        "data-status", "not_started"
    )
    page.fill("#progressreportform_text", REPORT)
    page.fill("#progressreportform_percent", "20")
    page.locator("#report-form button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()
    expect(page.locator("#task-status [data-status]")).to_have_attribute("data-status", "on_track")
    assert_fits_the_screen(page)
    screenshot(page, f"key-task-reported-{viewport}")

    # The leader: on the home page, the list and the task page, the task is on track.
    leader_page = open_page(viewport)
    log_in(leader_page, USERNAMES[Role.LEADER], PASSWORD)
    home_card = leader_page.locator(f"#home-key-task-{key_task.pk} [data-status]")
    expect(home_card).to_have_attribute("data-status", "on_track")
    assert_fits_the_screen(leader_page)
    screenshot(leader_page, f"key-task-leader-home-{viewport}")

    leader_page.goto("/tasks/")
    row = "#key-task-" if viewport == "desktop" else "#key-task-card-"
    expect(leader_page.locator(f"{row}{key_task.pk} [data-status]")).to_have_attribute(
        "data-status", "on_track"
    )
    assert_fits_the_screen(leader_page)
    screenshot(leader_page, f"key-task-list-{viewport}")

    leader_page.goto(f"/tasks/{key_task.pk}/")
    expect(leader_page.locator("#reports-heading ~ article")).to_contain_text(REPORT)
    assert_fits_the_screen(leader_page)
    screenshot(leader_page, f"key-task-detail-{viewport}")
    assert KeyTask.objects.get(pk=key_task.pk).status == KeyTask.Status.ON_TRACK


def pdf_pages(pdf: bytes) -> int:
    """The number of pages of a PDF Chromium printed (its page objects are not compressed)."""
    return len(re.findall(rb"/Type\s*/Page(?!s)", pdf))


def test_the_year_prints_its_tasks_one_after_another(open_page, screenshot, district):
    """Printed, eight short tasks fill two pages, not eight quarter-full ones."""
    year = timezone.localdate().year
    for number in range(1, 9):
        task = services.key_task_create(
            actor=district.user(Role.OFFICE),
            year=year,
            number=number,
            title=f"喷水织机整治提升 {number}",
            target="淘汰落后喷水织机，整治后企业废水100%纳管",
            leader=district.user(Role.LEADER),
            lead_department=district.department,
            supporting_departments=[district.town],
        )
        for month in (3, 9):
            Milestone.objects.create(
                task=task, title="整治方案印发", due_date=dt.date(year, month, 30)
            )
    page = open_page("desktop", "zh-hans")
    log_in(page, USERNAMES[Role.LEADER], PASSWORD)
    page.goto(f"/tasks/print/?year={year}")
    expect(page.locator("[id^=print-task-]")).to_have_count(8)

    pages = pdf_pages(page.pdf(prefer_css_page_size=True))

    assert 1 <= pages <= 2, pages
    page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
    page.emulate_media(media="print")
    expect(page.locator(".navbar")).to_be_hidden()
    screenshot(page, "key-tasks-year-print")
