"""The office makes a common problem of two enterprises' problems (from the suggested
clusters), adds a measure and publishes it (desktop, English); a third enterprise, on a
phone in Chinese, says it concerns it too — a double tap raises one problem; the office
sees the new linked problem."""

from __future__ import annotations

import re

import pytest
from django.utils import timezone

from issues import workflow
from liaison import workdays
from liaison.models import Enterprise, Role
from policy.models import CommonProblem, CommonProblemLink
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.e2e.test_problem_flow import world  # noqa: F401  (the fixture)
from tests.issues.conftest import make_user
from tests.liaison.conftest import PASSWORD, USERNAMES, credit_code

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e


def raise_problem(name: str, serial: int, title: str, category):
    enterprise = Enterprise.objects.create(name=name, credit_code=credit_code(serial))
    user = make_user(f"firm{serial}", Role.ENTERPRISE, enterprise=enterprise)
    return workflow.problem_submit(
        actor=user,
        enterprise=enterprise,
        title=title,
        description="喷漆车间产生的漆渣无处处置，仓库存放已近上限，希望协调处置单位。",
        category=category,
    )


def test_a_common_problem_from_two_enterprises_cosigned_by_a_third(
    open_page,
    world,  # noqa: F811  (the fixture imported above)
    screenshot,
):
    first = raise_problem("禾丰漆业有限公司", 801, "漆渣危废处置难", world.category)
    second = raise_problem("南湖涂装有限公司", 802, "漆渣危废处置难，库存将满", world.category)

    office = open_page("desktop", "en")
    log_in(office, USERNAMES[Role.OFFICE], PASSWORD)
    office.locator("#tasks-menu-toggle").click()
    office.locator("#menu-common-problems").click()
    expect(office).to_have_url(re.compile(r"/policy/$"))
    office.locator("#candidates-link").click()
    cluster = office.locator(".candidate-cluster")
    expect(cluster).to_have_count(1)
    expect(cluster).to_contain_text(first.reference)
    expect(cluster).to_contain_text(second.reference)
    cluster.get_by_role("link", name="Make a common problem of these").click()
    office.fill("#createform_title", "Paint-residue hazardous waste: no disposal")
    office.fill("#createform_description", "Painting firms cannot dispose of paint residue.")
    office.select_option("#createform_category", str(world.category.pk))
    office.select_option("#createform_lead_department", str(world.department.pk))
    office.locator("#common-problem-form button[type=submit]").click()
    expect(office.locator("#linked-problems li")).to_have_count(2)
    common_problem = CommonProblem.objects.get()

    office.locator("#measure-form").locator("xpath=..").locator("summary").click()
    office.fill("#measureform_title", "小微企业危险废物统一收运试点方案")
    office.fill("#measureform_issuing_body", "区生态环境分局")
    office.fill("#measureform_issued_on", workdays.local_date(timezone.now()).isoformat())
    office.fill("#measureform_url", "https://www.example.gov.cn/policy/8.html")
    office.locator("#measure-form button[type=submit]").click()
    expect(office.locator("#measures li")).to_have_count(1)

    office.locator("#publish-link").click()
    office.fill("#publishform_published_title", "小批量危废（漆渣）处置难")
    office.fill(
        "#publishform_published_text",
        "多家企业反映漆渣等小批量危废处置难。区生态环境分局正在试点统一收运。",
    )
    office.locator("#publish-submit").click()
    expect(office.locator("#published-badge")).to_be_visible()
    assert_fits_the_screen(office)
    screenshot(office, "common-problem-office-desktop-en")

    phone = open_page("phone", "zh-hans")
    log_in(phone, USERNAMES[Role.ENTERPRISE], PASSWORD)
    open_menu(phone, "phone")
    phone.locator("#menu-common-problems").click()
    phone.locator(f"#published-{common_problem.pk}").click()
    expect(phone.locator("#published-title")).to_have_text("小批量危废（漆渣）处置难")
    # Neither the other enterprises nor their problems.
    expect(phone.locator("main")).not_to_contain_text("禾丰漆业")
    expect(phone.locator("main")).not_to_contain_text(first.reference)
    expect(phone.locator("#measures li")).to_have_count(1)
    phone.fill("#cosignform_note", "我们也有漆渣，每月约两吨。")
    phone.locator("#cosign-button").dblclick()
    expect(phone.locator(".alert-success")).to_be_visible()
    expect(phone.locator("#concerns-us")).to_contain_text("您的企业")
    assert_fits_the_screen(phone)
    screenshot(phone, "common-problem-cosigned-phone-zh")
    link = CommonProblemLink.objects.get(cosigned_by=world.enterprise)
    assert CommonProblemLink.objects.filter(common_problem=common_problem).count() == 3

    office.reload()
    expect(office.locator("#linked-problems li")).to_have_count(3)
    expect(office.locator(f"#linked-{link.problem.reference}")).to_contain_text(
        "said it concerns it too"
    )
    screenshot(office, "common-problem-linked-desktop-en")
