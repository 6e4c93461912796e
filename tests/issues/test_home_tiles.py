"""Every figure on every role's home page opens a list of exactly the problems it counts.

Read as a user would: the figures and their links from the rendered home page, then the
rows of the list each link opens (all its pages).
"""

from __future__ import annotations

import datetime as dt
import html
import re
from html.parser import HTMLParser

import pytest
from django.urls import reverse
from django.utils import timezone

from issues import deadlines, workflow
from issues.models import Problem, Status
from liaison.models import Role

from .conftest import NOW, at, copy_problems, make_user

pytestmark = pytest.mark.django_db

HOME_URL = reverse("home")
# A problem's page, or its call-back page (the office's call-back queue links there).
DETAIL_RE = re.compile(r"^/problems/(\d{4}-\d{5})/(?:call-back/)?$")


class _Page(HTMLParser):
    """The figures of a home page, or the rows and next page of a list."""

    def __init__(self):
        super().__init__()
        self.tiles: list[dict] = []  # {"href", "value", "label"}
        self.rows: list[str] = []  # problem references, in the order listed
        self.next_page: str | None = None
        self._tile = None  # the figure being read, and what part of it
        self._part = None
        self._list_depth = 0  # inside the list of problems: its element depth
        self._pager_link = None

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        if self._list_depth:
            self._list_depth += 1
        elif "liaison-problem-list" in classes:
            self._list_depth = 1
        if tag == "a" and "liaison-stat-card" in classes:
            self._tile = {"href": html.unescape(attrs["href"]), "value": "", "label": ""}
        elif self._tile is not None and tag == "div":
            self._part = "value" if "liaison-stat" in classes else "label"
        if tag == "a" and self._list_depth:
            match = DETAIL_RE.match(attrs.get("href") or "")
            if match and match.group(1) not in self.rows:
                self.rows.append(match.group(1))
        if tag == "a" and "page-link" in classes:
            self._pager_link = attrs["href"]

    def handle_endtag(self, tag):
        if self._list_depth:
            self._list_depth -= 1
        if tag == "a" and self._tile is not None:
            self.tiles.append(self._tile)
            self._tile = self._part = None
        elif tag == "div":
            self._part = None
        if tag == "a":
            self._pager_link = None

    def handle_data(self, data):
        if self._tile is not None and self._part:
            self._tile[self._part] += data.strip()
        if self._pager_link and data.strip() == "Next":
            self.next_page = html.unescape(self._pager_link)


def read(client, url: str) -> _Page:
    response = client.get(url)
    assert response.status_code == 200, url
    page = _Page()
    page.feed(response.content.decode())
    return page


def listed(client, url: str) -> list[str]:
    """The references a list shows, following its pages."""
    path = url.split("?")[0]
    rows = []
    while url:
        page = read(client, url)
        rows += page.rows
        url = f"{path}{page.next_page}" if page.next_page else None
    return rows


@pytest.fixture
def every_state(
    make_problem,
    office,
    leader,
    principal,
    lead_staff,
    other_staff,
    co_staff,
    other_department,
    co_department,
    other_enterprise_user,
):
    """A district with problems in every state and of every leader.

    `leader` supervises lead_department and co_department, `leader2` other_department.
    Overdue problems are escalated by the sweep: those dispatched at NOW twice (to the
    principal leaders too), one dispatched a month ago once.
    """
    leader2 = make_user("leader2", Role.LEADER)
    other_department.supervising_leader = leader2
    other_department.save(update_fields=["supervising_leader"])
    now = timezone.now()
    recent = now - dt.timedelta(hours=3)

    def dispatch(problem, *, lead_department, responsible_leader=None, at_time=NOW):
        return workflow.problem_dispatch(
            problem_id=problem.pk,
            actor=office,
            lead_department=lead_department,
            responsible_leader=responsible_leader,
            now=at_time,
        )

    # Overdue since October 2025: escalated once, then again to the principal leaders.
    make_problem(Status.DISPATCHED)
    make_problem(Status.IN_PROGRESS, co_departments=[co_department])
    make_problem(Status.IN_PROGRESS, lead=other_staff, submitter=other_enterprise_user)
    make_problem(Status.IN_PROGRESS, lead=co_staff)
    dispatch(make_problem(), lead_department=other_department)
    named = make_problem()
    dispatch(
        named, lead_department=named.category.default_lead_department, responsible_leader=leader2
    )
    deadlines.sweep(at("2025-10-20 10:00"))
    # Overdue for a few days: escalated once, by the sweep below.
    month_ago = now - dt.timedelta(days=30)
    make_problem(Status.IN_PROGRESS, now=month_ago, lead=other_staff)
    make_problem(Status.DISPATCHED, now=month_ago, co_departments=[co_department])
    deadlines.sweep(now)
    # Not overdue.
    make_problem(Status.DISPATCHED, now=recent)
    make_problem(Status.DISPATCHED, now=recent, lead=co_staff)
    make_problem(Status.IN_PROGRESS, now=recent, lead=other_staff, co_departments=[co_department])
    fresh = make_problem(now=recent, submitter=other_enterprise_user)
    dispatch(fresh, lead_department=other_department, responsible_leader=principal, at_time=recent)
    extended = make_problem(Status.IN_PROGRESS, now=recent)
    workflow.problem_request_extension(
        problem_id=extended.pk, actor=lead_staff, days=3, reason="需等待检测报告"
    )
    # Not dispatched: new, returned, not accepted.
    make_problem(now=recent)
    make_problem(now=recent, submitter=other_enterprise_user)
    returned = make_problem(Status.DISPATCHED, now=recent)
    workflow.problem_return(problem_id=returned.pk, actor=lead_staff, reason="不属本单位职责")
    make_problem(Status.REJECTED, now=recent)
    # Concluded.
    make_problem(Status.RESOLVED, now=recent)
    make_problem(Status.RESOLVED, now=recent, lead=other_staff, submitter=other_enterprise_user)
    make_problem(Status.CLOSED, now=recent)
    make_problem(Status.CLOSED, now=NOW, co_departments=[co_department])
    # Many of one kind: the lists page by 25.
    copy_problems(make_problem(Status.IN_PROGRESS, now=recent), 26)
    return leader2


PERSONAS = [
    "enterprise_user",
    "other_enterprise_user",
    "lead_staff",
    "lead_head",
    "co_staff",
    "other_head",
    "office",
    "superuser",
    "leader",
    "leader2",
    "principal",
]
# The figures each role's home page shows (so that a tile left out is noticed).
TILES = {
    "enterprise_user": 2,
    "other_enterprise_user": 2,
    "lead_staff": 4,
    "lead_head": 4,
    "co_staff": 4,
    "other_head": 4,
    "office": 6,
    "superuser": 6,
    "leader": 5,
    "leader2": 5,
    "principal": 5,
}


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_home_figure_opens_the_list_of_its_problems(
    client_as, request, every_state, superuser, other_head, persona
):
    user = every_state if persona == "leader2" else request.getfixturevalue(persona)
    client = client_as(user)

    tiles = read(client, HOME_URL).tiles

    assert len(tiles) == TILES[persona]
    for tile in tiles:
        rows = listed(client, tile["href"])
        assert int(tile["value"]) == len(rows), (tile, rows)
    # Not a world of zeros: the district has something behind most figures.
    assert sum(int(tile["value"]) > 0 for tile in tiles) >= len(tiles) - 1


def test_a_leaders_area_is_theirs_and_the_list_says_so(client_as, every_state, leader):
    client = client_as(leader)
    tiles = {tile["label"]: tile for tile in read(client, HOME_URL).tiles}
    mine = tiles["open in my area"]

    response = client.get(mine["href"])

    rows = listed(client, mine["href"])
    leaders = set(
        Problem.objects.filter(reference__in=rows).values_list(
            "responsible_leader__username", "lead_department__supervising_leader__username"
        )
    )
    assert leaders <= {(None, "leader"), ("leader", "leader")}
    assert int(mine["value"]) < int(tiles["open in the district"]["value"])
    # The list says what it shows.
    text = response.content.decode()
    assert 'id="active-filters"' in text
    assert "District leader: leader" in text
    assert "Status: Dispatched, In progress" in text
    assert f"{len(rows)} problems" in text
