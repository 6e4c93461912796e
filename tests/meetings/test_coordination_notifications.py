"""Who is told about a coordination meeting and its action items."""

from __future__ import annotations

import pytest

from issues.models import EventKind
from meetings import coordination_services
from notifications.models import Notification
from tests.meetings.fixtures_coordination import *  # noqa: F403 - fixtures
from tests.meetings.fixtures_coordination import add_item, convene

pytestmark = pytest.mark.django_db


def told(kind) -> set[str]:
    return set(
        Notification.objects.filter(kind=kind, channel="in_app").values_list(
            "recipient__username", flat=True
        )
    )


def test_convening_tells_the_departments_called_and_the_enterprise(
    leader, open_problem, lead_head, co_head, co_department, other_head, enterprise_user
):
    convene(leader, [open_problem], departments=[co_department])

    assert told(EventKind.COORDINATION_CONVENED) == {
        "lead_head",  # the problem's lead department
        "lead_staff",  # ... and its handler there
        "co_head",  # called to the meeting
        "enterprise_user",  # the convening is public
    }


def test_an_action_item_tells_its_department_and_done_tells_the_convener(
    meeting, co_department, co_head, lead_head
):
    item = add_item(meeting, co_department)

    assert told(EventKind.ACTION_ITEM_ADDED) == {"co_head"}

    coordination_services.action_item_complete(item_id=item.pk, actor=co_head, note="已报送方案")

    assert told(EventKind.ACTION_ITEM_DONE) == {"leader"}
