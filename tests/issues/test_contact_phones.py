"""Enterprises' contact phones: in full for whoever needs to call them, masked for the
rest (issues.selectors.contact_phones_for, the `contact_phone` filter), per role."""

from __future__ import annotations

import pytest
from django.template import Context, Template
from django.urls import reverse

from issues import selectors
from issues.models import Problem, Status
from liaison.models import Enterprise
from liaison.privacy import ContactPhones

PHONE = "13900000001"
MASKED = "139****0001"


@pytest.fixture
def with_phone(enterprise, other_enterprise):
    Enterprise.objects.filter(pk__in=[enterprise.pk, other_enterprise.pk]).update(
        contact_phone=PHONE
    )
    enterprise.refresh_from_db()
    other_enterprise.refresh_from_db()
    return enterprise


@pytest.fixture
def open_problem(make_problem, with_phone, co_department):
    return make_problem(Status.IN_PROGRESS, co_departments=[co_department])


def phone_seen_by(user, enterprise) -> str:
    return selectors.contact_phones_for(user).phone(enterprise)


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("office", PHONE),
        ("superuser", PHONE),
        ("leader", PHONE),
        ("principal", PHONE),
        ("enterprise_user", PHONE),  # its own
        ("other_enterprise_user", MASKED),
        ("lead_staff", PHONE),  # leads its open problem
        ("lead_head", PHONE),
        ("co_staff", PHONE),  # helps with it
        ("other_staff", MASKED),  # browses the enterprise, no problem of its
        ("other_head", MASKED),
        ("no_profile_user", MASKED),
    ],
)
def test_who_sees_the_contact_phone_of_an_enterprise_with_an_open_problem(
    request, open_problem, with_phone, persona, expected
):
    user = request.getfixturevalue(persona)

    assert phone_seen_by(user, with_phone) == expected


def test_an_enterprise_sees_its_own_phone_not_another_s(
    enterprise_user, with_phone, other_enterprise
):
    assert phone_seen_by(enterprise_user, with_phone) == PHONE
    assert phone_seen_by(enterprise_user, other_enterprise) == MASKED


def test_a_department_sees_it_only_while_the_problem_is_open(
    make_problem, with_phone, lead_staff, office
):
    problem = make_problem(Status.RESOLVED)
    assert phone_seen_by(lead_staff, with_phone) == MASKED
    # Submitted, not yet dispatched: no department handles it yet.
    make_problem(Status.SUBMITTED)
    assert phone_seen_by(lead_staff, with_phone) == MASKED
    assert Problem.objects.get(pk=problem.pk).status == Status.RESOLVED


def test_a_page_of_enterprises_is_one_query(
    open_problem, with_phone, other_enterprise, lead_staff, office, django_assert_num_queries
):
    with django_assert_num_queries(0):
        selectors.contact_phones_for(office)
    # 1 the enterprises with an open problem of the department's, among the page's
    with django_assert_num_queries(1):
        phones = selectors.contact_phones_for(
            lead_staff, enterprise_ids=[with_phone.pk, other_enterprise.pk]
        )
    assert phones == ContactPhones(enterprise_ids=frozenset({with_phone.pk}))


def test_the_filter_masks_what_the_rule_masks(with_phone):
    template = Template("{% load liaison_tags %}{{ enterprise|contact_phone:phones }}")

    def render(phones):
        return template.render(Context({"enterprise": with_phone, "phones": phones}))

    assert render(ContactPhones(every=True)) == PHONE
    assert render(ContactPhones(enterprise_ids=frozenset({with_phone.pk}))) == PHONE
    assert render(ContactPhones()) == MASKED


def test_the_dispatch_sheet_masks_the_phone_once_the_department_is_done(
    client_as, make_problem, with_phone, lead_staff, office
):
    resolved = make_problem(Status.RESOLVED)
    url = reverse("issues:dispatch_sheet", args=[resolved.reference])

    done = client_as(lead_staff).get(url).content.decode()
    assert MASKED in done and PHONE not in done
    assert PHONE in client_as(office).get(url).content.decode()
    # Another problem of the enterprise's comes to the department: it needs to call again.
    make_problem(Status.DISPATCHED)
    assert PHONE in client_as(lead_staff).get(url).content.decode()
