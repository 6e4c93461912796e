"""URLs no one types are bad requests, never 500s: a NUL character (which PostgreSQL cannot
hold in a text value) anywhere in the URL, numbers too large for a date or an id in the
admin's lookups and selections. Run on PostgreSQL, where a NUL in a query is an error."""

from __future__ import annotations

import pytest
from django.urls import reverse

from issues.models import Category
from liaison.models import Department, Role

pytestmark = pytest.mark.django_db

HUGE = "99999999999999999999"


@pytest.fixture
def admin_client(client, district):
    client.force_login(district.user(Role.ADMIN))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/issues/problem/?status__exact=%00",
        "/admin/issues/problemevent/?kind__exact=%00",
        "/admin/liaison/enterprise/?industry=%00",
        "/admin/liaison/department/?name=%00",
        "/admin/auth/user/?profile__role=%00",
        "/admin/keytasks/keytask/?status__exact=%00",
        "/admin/autocomplete/?term=%00&app_label=keytasks&model_name=keytask&field_name=problems",
        "/admin/issues/problem/%00/change/",
    ],
)
def test_a_nul_in_an_admin_url_is_a_bad_request(admin_client, url):
    assert admin_client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    ["/problems/%00/", "/problems/?q=%00", "/problems/?q=%E6%BC%86%E6%B8%A3%00", "/tasks/?x%00=1"],
)
@pytest.mark.parametrize("role", [Role.OFFICE, Role.ENTERPRISE])
def test_a_nul_in_a_site_url_is_a_bad_request(client, district, url, role):
    client.force_login(district.user(role))

    assert client.get(url).status_code == 400


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/issues/problem/?created_at__year={HUGE}",
        f"/admin/issues/problem/?created_at__month={HUGE}&created_at__year=2025",
        f"/admin/issues/problem/?created_at__day={HUGE}&created_at__month=1&created_at__year=2025",
        f"/admin/liaison/calendarday/?date__year={HUGE}",
        f"/admin/meetings/meeting/?starts_at__year={HUGE}",
    ],
)
def test_a_year_too_large_for_a_date_is_an_incorrect_lookup(admin_client, url):
    response = admin_client.get(url)

    # The admin's answer to any bad lookup: the list again, with ?e=1.
    assert response.status_code == 302
    assert response["Location"].endswith("?e=1")
    assert admin_client.get(response["Location"]).status_code == 200


@pytest.mark.parametrize(
    "url",
    [
        f"/admin/issues/problem/?p={HUGE}",
        f"/admin/issues/problem/?id__gt={HUGE}",
        f"/admin/issues/problem/{HUGE}/change/",
        f"/admin/keytasks/keytask/?year__exact={HUGE}",
        f"/problems/?page={HUGE}",
        f"/problems/?meeting={HUGE}&town={HUGE}",
        f"/meetings/statistics/?year={HUGE}",
        f"/tasks/?year={HUGE}",
        f"/dashboard/?year={HUGE}",
    ],
)
def test_other_huge_numbers_are_answered(admin_client, url):
    assert admin_client.get(url).status_code in (200, 302, 404)


@pytest.mark.parametrize("selected", ["\x00", "abc", "1.5"])
def test_an_admin_action_on_a_row_that_is_not_an_id_is_a_bad_request(admin_client, selected):
    department = Department.objects.create(name="区商务局", short_name="商务")

    response = admin_client.post(
        reverse("admin:liaison_department_changelist"),
        {"action": "delete_selected", "_selected_action": [str(department.pk), selected]},
    )

    assert response.status_code == 400
    assert Department.objects.filter(pk=department.pk).exists()


def test_an_admin_action_on_real_rows_still_works(admin_client):
    category = Category.objects.create(name_zh="用工", name_en="Labour")

    response = admin_client.post(
        reverse("admin:issues_category_changelist"),
        {"action": "delete_selected", "_selected_action": [str(category.pk)], "post": "yes"},
    )

    assert response.status_code == 302
    assert not Category.objects.exists()
