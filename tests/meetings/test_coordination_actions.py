"""coordination_actions: what each role may do on a coordination meeting, planned or held
(the house convention of issues.problem_page.problem_actions)."""

from __future__ import annotations

import pytest

from meetings import coordination_services
from meetings.coordination_selectors import coordination_actions
from meetings.models import CoordinationMeeting
from tests.meetings.fixtures_coordination import *  # noqa: F403

MANAGE_PLANNED = frozenset({"edit", "add_item", "mark_held"})
MANAGE_HELD = frozenset({"edit", "add_item"})
NOTHING = frozenset()


def held(meeting, actor) -> CoordinationMeeting:
    coordination_services.coordination_mark_held(
        meeting_id=meeting.pk, actor=actor, decisions="两家单位三日内报送方案。"
    )
    return CoordinationMeeting.objects.get(pk=meeting.pk)


@pytest.mark.parametrize(
    ("persona", "planned", "after_held"),
    [
        ("leader", MANAGE_PLANNED, MANAGE_HELD),  # the convener
        ("office", MANAGE_PLANNED, MANAGE_HELD),
        ("principal", NOTHING, NOTHING),  # another leader sees, does not manage
        ("lead_head", NOTHING, NOTHING),  # a department ticks its own items off only
        ("lead_staff", NOTHING, NOTHING),
        ("other_staff", NOTHING, NOTHING),
        ("enterprise_user", NOTHING, NOTHING),
    ],
)
def test_the_actions_follow_role_and_state(request, meeting, leader, persona, planned, after_held):
    user = request.getfixturevalue(persona)
    assert meeting.status == CoordinationMeeting.Status.PLANNED
    assert coordination_actions(user=user, meeting=meeting) == planned

    meeting = held(meeting, leader)
    assert meeting.status == CoordinationMeeting.Status.HELD
    assert coordination_actions(user=user, meeting=meeting) == after_held


def test_it_asks_the_database_nothing(meeting, office, lead_staff, django_assert_num_queries):
    with django_assert_num_queries(0):
        coordination_actions(user=office, meeting=meeting)
        coordination_actions(user=lead_staff, meeting=meeting)
