"""The people messages go to (notifications.people): read, or taken from users the caller
read already with their profiles; the same either way."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model

from liaison.models import Role
from notifications.api import people

from .conftest import make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def everyone(office, leader, lead_head, enterprise_user, no_profile_user):
    """Officials, an enterprise, one without a profile, one who left, an API account,
    one who wants no e-mail and one who reads English."""
    left = make_user("left-office", Role.OFFICE)
    left.is_active = False
    left.save()
    api = make_user("api-client", Role.OFFICE)
    api.profile.is_service_account = True
    api.profile.save()
    quiet = make_user("quiet-head", Role.OFFICE)
    quiet.profile.email_notifications = False
    quiet.profile.save()
    english = make_user("english-leader", Role.LEADER)
    english.profile.language = "en"
    english.profile.phone = "13800000001"
    english.profile.save()
    english.email = ""
    english.save()
    users = [office, leader, lead_head, enterprise_user, no_profile_user, left, api, quiet]
    return [*users, english]


def test_people_taken_from_users_in_hand_are_those_it_reads(everyone, django_assert_num_queries):
    ids = {user.pk for user in everyone}
    read = people(ids)
    in_hand = list(get_user_model().objects.filter(pk__in=ids).select_related("profile"))

    with django_assert_num_queries(0):
        taken = people(ids, known=in_hand)

    assert taken == read
    assert len(read) == len(everyone) - 2  # not the one who left, nor the API account


def test_only_the_users_not_in_hand_are_read(everyone, django_assert_num_queries):
    ids = {user.pk for user in everyone}
    read = people(ids)
    some = list(get_user_model().objects.filter(pk__in=list(ids)[:3]).select_related("profile"))
    without_profile = list(get_user_model().objects.filter(pk__in=list(ids)[3:6]))

    with django_assert_num_queries(1):
        mixed = people(ids, known=some + without_profile)

    assert mixed == read
