"""A problem's whole life in the browser: submit, dispatch, acknowledge, answer, evaluate.

Elements are found by URL, name and id, not by their text: the catalogues change while
the pages stay. Where a text must be checked, it is translated here with the catalogue
the live server uses (same process), so the test follows the catalogue.
"""

from __future__ import annotations

import re
import time

import pytest
from django.utils import translation

from issues import services, workflow
from issues.models import AppealType, Attachment, Category, Problem, Satisfaction, Status
from issues.templatetags.problem_tags import deadline_state
from liaison import workdays
from liaison.formats import deadline_date
from liaison.models import Role
from liaison.services import calendar_load_from_package
from tests.e2e.test_login_and_home import assert_fits_the_screen, log_in, open_menu
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

REFERENCE_RE = re.compile(r"^\d{4}-\d{5}$")
PDF = (
    b"%PDF-1.4\n"
    b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
    b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
    b"trailer<</Root 1 0 R>>\n%%EOF\n"
)
# The first bytes of a Windows program: what a renamed .exe really contains.
EXE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 240

TITLE = "喷涂车间危废漆渣无处处置"
DESCRIPTION = "喷漆车间每月产生约 2 吨漆渣，\n原处置单位停止收运，库存已近上限。"
PUBLIC_PROGRESS = "已联系市危废处置中心，本周内上门核查库存。"
INTERNAL_NOTE = "内部：处置中心产能紧张，需协调第二家单位。"
ANSWER = "已协调市危废处置中心每月上门收运两次，首次收运定于下周一。"


def tr(language: str, message) -> str:
    """`message` (a msgid or a lazy text) in `language`, as the server renders it."""
    with translation.override(language):
        return translation.gettext(message) if isinstance(message, str) else str(message)


def deadline_text(language: str, problem) -> str:
    """The problem's deadline as the page gives it: 2025年10月16日（星期四）, Thu 16 Oct 2025."""
    with translation.override(language):
        return deadline_date(problem.due_at)


def days_left_text(language: str, n: int) -> str:
    with translation.override(language):
        return translation.ngettext("%(n)s working day left", "%(n)s working days left", n) % {
            "n": n
        }


@pytest.fixture
def world(district, settings, tmp_path):
    """The district of the login tests, a working-day calendar and a category.

    The live server's transactional flush removed the calendar that a migration loads.
    """
    settings.MEDIA_ROOT = tmp_path / "media"
    calendar_load_from_package()
    workdays.invalidate()
    district.category = Category.objects.create(
        name_zh="环境保护", name_en="Environment", default_lead_department=district.department
    )
    yield district
    workdays.invalidate()  # the rows go with the flush; so must the cached calendar


@pytest.fixture
def pdf_file(tmp_path):
    path = tmp_path / "处置合同.pdf"
    path.write_bytes(PDF)
    return path


@pytest.fixture
def internal_file(tmp_path):
    path = tmp_path / "内部协调记录.pdf"
    path.write_bytes(PDF)
    return path


def record_submissions(page) -> list:
    """The POSTs of the submit form the page sends from now on."""
    posts = []

    def record(request):
        if request.method == "POST" and request.url.endswith("/problems/new/"):
            posts.append(request)

    page.on("request", record)
    return posts


def problem_url(reference: str) -> str:
    return f"/problems/{reference}/"


def action_form(page, action: str):
    """The action form on the problem page that posts to .../<action>/, opened if folded."""
    selector = f'form[action$="/{action}/"]'
    form = page.locator(f"main {selector}")
    folded = page.locator("main details", has=page.locator(selector))
    if folded.count() and folded.get_attribute("open") is None:
        folded.locator("summary").click()
    expect(form).to_be_visible()
    return form


def fill_submit_form(page, category, *, title: str = TITLE, files=None) -> None:
    page.fill("#id_title", title)
    page.select_option("#id_category", str(category.pk))
    page.fill("#id_description", DESCRIPTION)
    if files is not None:
        page.set_input_files("#id_files", files)


def assert_well_formed(page) -> None:
    """No id twice (a label would name another form's field) and nothing sticks out of its card."""
    duplicates = page.evaluate(
        """() => {
            const seen = {};
            document.querySelectorAll("[id]").forEach((e) => {
                seen[e.id] = (seen[e.id] || 0) + 1;
            });
            return Object.keys(seen).filter((id) => seen[id] > 1);
        }"""
    )
    assert duplicates == [], f"ids used more than once: {duplicates}"
    sticking_out = page.evaluate(
        """() => [...document.querySelectorAll("main .card *")].filter((e) => {
            const card = e.closest(".card").getBoundingClientRect();
            const box = e.getBoundingClientRect();
            return box.width && (box.right > card.right + 0.5 || box.left < card.left - 0.5);
        }).map((e) => e.outerHTML.slice(0, 80))"""
    )
    assert sticking_out == [], f"wider than their card: {sticking_out}"
    assert_fits_the_screen(page)


def expect_problem_page(page, language: str, status: Status) -> None:
    """The problem page, showing `status`, laid out properly."""
    expect(page.locator("#problem-status")).to_have_text(tr(language, status.label))
    assert_well_formed(page)


# --- the whole flow --------------------------------------------------------------------


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_it_takes_a_problem_from_submission_to_evaluation(
    open_page, world, screenshot, pdf_file, internal_file, language
):
    # 1. The enterprise submits from its phone, with a PDF.
    enterprise_page = open_page("phone", language)
    log_in(enterprise_page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    open_menu(enterprise_page, "phone")
    enterprise_page.locator('#main-menu a[href="/problems/new/"]').click()
    expect(enterprise_page).to_have_url(re.compile(r"/problems/new/$"))
    assert_fits_the_screen(enterprise_page)
    fill_submit_form(enterprise_page, world.category, files=pdf_file)
    # It suggests the appeal type (诉求类型): a question, it thinks (咨询).
    enterprise_page.locator("input[name=appeal_type][value=consultation]").check()
    assert_fits_the_screen(enterprise_page)
    screenshot(enterprise_page, f"problem-0-submit-form-{language}-phone")
    enterprise_page.locator("main form button[type=submit]").click()

    expect(enterprise_page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    problem = Problem.objects.get()
    assert REFERENCE_RE.match(problem.reference)
    assert problem.enterprise == world.enterprise
    assert problem.attachments.get().original_name == pdf_file.name
    assert problem.suggested_appeal_type == AppealType.CONSULTATION
    expect(enterprise_page.locator("main header")).to_contain_text(problem.reference)
    expect(enterprise_page.locator("main h1")).to_have_text(TITLE)
    expect_problem_page(enterprise_page, language, Status.SUBMITTED)
    expect(enterprise_page.locator(".alert-success")).to_contain_text(problem.reference)
    assert_fits_the_screen(enterprise_page)
    screenshot(enterprise_page, f"problem-1-submitted-{language}-phone")

    # 2. The office finds it in triage and dispatches it to the category's department.
    office_page = open_page("desktop", language)
    log_in(office_page, USERNAMES[Role.OFFICE], PASSWORD)
    office_page.locator('#main-menu a[href="/problems/triage/"]').click()
    expect(office_page).to_have_url(re.compile(r"/problems/triage/$"))
    office_page.locator(f'main a[href="{problem_url(problem.reference)}"]').click()
    expect(office_page).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    dispatch = action_form(office_page, "dispatch")
    expect(dispatch.locator("select[name=lead_department]")).to_have_value(str(world.department.pk))
    # The appeal type comes prefilled with the suggestion; the office files it as a complaint.
    expect(dispatch.locator("input[name=appeal_type][value=consultation]")).to_be_checked()
    dispatch.locator("input[name=appeal_type][value=complaint]").check()
    dispatch.locator("button[type=submit]").click()

    expect_problem_page(office_page, language, Status.DISPATCHED)
    problem.refresh_from_db()
    assert problem.lead_department == world.department
    assert problem.appeal_type == AppealType.COMPLAINT
    appeal_type = office_page.locator("#problem-appeal-type")
    expect(appeal_type).to_contain_text(tr(language, AppealType.COMPLAINT.label))
    expect(office_page.locator("#problem-suggested-appeal-type")).to_contain_text(
        tr(language, AppealType.CONSULTATION.label)
    )
    state = deadline_state(problem)
    assert state.days_left == 10  # dispatched today: ten working days from tomorrow
    deadline = office_page.locator("#problem-deadline")
    expect(deadline).to_contain_text(deadline_text(language, problem))
    expect(deadline).to_contain_text(days_left_text(language, state.days_left))
    screenshot(office_page, f"problem-2-dispatched-{language}-desktop")

    # 3. The department head acknowledges, reports progress, notes internally, answers.
    head_page = open_page("desktop", language)
    log_in(head_page, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    head_page.locator('#main-menu a[href="/problems/department/"]').click()
    head_page.locator('main a.nav-link[href="?tab=inbox"]').click()
    expect(head_page).to_have_url(re.compile(r"/problems/department/\?tab=inbox$"))
    head_page.locator(f'main a[href="{problem_url(problem.reference)}"]').click()

    action_form(head_page, "acknowledge").locator("button[type=submit]").click()
    expect_problem_page(head_page, language, Status.IN_PROGRESS)
    screenshot(head_page, f"problem-3-acknowledged-{language}-desktop")

    progress = action_form(head_page, "progress")
    expect(progress.locator("input[name=is_public]")).to_be_checked()
    progress.locator("textarea[name=text]").fill(PUBLIC_PROGRESS)
    progress.locator("button[type=submit]").click()
    timeline = head_page.locator("main ol.liaison-timeline")
    expect(timeline).to_contain_text(PUBLIC_PROGRESS)
    screenshot(head_page, f"problem-4-progress-{language}-desktop")

    progress = action_form(head_page, "progress")
    progress.locator("textarea[name=text]").fill(INTERNAL_NOTE)
    progress.locator("input[name=is_public]").uncheck()
    progress.locator("button[type=submit]").click()
    expect(timeline.locator("li.liaison-internal")).to_contain_text(INTERNAL_NOTE)
    screenshot(head_page, f"problem-5-internal-note-{language}-desktop")

    # An internal file, made internal the way people do it: by clicking the box's label.
    attach = action_form(head_page, "attach")
    attach.locator("input[name=files]").set_input_files(internal_file)
    visible_box = attach.locator("input[name=is_public]")
    expect(visible_box).to_be_checked()
    attach.locator(f'label[for="{visible_box.get_attribute("id")}"]').click()
    expect(visible_box).not_to_be_checked()
    attach.locator("button[type=submit]").click()
    expect(head_page.locator("main")).to_contain_text(internal_file.name)
    assert not Attachment.objects.get(original_name=internal_file.name).is_public

    resolve = action_form(head_page, "resolve")
    resolve.locator("textarea[name=answer]").fill(ANSWER)
    resolve.locator("button[type=submit]").click()
    expect_problem_page(head_page, language, Status.RESOLVED)
    expect(head_page.locator("main")).to_contain_text(ANSWER)
    screenshot(head_page, f"problem-6-answered-{language}-desktop")

    # 4. The enterprise reads the answer, downloads its file and evaluates.
    open_menu(enterprise_page, "phone")
    enterprise_page.locator('#main-menu a[href="/problems/"]').click()
    enterprise_page.locator(f'main a[href="{problem_url(problem.reference)}"]').click()
    expect_problem_page(enterprise_page, language, Status.RESOLVED)
    main = enterprise_page.locator("main")
    answer = main.locator("section", has=enterprise_page.locator("#answer-heading"))
    expect(answer).to_contain_text(ANSWER)
    expect(main.locator("ol.liaison-timeline")).to_contain_text(PUBLIC_PROGRESS)
    for internal in (INTERNAL_NOTE, internal_file.name):
        expect(main).not_to_contain_text(internal)
        assert internal not in enterprise_page.content()
    assert_fits_the_screen(enterprise_page)
    screenshot(enterprise_page, f"problem-7-answer-{language}-phone")

    files = main.locator('a[href^="/problems/files/"]')
    expect(files).to_have_count(1)
    with enterprise_page.expect_download() as download_info:
        files.click()
    download = download_info.value
    assert download.suggested_filename == pdf_file.name
    with open(download.path(), "rb") as downloaded:
        assert downloaded.read() == PDF

    # The question "are you satisfied?" stands under the answer it is about.
    evaluate = answer.locator('form[action$="/evaluate/"]')
    evaluate.locator(f'input[name=satisfaction][value="{Satisfaction.SATISFIED}"]').check()
    evaluate.locator("button[type=submit]").click()
    expect_problem_page(enterprise_page, language, Status.CLOSED)
    expect(answer).to_contain_text(tr(language, Satisfaction.SATISFIED.label))
    expect(main.locator('form[action$="/evaluate/"]')).to_have_count(0)
    assert_fits_the_screen(enterprise_page)
    screenshot(enterprise_page, f"problem-8-concluded-{language}-phone")

    problem.refresh_from_db()
    assert (problem.status, problem.satisfaction) == (Status.CLOSED, Satisfaction.SATISFIED)


# --- double submission, disguised files, stale pages ------------------------------------


def test_it_saves_a_double_clicked_submission_once(open_page, world, screenshot):
    """Our script turns the second click into nothing: one request, one problem."""
    page = open_page("desktop", "en")
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto("/problems/new/")
    fill_submit_form(page, world.category)
    posts = record_submissions(page)

    page.locator("main form button[type=submit]").dblclick()

    expect(page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    page.wait_for_load_state("networkidle")
    assert len(posts) == 1
    assert Problem.objects.count() == 1
    problem = Problem.objects.get()
    assert problem.events.count() == 1
    expect(page.locator("main header")).to_contain_text(problem.reference)
    screenshot(page, "problem-double-click-en-desktop")


def test_it_saves_a_form_sent_twice_once_without_our_script(
    open_page, world, screenshot, monkeypatch
):
    """Before our deferred script runs, a second click sends the form again: the server keeps one.

    The server is slowed down (1 s) so that the second request surely arrives while the first is
    still being handled, as on a busy day.
    """
    submit = services.problem_submit_with_files

    def slow_submit(**kwargs):
        time.sleep(1.0)
        return submit(**kwargs)

    monkeypatch.setattr(services, "problem_submit_with_files", slow_submit)
    page = open_page("desktop", "en")
    page.context.route("**/static/js/liaison.js", lambda route: route.abort())
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto("/problems/new/")
    fill_submit_form(page, world.category)
    posts = record_submissions(page)
    # The mouse clicks where the button is on the screen: bring it into view first (the
    # form has grown taller than a laptop's window).
    page.locator("main form button[type=submit]").scroll_into_view_if_needed()
    box = page.locator("main form button[type=submit]").bounding_box()
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2

    # The mouse, unlike a locator, does not wait for the first navigation to finish.
    with page.expect_request(lambda request: request.method == "POST"):
        page.mouse.click(x, y)
    page.mouse.click(x, y)

    expect(page).to_have_url(re.compile(r"/problems/\d{4}-\d{5}/$"))
    page.wait_for_load_state("networkidle")
    assert len(posts) == 2
    assert Problem.objects.count() == 1
    problem = Problem.objects.get()
    assert problem.events.count() == 1
    expect(page.locator("main header")).to_contain_text(problem.reference)
    screenshot(page, "problem-sent-twice-en-desktop")


def test_it_refuses_an_exe_renamed_pdf(open_page, world, screenshot, tmp_path):
    disguised = tmp_path / "invoice.pdf"
    disguised.write_bytes(EXE)
    page = open_page("phone", "en")
    log_in(page, USERNAMES[Role.ENTERPRISE], PASSWORD)
    page.goto("/problems/new/")
    fill_submit_form(page, world.category, title="Electricity price", files=disguised)
    page.locator("main form button[type=submit]").click()

    expect(page).to_have_url(re.compile(r"/problems/new/$"))
    expect(page.locator("#id_files")).to_have_class(re.compile(r"\bis-invalid\b"))
    expect(page.locator("#id_files_error")).to_contain_text(disguised.name)
    expect(page.locator("#id_title")).to_have_value("Electricity price")
    assert Problem.objects.count() == 0
    assert not list((tmp_path / "media").glob("attachments/*"))
    assert_fits_the_screen(page)
    screenshot(page, "problem-exe-refused-en-phone")


def test_it_refuses_an_action_from_a_stale_page(open_page, world, screenshot):
    language = "en"
    enterprise = world.user(Role.ENTERPRISE)
    problem = workflow.problem_submit(
        actor=enterprise,
        enterprise=enterprise.profile.enterprise,
        title="Grid connection delayed",
        description="The new workshop still has no power connection.",
        category=world.category,
    )
    first = open_page("desktop", language)
    log_in(first, USERNAMES[Role.OFFICE], PASSWORD)
    second = first.context.new_page()  # the same office user, in a second tab
    for page in (first, second):
        page.goto(problem_url(problem.reference))
        expect_problem_page(page, language, Status.SUBMITTED)

    action_form(first, "dispatch").locator("button[type=submit]").click()
    expect_problem_page(first, language, Status.DISPATCHED)

    reject = action_form(second, "reject")
    reject.locator("textarea[name=reason]").fill("Not a matter for the district government.")
    reject.locator("button[type=submit]").click()

    expect(second).to_have_url(re.compile(re.escape(problem_url(problem.reference)) + "$"))
    expect(second.locator(".alert-danger")).to_contain_text(
        tr(
            language,
            "This problem was changed by someone else while you were looking at it. "
            "The page now shows its current state; please check and try again.",
        )
    )
    expect_problem_page(second, language, Status.DISPATCHED)
    problem.refresh_from_db()
    assert problem.status == Status.DISPATCHED
    assert not problem.events.filter(kind="rejected").exists()
    screenshot(second, f"problem-stale-{language}-desktop")


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_a_department_prints_the_dispatch_sheet_on_one_page(
    open_page, screenshot, district, viewport
):
    category = Category.objects.create(
        name_zh="环保与危废处置", name_en="Environment", default_lead_department=district.department
    )
    problem = workflow.problem_submit(
        actor=district.user(Role.OFFICE),
        enterprise=district.enterprise,
        title=TITLE,
        description=DESCRIPTION * 4,
        category=category,
        channel="visit",
    )
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=district.user(Role.OFFICE),
        lead_department=district.department,
        co_departments=[district.town],
    )
    page = open_page(viewport, "zh-hans")
    log_in(page, USERNAMES[Role.DEPARTMENT_STAFF], PASSWORD)
    page.goto(f"/problems/{problem.reference}/")
    page.locator("#dispatch-sheet-link").click()
    page.wait_for_url(f"**/problems/{problem.reference}/dispatch-sheet/")
    expect(page.locator("#sheet-title")).to_have_text(TITLE)
    expect(page.locator("#sheet-co")).to_have_text(district.town.name)
    assert_fits_the_screen(page)
    screenshot(page, f"dispatch-sheet-{viewport}")

    if viewport == "desktop":
        page.set_viewport_size({"width": 794, "height": 1123})  # A4 at 96 dpi
        page.emulate_media(media="print")
        expect(page.locator("#print-button")).to_be_hidden()
        expect(page.locator(".navbar")).to_be_hidden()
        screenshot(page, "dispatch-sheet-print")
        pdf = page.pdf(prefer_css_page_size=True)
        assert len(re.findall(rb"/Type\s*/Page(?!s)", pdf)) == 1
