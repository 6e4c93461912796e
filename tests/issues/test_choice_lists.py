"""The filter forms' choice lists kept between requests (liaison.choices): a change shows
in the next request, in this process and in any other, and no one sees a list that is
not theirs."""

from __future__ import annotations

import re

import pytest
from django.core.cache import cache
from django.forms.renderers import DjangoTemplates
from django.urls import reverse
from django.utils.translation import override

from issues.filters import ProblemFilter
from liaison import choices, forms_rendering
from liaison.forms_rendering import ListSelect
from liaison.models import Department, Profile, Role
from liaison.services import profile_set_role
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import make_user

LIST_URL = reverse("issues:list")
DASHBOARD_URL = reverse("dashboard")


def options(response, name: str) -> list[str]:
    """The labels of the select `name` on the page."""
    html = response.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select is not None, name
    return re.findall(r"<option [^>]*>([^<]*)</option>", select.group(1))


@pytest.fixture
def lists(lead_department, category, enterprise, leader):
    """The objects the problem list's selects show."""


def test_a_renamed_department_shows_at_once(client_as, office, lists, lead_department):
    client = client_as(office)
    assert "区生态环境分局" in options(client.get(LIST_URL), "lead_department")

    lead_department.name = "区生态环境局"
    lead_department.save()

    shown = options(client.get(LIST_URL), "lead_department")
    assert "区生态环境局" in shown
    assert "区生态环境分局" not in shown


def test_a_change_another_process_made_shows_at_once(client_as, office, lists, lead_department):
    """Another process's save writes a new version in the shared cache; this process's
    list, read under the old one, is read again (no signal reaches this process)."""
    client = client_as(office)
    client.get(LIST_URL)
    Department.objects.filter(pk=lead_department.pk).update(name="区生态环境局")
    assert "区生态环境分局" in options(client.get(LIST_URL), "lead_department")  # kept

    cache.set(choices._version_key(Department), "another process's version", timeout=None)

    assert "区生态环境局" in options(client.get(LIST_URL), "lead_department")


def test_the_version_is_written_again_when_the_transaction_commits(
    django_capture_on_commit_callbacks, lists, lead_department
):
    """A process that read the rows before the commit kept them under a version that is
    gone once the transaction commits."""
    key = choices._version_key(Department)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        lead_department.save()
        during = cache.get(key)
    assert len(callbacks) == 1
    assert cache.get(key) not in (None, during)


def test_a_leader_who_loses_the_role_leaves_the_leader_lists_at_once(client_as, office, lists):
    other = make_user("deputy", Role.LEADER)
    other.first_name = "副区长"
    other.save()
    client = client_as(office)
    assert any("副区长" in label for label in options(client.get(LIST_URL), "responsible_leader"))
    assert any("副区长" in label for label in options(client.get(DASHBOARD_URL), "leader"))

    profile_set_role(user=other, role=Role.OFFICE)

    assert not any("副区长" in label for label in options(client.get(LIST_URL), "district_leader"))
    assert not any("副区长" in label for label in options(client.get(DASHBOARD_URL), "leader"))


def test_a_leader_title_change_shows_at_once(client_as, office, lists, leader):
    client = client_as(office)
    client.get(LIST_URL)
    Profile.objects.filter(user=leader).update(title="区长")
    choices.invalidate(Profile)  # as a save does (post_save)
    assert any("区长" in label for label in options(client.get(LIST_URL), "responsible_leader"))


def test_a_category_is_named_in_each_readers_language(client_as, office, lists):
    client = client_as(office)  # English
    assert "Environment" in options(client.get(LIST_URL), "category")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    assert "环保" in options(client.get(LIST_URL), "category")
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    assert "Environment" in options(client.get(LIST_URL), "category")


def test_a_department_head_sees_only_their_department_after_the_office(
    client_as, office, lists, lead_department, other_department
):
    """The dashboard's department select is the head's own, never the cached list."""
    head = make_user("head", Role.DEPARTMENT_HEAD, department=other_department)
    assert len(options(client_as(office).get(DASHBOARD_URL), "department")) == 3  # ---, 2

    shown = options(client_as(head).get(DASHBOARD_URL), "department")

    assert shown == ["---------", "区人力资源和社会保障局"]


def test_the_lists_are_read_once_while_nothing_changes(
    client_as, office, lists, warm_calendar, django_assert_num_queries
):
    client = client_as(office)
    client.get(LIST_URL)
    # The four lists (departments, categories, leaders, enterprises) are kept: 1 session,
    # 2 user, 3 profile, 4 count (no problems: no page to read), and the two-factor device.
    with django_assert_num_queries(4 + TWO_FACTOR_DEVICE):
        client.get(LIST_URL)


def test_without_a_shared_cache_the_lists_are_read_each_time(
    settings, client_as, office, lists, warm_calendar, django_assert_num_queries
):
    settings.LIAISON_CHOICES_CACHE = False
    client = client_as(office)
    client.get(LIST_URL)
    # The same and the four lists, each read once (both leader selects show one list).
    with django_assert_num_queries(8 + TWO_FACTOR_DEVICE):
        client.get(LIST_URL)


def test_a_cache_that_does_not_answer_reads_the_lists(
    monkeypatch, client_as, office, lists, lead_department
):
    client = client_as(office)
    client.get(LIST_URL)

    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    monkeypatch.setattr(choices.cache, "get_many", down)
    monkeypatch.setattr(choices.cache, "set", down)
    lead_department.name = "区生态环境局"
    lead_department.save()  # the edit goes through
    assert "区生态环境局" in options(client.get(LIST_URL), "lead_department")


def test_a_page_reads_the_versions_once(monkeypatch, client_as, office, lists):
    """Every list on a page is checked with one round trip to the cache."""
    client = client_as(office)
    client.get(LIST_URL)
    client.get(DASHBOARD_URL)
    calls = []
    read = choices.cache.get_many

    def get_many(keys, *args, **kwargs):
        calls.append(sorted(keys))
        return read(keys, *args, **kwargs)

    monkeypatch.setattr(choices.cache, "get_many", get_many)
    client.get(LIST_URL)
    client.get(DASHBOARD_URL)
    assert len(calls) == 2


# --- the selects' options written once per list (liaison.forms_rendering.ListSelect) ---


def selected(response, name: str) -> list[str]:
    html = response.content.decode()
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    return re.findall(r"<option [^>]*selected>([^<]*)</option>", select.group(1))


def test_a_kept_select_shows_each_change_at_once(client_as, office, lists, lead_department):
    """The options kept as written: a renamed department, another language, another
    selected value each show in the next request."""
    client = client_as(office)
    assert "区生态环境分局" in options(client.get(LIST_URL), "lead_department")
    lead_department.name = "区生态环境局"
    lead_department.save()
    assert "区生态环境局" in options(client.get(LIST_URL), "lead_department")

    assert options(client.get(LIST_URL), "category")[1] == "Environment"
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "zh-hans"
    assert options(client.get(LIST_URL), "category")[1] == "环保"

    assert selected(client.get(LIST_URL), "lead_department") == ["---------"]
    chosen = client.get(LIST_URL, {"lead_department": lead_department.pk})
    assert selected(chosen, "lead_department") == ["区生态环境局"]
    assert selected(client.get(LIST_URL), "lead_department") == ["---------"]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize(
    "data",
    [
        {},
        {"lead_department": "LEAD"},
        {"lead_department": "999999", "category": "x"},
        {"responsible_leader": "LEADER", "district_leader": "LEADER"},
        {"enterprise": "ENTERPRISE", "category": "CATEGORY"},
    ],
)
def test_a_kept_select_is_what_djangos_templates_write(
    lists, lead_department, category, enterprise, leader, data, language
):
    ids = {
        "LEAD": lead_department.pk,
        "LEADER": leader.pk,
        "ENTERPRISE": enterprise.pk,
        "CATEGORY": category.pk,
    }
    data = {name: str(ids.get(value, value)) for name, value in data.items()}
    with override(language):
        for _ in range(2):  # written, then kept
            form = ProblemFilter(data).form
            form.is_valid()
            for name in ["lead_department", "category", "enterprise", "responsible_leader"]:
                assert isinstance(form.fields[name].widget, ListSelect)
                shown = form[name].as_widget(attrs={"class": "form-select"})
                renderer, form.renderer = form.renderer, DjangoTemplates()
                assert shown == form[name].as_widget(attrs={"class": "form-select"})
                form.renderer = renderer
    assert forms_rendering._options  # the kept options were used
