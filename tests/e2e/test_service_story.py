"""The service side's whole story in the browser (issue 16), with real clicks and forms:

1. a service commissioner (助企专员), out at the enterprise on a phone, records a done visit
   and raises a problem from it (channel "visit");
2. the office dispatches it at triage; the department answers;
3. the office calls the enterprise back (回访) and records "unsatisfied";
4. the call-back's review reopens the problem;
5. two enterprises submit similar problems from their phones; at triage the office sees the
   possible duplicate and merges them (并单) on the confirm page; the department answers the
   main problem;
6. both enterprises read the answer on their own problem pages and each evaluates.

Enterprises use phones in Chinese; the commissioner a phone in English; the office a desktop
in Chinese and the department a desktop in English: every page of the story is seen at phone
width or in both languages. Only the world (users, departments, enterprises, the commissioner
assignment) is made through the ORM. Elements are found by URL, name and id.
"""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.contrib.auth import get_user_model
from django.utils import timezone

from issues.models import (
    CallBack,
    Channel,
    EvaluationSource,
    Problem,
    Satisfaction,
    Status,
)
from liaison import workdays
from liaison.models import Enterprise, Role
from liaison.services import profile_set_role
from service import services
from service.models import Visit, VisitProblem
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.e2e.test_problem_flow import (  # noqa: F401  (world is a fixture)
    action_form,
    assert_well_formed,
    problem_url,
    world,
)
from tests.liaison.conftest import PASSWORD, USERNAMES, credit_code

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

OTHER_USERNAME = "chenxing"

# 1-4: the visit's problem.
PURPOSE = "走访了解企业用工和环保需求"
FINDINGS = "企业反映喷涂车间漆渣无处处置，另有招工难。"
VISIT_TITLE = "漆渣处置渠道中断"
VISIT_DESCRIPTION = "走访中企业反映：原处置单位停止收运，库存已近上限。"
FIRST_ANSWER = "已联系市危废处置中心，下月起恢复收运。"
SAID = "企业表示收运至今未恢复，对答复不满意。"
REVIEW_REASON = "请主办单位核实收运情况，并重新答复企业。"
# 5-6: the shared problem.
SHARED_TITLE = "园区道路夜间无路灯影响货车通行"
SHARED_DESCRIPTION = "工业园区东侧道路夜间没有路灯，货车进出厂区存在安全隐患。"
OTHER_TITLE = "园区东侧道路夜间无路灯，货车通行不便"
OTHER_DESCRIPTION = "工业园区东侧道路晚上没有路灯，货车进出厂区很不安全。"
SHARED_ANSWER = "已协调街道在园区东侧道路加装路灯 24 盏，月底前完工。"


@pytest.fixture
def story(world):  # noqa: F811  (the fixture imported above)
    """The district, its commissioner for the enterprise, and a second enterprise of the town."""
    commissioner = world.users[Role.DEPARTMENT_STAFF]
    services.commissioner_assign(
        actor=world.users[Role.OFFICE], enterprise=world.enterprise, commissioner=commissioner
    )
    world.other_enterprise = Enterprise.objects.create(
        name="嘉兴辰星针织有限公司",
        credit_code=credit_code(2),
        industry="针织服装",
        town=world.town,
        address="梅湾街道工业园区 12 号",
        contact_person="陈星",
        contact_phone="13900000002",
    )
    other_user = get_user_model().objects.create_user(
        username=OTHER_USERNAME, password=PASSWORD, first_name="星", last_name="陈"
    )
    profile_set_role(user=other_user, role=Role.ENTERPRISE, enterprise=world.other_enterprise)
    return world


def submit_from_phone(page, category, title: str, description: str) -> Problem:
    """The enterprise submits a problem from the menu of its phone."""
    open_menu(page, "phone")
    page.locator('#main-menu a[href="/problems/new/"]').click()
    expect(page).to_have_url(re.compile(r"/problems/new/$"))
    page.fill("#id_title", title)
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_description", description)
    page.locator("main form button[type=submit]").click()
    expect(page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    return Problem.objects.get(title=title)


def dispatch_from_triage(page, problem: Problem) -> None:
    """The office opens the problem from its triage list and dispatches it as proposed."""
    page.locator('#main-menu a[href="/problems/triage/"]').click()
    expect(page).to_have_url(re.compile(r"/problems/triage/$"))
    page.locator(f'main a[href="{problem_url(problem.reference)}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    action_form(page, "dispatch").locator("button[type=submit]").click()
    expect(page.locator(".alert-success")).to_be_visible()


def answer_from_inbox(page, problem: Problem, answer: str) -> None:
    """The department opens the problem from its inbox, acknowledges it and answers."""
    page.locator('#main-menu a[href="/problems/department/"]').click()
    page.locator(f'main a[href="{problem_url(problem.reference)}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    page.wait_for_load_state()
    if page.locator('main form[action$="/acknowledge/"]').count():
        action_form(page, "acknowledge").locator("button[type=submit]").click()
        expect(page.locator("main form[action$='/resolve/']")).to_have_count(1)
    resolve = action_form(page, "resolve")
    resolve.locator("textarea[name=answer]").fill(answer)
    resolve.locator("button[type=submit]").click()
    expect(page.locator("main")).to_contain_text(answer)
    assert_well_formed(page)


def read_answer_and_evaluate(page, problem: Problem, answer: str, satisfaction) -> None:
    """The enterprise opens its problem from its list on the phone, reads the answer, evaluates."""
    open_menu(page, "phone")
    page.locator('#main-menu a[href="/problems/"]').click()
    page.locator(f'main a[href="{problem_url(problem.reference)}"]').first.click()
    expect(page).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    section = page.locator("main section", has=page.locator("#answer-heading"))
    expect(section).to_contain_text(answer)
    assert_well_formed(page)
    evaluate = section.locator('form[action$="/evaluate/"]')
    evaluate.locator(f'input[name=satisfaction][value="{satisfaction}"]').check()
    evaluate.locator("button[type=submit]").click()
    expect(page.locator("main form[action$='/evaluate/']")).to_have_count(0)
    assert_well_formed(page)


def test_the_service_story_from_a_visit_to_a_merged_answer(open_page, story, screenshot):
    yesterday = workdays.local_date(timezone.now()) - dt.timedelta(days=1)

    # 1. The commissioner, on a phone at the enterprise, records the visit from the desk.
    commissioner = open_page("phone", "en")
    log_in(commissioner, USERNAMES[Role.DEPARTMENT_STAFF], PASSWORD)
    open_menu(commissioner, "phone")
    commissioner.locator("#service-menu-toggle").click()
    commissioner.locator('#main-menu a[href="/service/desk/"]').click()
    expect(commissioner).to_have_url(re.compile(r"/service/desk/$"))
    expect(commissioner.locator("#desk-enterprises")).to_contain_text(story.enterprise.name)
    assert_fits_the_screen(commissioner)
    screenshot(commissioner, "story-01-desk-en-phone")
    commissioner.locator(
        f'#desk-enterprises a[href$="?enterprise={story.enterprise.pk}"]'
    ).first.click()
    expect(commissioner).to_have_url(re.compile(r"/service/visits/new/"))
    commissioner.fill("#id_visited_on", yesterday.isoformat())
    commissioner.fill("#id_purpose", PURPOSE)
    commissioner.fill("#id_findings", FINDINGS)
    assert_fits_the_screen(commissioner)
    screenshot(commissioner, "story-02-visit-form-en-phone")
    commissioner.locator("main form button[type=submit]").click()
    expect(commissioner).to_have_url(re.compile(r"/service/visits/\d+/$"))
    visit = Visit.objects.get()
    assert (visit.enterprise, visit.status) == (story.enterprise, Visit.Status.DONE)

    raise_form = commissioner.locator("#raise-form")
    raise_form.locator("#id_title").fill(VISIT_TITLE)
    raise_form.locator("#id_category").select_option(str(story.category.pk))
    raise_form.locator("#id_description").fill(VISIT_DESCRIPTION)
    raise_form.locator("button[type=submit]").click()
    expect(commissioner.locator(".alert-success")).to_be_visible()
    problem = Problem.objects.get()
    assert (problem.channel, problem.enterprise) == (Channel.VISIT, story.enterprise)
    assert VisitProblem.objects.get().visit == visit
    expect(commissioner.locator("#visit-problems")).to_contain_text(problem.reference)
    assert_fits_the_screen(commissioner)
    screenshot(commissioner, "story-03-visit-problem-en-phone")

    # 2. The office dispatches it; the department answers.
    office = open_page("desktop", "zh-hans")
    log_in(office, USERNAMES[Role.OFFICE], PASSWORD)
    dispatch_from_triage(office, problem)
    problem.refresh_from_db()
    assert (problem.status, problem.lead_department) == (Status.DISPATCHED, story.department)
    screenshot(office, "story-04-dispatched-zh-desktop")

    department = open_page("desktop", "en")
    log_in(department, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    answer_from_inbox(department, problem, FIRST_ANSWER)
    problem.refresh_from_db()
    assert problem.status == Status.RESOLVED
    screenshot(department, "story-05-answered-en-desktop")

    # 3. The office calls the enterprise back and records "unsatisfied".
    office.locator('#main-menu a[href="/problems/call-backs/"]').click()
    expect(office).to_have_url(re.compile(r"/problems/call-backs/$"))
    callback_url = f"/problems/{problem.reference}/call-back/"
    office.locator(f'main a[href="{callback_url}"]').first.click()
    expect(office).to_have_url(re.compile(re.escape(callback_url) + "$"))
    office.locator('input[name="outcome"][value="reached"]').check()
    office.locator('input[name="satisfaction"][value="unsatisfied"]').check()
    office.fill("#callbackform_said", SAID)
    screenshot(office, "story-06-call-back-zh-desktop")
    office.locator("#callback-submit").click()
    expect(office).to_have_url(re.compile(r"/problems/call-backs/$"))
    callback = CallBack.objects.get(problem=problem)
    assert (callback.review, callback.said) == (CallBack.Review.PENDING, SAID)

    # 4. The review reopens it.
    office.locator('#callback-tabs a[href="?tab=review"]').click()
    office.locator(f'main a[href="{callback_url}"]').first.click()
    expect(office.locator("#callback-review")).to_be_visible()
    office.locator('input[name="decision"][value="reopen"]').check()
    office.fill("#callbackreviewform_reason", REVIEW_REASON)
    screenshot(office, "story-07-review-zh-desktop")
    office.locator("#callback-review-submit").click()
    expect(office).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    assert_well_formed(office)
    screenshot(office, "story-08-reopened-zh-desktop")
    problem.refresh_from_db()
    assert (problem.status, problem.reopen_count) == (Status.IN_PROGRESS, 1)
    assert problem.evaluation_source == EvaluationSource.CALLBACK
    callback.refresh_from_db()
    assert callback.review == CallBack.Review.REOPENED

    # The enterprise follows it on its phone: reopened, its commissioner on its home page.
    enterprise = open_page("phone", "zh-hans")
    log_in(enterprise, USERNAMES[Role.ENTERPRISE], PASSWORD)
    expect(enterprise.locator("#commissioner")).to_be_visible()
    assert_fits_the_screen(enterprise)
    screenshot(enterprise, "story-09-enterprise-home-zh-phone")
    enterprise.goto(problem_url(problem.reference))
    assert_well_formed(enterprise)
    screenshot(enterprise, "story-10-reopened-zh-phone")

    # 5. Two enterprises submit similar problems; the first is dispatched.
    shared = submit_from_phone(enterprise, story.category, SHARED_TITLE, SHARED_DESCRIPTION)
    dispatch_from_triage(office, shared)
    other = open_page("phone", "zh-hans")
    log_in(other, OTHER_USERNAME, PASSWORD)
    second = submit_from_phone(other, story.category, OTHER_TITLE, OTHER_DESCRIPTION)
    assert second.enterprise == story.other_enterprise

    # At triage the office sees the possible duplicate and merges the second into the first.
    office.locator('#main-menu a[href="/problems/triage/"]').click()
    duplicates = office.locator("#triage-duplicates")
    expect(duplicates).to_be_visible()
    screenshot(office, "story-11-triage-duplicate-zh-desktop")
    duplicates.locator(
        f'a[data-merge="{second.reference}"][data-merge-into="{shared.reference}"]'
    ).click()
    expect(office.locator("#merge-confirm-main")).to_contain_text(shared.reference)
    expect(office.locator("#merge-confirm-merged")).to_contain_text(second.reference)
    assert_fits_the_screen(office)
    screenshot(office, "story-12-merge-confirm-zh-desktop")
    office.locator("#merge-confirm").click()
    expect(office).to_have_url(re.compile(re.escape(problem_url(shared.reference)) + "$"))
    expect(office.locator("#merged-problems")).to_contain_text(second.reference)
    assert_well_formed(office)
    screenshot(office, "story-13-merged-zh-desktop")
    second.refresh_from_db()
    assert second.merged_into_id == shared.pk

    # The second enterprise sees its own problem handled with the main one.
    other.reload()
    expect(other.locator("#merge-main-reference")).to_contain_text(shared.reference)
    assert_well_formed(other)
    screenshot(other, "story-14-merged-other-zh-phone")

    # The department answers the main problem.
    answer_from_inbox(department, shared, SHARED_ANSWER)
    screenshot(department, "story-15-shared-answered-en-desktop")

    # 6. Each enterprise reads the answer on its own problem page and evaluates it.
    read_answer_and_evaluate(enterprise, shared, SHARED_ANSWER, Satisfaction.SATISFIED)
    screenshot(enterprise, "story-16-evaluated-zh-phone")
    read_answer_and_evaluate(other, second, SHARED_ANSWER, Satisfaction.BASICALLY)
    screenshot(other, "story-17-evaluated-other-zh-phone")

    shared.refresh_from_db()
    second.refresh_from_db()
    assert (shared.satisfaction, second.satisfaction) == (
        Satisfaction.SATISFIED,
        Satisfaction.BASICALLY,
    )
    assert second.merged_into_id == shared.pk
    assert (shared.status, second.status) == (Status.CLOSED, Status.CLOSED)
