"""The dashboard page written with its tables' rows in Python (dashboard_tags) and the
filter's kept selects written once per list (liaison.forms_rendering.ListSelect) is the
page the old rendering path wrote, character for character, in both languages: the
template loops (reference_templates/) and Django's own widget templates."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from django.test import override_settings
from django.utils import timezone

from dashboard.summary import dashboard_refresh
from issues.models import Problem
from liaison import workdays
from liaison.models import Role
from tests import rendering
from tests.rendering import page

from .test_dashboard import world_fixture  # noqa: F401 - the hand-made data set, as `world`

REFERENCE_TEMPLATES = Path(__file__).parent / "reference_templates"
LANGUAGES = ["zh-hans", "en"]
URL = "/dashboard/"


@pytest.fixture(autouse=True)
def clock_stopped():
    with rendering.clock_stopped():
        yield


def old_rendering():
    """The site's templates with the old table loops, and Django's widget templates."""
    engine = rendering.engine_with(REFERENCE_TEMPLATES)
    return override_settings(
        TEMPLATES=[engine], FORM_RENDERER="django.forms.renderers.DjangoTemplates"
    )


CASES = [
    (Role.LEADER, "?year=2025"),
    (Role.LEADER, ""),  # this year: no problems, every table empty
    (Role.PRINCIPAL, "?date_from=2025-03-15&date_to=2025-06-10"),  # partial months
    (Role.OFFICE, "?year=2025&sort=overdue"),
    (Role.OFFICE, "?year=2025&sort=name&dir=asc"),
    (Role.LEADER, "?year=2025&category={c1}&meeting={meeting}"),  # filtered
    (Role.LEADER, "?year=2025&town={town}"),
    (Role.LEADER, "?year=2025&leader={leader}&appeal_type=complaint"),
    (Role.LEADER, "?date_from=2025-06-01&date_to=2025-05-01"),  # refused: errors shown
    (Role.DEPARTMENT_HEAD, "?year=2025"),
    (Role.DEPARTMENT_HEAD, "?date_from=2025-03-15&date_to=2025-06-10"),
]


@pytest.mark.parametrize("summary", [False, True], ids=["live", "summary"])
@pytest.mark.parametrize("language", LANGUAGES)
@pytest.mark.parametrize("persona, query", CASES)
def test_the_dashboard_is_as_the_templates_wrote_it(
    client, world, persona, query, language, summary
):
    district = world["district"]
    if summary:
        dashboard_refresh(full=True)
    url = URL + query.format(
        c1=world["c1"].pk,
        meeting=world["meeting"].pk,
        town=world["e1"].town_id,
        leader=district.users[Role.LEADER].pk,
    )
    client.force_login(district.users[persona])
    now = page(client, url, language)
    with old_rendering():
        before = page(client, url, language)
    assert now == before
    # Shown again (the options as kept): the same.
    assert page(client, url, language) == now


def test_the_comparisons_cover_each_kind_of_row(client, world):
    """(What the comparisons above cover: links, rates and their absence, the overdue
    mark, the row without a town, an empty table.)"""
    client.force_login(world["district"].users[Role.LEADER])
    html = page(client, URL + "?year=2025", "en")
    for text in [
        'data-count="overdue" class="text-danger fw-semibold"',
        'data-count="overdue" class=""',
        '<td class="text-end">—</td>',
        "%</a></td>",
        "(no town recorded)",
        "&amp;lead_department=",
        '<option value="' + str(world["c1"].pk) + '">',
    ]:
        assert text in html, text
    html = page(client, URL, "en")
    assert "No problems received in this period." in html
    assert "No problem was accepted in this period." in html


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_escalated_list_is_as_the_template_wrote_it(client, world, language):
    """Escalated to the principal leaders, a title to escape, a second row due yesterday
    (the singular or none)."""
    district = world["district"]
    escalated = world["problems"][4]
    Problem.objects.filter(pk=escalated.pk).update(
        escalation_level=2, title="漆渣 <b>&amp;</b> \"quoted\" 'single'"
    )
    other = Problem.objects.get(pk=world["problems"][5].pk)
    yesterday = workdays.start_of_day(workdays.local_date(timezone.now())) - dt.timedelta(hours=1)
    Problem.objects.filter(pk=other.pk).update(
        escalation_level=1,
        due_at=yesterday,
        responsible_leader=None,
    )
    client.force_login(district.users[Role.LEADER])
    url = URL + "?year=2025"
    now = page(client, url, language)
    with old_rendering():
        assert page(client, url, language) == now
    assert now.count('<li class="list-group-item">') >= 2 and "&lt;b&gt;" in now
