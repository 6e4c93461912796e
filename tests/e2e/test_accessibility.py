"""Accessibility in the browser: axe-core finds no serious or critical violation on the
main pages of every role, in both languages, on a desktop and a phone; and keyboard focus
is visible on every control, the red navbar included.

axe-core is vendored for these tests only (tests/e2e/vendor/, see its README); the app
never serves it. Every axe rule runs (WCAG 2.1 AA and best practices), not only contrast.
Collapsed sections (<details>) are opened first, so their forms are checked too.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from dashboard.management.commands import seed_demo
from issues import deadlines, workflow
from issues.models import Category, ExtensionRequest, Problem, Status
from liaison import demo_data, workdays
from liaison.models import Profile, Role
from liaison.services import calendar_load_from_package
from meetings.models import CoordinationMeeting, Meeting
from tests.e2e.test_login_and_home import log_in, open_menu
from tests.liaison.conftest import PASSWORD, USERNAMES

try:
    from playwright.sync_api import expect
except ImportError:  # the `browser` fixture skips (or fails in CI) with the reason
    expect = None

pytestmark = pytest.mark.e2e

AXE = Path(__file__).parent / "vendor" / "axe-core-4.14.1" / "axe.min.js"
LANGUAGES = ["zh-hans", "en"]
BLOCKING = ("serious", "critical")

RUN_AXE = """async () => {
  document.querySelectorAll("details").forEach((d) => { d.open = true; });
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map((v) => ({
    id: v.id,
    impact: v.impact,
    help: v.help,
    nodes: v.nodes.map((n) => n.target.join(" ") + " " + (n.failureSummary || "")),
  }));
}"""


@pytest.fixture
def demo(transactional_db):
    """The demo district, as `make run` shows it (the live server's flush took the
    calendar a migration loads, so it is loaded again first)."""
    calendar_load_from_package()
    workdays.invalidate()
    seed_demo.seed_demo_district()
    deadlines.sweep()  # as beat would at once: overdue problems escalate
    yield
    workdays.invalidate()


def problem_url(problem: Problem | None) -> str:
    assert problem is not None, "the demo has no such problem"
    return f"/problems/{problem.reference}/"


def main_pages() -> dict[str | None, list[str]]:
    """Each role's main pages in the demo: username (None: not logged in) -> paths."""
    department = Profile.objects.get(user__username="jxsw_staff").department
    enterprise = Profile.objects.get(user__username="ent01").enterprise
    ours = Problem.objects.filter(enterprise=enterprise).order_by("-created_at")
    in_hand = (
        Problem.objects.filter(lead_department=department, status=Status.IN_PROGRESS)
        .exclude(extensions__decision=ExtensionRequest.Decision.PENDING)
        .order_by("-created_at")
    )
    planned = Meeting.objects.filter(status=Meeting.Status.PLANNED).order_by("starts_at")
    meeting = planned.first() or Meeting.objects.order_by("-starts_at").first()
    coordination = CoordinationMeeting.objects.order_by("-starts_at").first()
    in_area = Problem.objects.filter(lead_department__supervising_leader__username="leader3")
    escalated = in_area.filter(escalation_level__gte=1).order_by("-created_at")
    return {
        None: ["/accounts/login/"],
        "ent01": [
            "/",
            "/problems/new/",
            problem_url(ours.filter(status=Status.RESOLVED).first() or ours.first()),
            "/meetings/lists/contacts/",
            "/meetings/lists/guidance/",
        ],
        "jxsw_staff": ["/problems/department/", problem_url(in_hand.first())],
        "jxsw_head": ["/", "/problems/department/"],
        "office1": [
            "/",
            "/problems/triage/",
            problem_url(Problem.objects.filter(status=Status.SUBMITTED).first()),
            f"/meetings/{meeting.pk}/",
            f"/meetings/coordination/{coordination.pk}/",
            "/problems/extensions/",
            "/audit/",
            "/audit/?tab=changes",
        ],
        "leader3": [
            "/",
            "/problems/escalations/",
            problem_url(escalated.first() or in_area.first()),
            "/dashboard/",
            "/tasks/",
        ],
    }


def violations(page) -> list[dict]:
    # Evaluated through the DevTools protocol: a <script> tag with axe's text in it would
    # be an inline script, which the site's Content-Security-Policy refuses.
    page.evaluate(AXE.read_text())
    return [v for v in page.evaluate(RUN_AXE) if v["impact"] in BLOCKING]


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_roles_main_pages_have_no_serious_violation(open_page, demo, screenshot, language):
    found = []
    for viewport in ("desktop", "phone"):
        for username, paths in main_pages().items():
            page = open_page(viewport, language)
            if username:
                log_in(page, username, demo_data.DEMO_PASSWORD)
                expect(page.locator("#user-menu-toggle")).to_be_attached()
            for path in paths:
                page.goto(path)
                expect(page.locator("html")).to_have_attribute("lang", language)
                for v in violations(page):
                    found.append(
                        f"{viewport} {username} {path}: {v['id']} ({v['impact']}) {v['help']}\n  "
                        + "\n  ".join(v["nodes"][:5])
                    )
            screenshot(page, f"a11y-{username or 'login'}-{language}-{viewport}")
            page.context.close()
    assert not found, "\n".join(found)


# --- visible focus -----------------------------------------------------------------------

# The focused element's focus indicator: the outline (if drawn) and each box-shadow ring,
# as colours, and the colour behind the element (the first opaque background up the tree).
FOCUS_STYLE = """() => {
  const el = document.activeElement;
  if (!el || el === document.body) return null;
  const style = getComputedStyle(el);
  let background = "rgb(255, 255, 255)";
  for (let node = el.parentElement; node; node = node.parentElement) {
    const colour = getComputedStyle(node).backgroundColor;
    if (colour && colour !== "transparent" && !/rgba\\(.*,\\s*0\\)$/.test(colour)) {
      background = colour;
      break;
    }
  }
  const rings = [];
  if (style.outlineStyle === "auto") {
    rings.push("auto");  // the browser's own ring: dark and light, seen on any background
  } else if (style.outlineStyle !== "none" && parseFloat(style.outlineWidth) >= 2) {
    rings.push(style.outlineColor);
  }
  if (style.boxShadow && style.boxShadow !== "none") {
    rings.push(...(style.boxShadow.match(/rgba?\\([^)]*\\)/g) || []));
  }
  const label = el.innerText || el.value || el.getAttribute("aria-label") || "";
  return {
    name: (el.id ? "#" + el.id : el.tagName.toLowerCase()) + " " +
      label.replace(/\\s+/g, " ").trim().slice(0, 30),
    rings: rings,
    background: background,
  };
}"""


def _rgba(text: str) -> tuple[float, float, float, float]:
    parts = [float(p) for p in text[text.index("(") + 1 : -1].replace("/", ",").split(",")]
    return (*parts[:3], parts[3] if len(parts) > 3 else 1.0)


def _luminance(rgb) -> float:
    def channel(c):
        c /= 255
        return c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(ring: str, background: str) -> float:
    """WCAG contrast of a ring (blended over the background if translucent) against it."""
    if ring == "auto":
        return 21.0
    *fg, alpha = _rgba(ring)
    bg = _rgba(background)[:3]
    fg = [alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True)]
    light, dark = sorted((_luminance(fg), _luminance(bg)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def unseen_focus(page, stops: int = 40) -> list[str]:
    """Tab through the page; the controls whose focus no ring shows at 3:1 (WCAG 1.4.11)."""
    unseen, seen_names = [], set()
    page.evaluate("() => document.activeElement && document.activeElement.blur()")
    for _ in range(stops):
        page.keyboard.press("Tab")
        focus = page.evaluate(FOCUS_STYLE)
        if focus is None:
            continue
        best = max((contrast(ring, focus["background"]) for ring in focus["rings"]), default=0)
        if best < 3 and focus["name"] not in seen_names:
            unseen.append(f"{focus['name']}: {best:.2f}:1 on {focus['background']}")
        seen_names.add(focus["name"])
    return unseen


@pytest.fixture
def problem_in_hand(district):
    """A problem the department is handling: its page has the department's forms."""
    department = district.department
    category = Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=department
    )
    enterprise_user = district.user(Role.ENTERPRISE)
    problem = workflow.problem_submit(
        actor=enterprise_user,
        enterprise=enterprise_user.profile.enterprise,
        title="喷涂车间危废漆渣无处处置",
        description="喷漆车间每月产生约 2 吨漆渣。",
        category=category,
    )
    workflow.problem_dispatch(
        problem_id=problem.pk, actor=district.user(Role.OFFICE), lead_department=department
    )
    workflow.problem_acknowledge(problem_id=problem.pk, actor=district.user(Role.DEPARTMENT_HEAD))
    return Problem.objects.get(pk=problem.pk)


@pytest.mark.parametrize("viewport", ["desktop", "phone"])
def test_keyboard_focus_is_visible_everywhere(open_page, problem_in_hand, screenshot, viewport):
    page = open_page(viewport, "zh-hans")
    page.goto("/accounts/login/")
    unseen = [f"login {u}" for u in unseen_focus(page, 8)]

    log_in(page, USERNAMES[Role.DEPARTMENT_HEAD], PASSWORD)
    expect(page.locator("#user-menu-toggle")).to_be_attached()
    if viewport == "phone":
        open_menu(page, viewport)  # the menu's links are reachable only when open
    unseen += [f"home {u}" for u in unseen_focus(page)]

    page.goto(problem_url(problem_in_hand))
    page.evaluate("() => document.querySelectorAll('details').forEach((d) => { d.open = true; })")
    unseen += [f"problem {u}" for u in unseen_focus(page, 60)]

    # The first menu entry, focused on the red navbar: how the ring looks.
    page.goto("/")
    page.keyboard.press("Tab")  # the skip link
    page.keyboard.press("Tab")  # the brand
    page.keyboard.press("Tab")
    screenshot(page, f"a11y-focus-navbar-{viewport}")
    assert not unseen, "\n".join(unseen)
