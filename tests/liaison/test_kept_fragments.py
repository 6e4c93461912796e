"""The menus every page shows, rendered once per process and kept (liaison_tags.include_kept):
each role, language, page and URL prefix gets its own, and a kept copy is what rendering
it afresh would write."""

from __future__ import annotations

import pytest
from django.template import Context, RequestContext, Template
from django.template.loader import get_template, render_to_string
from django.test import RequestFactory
from django.urls import reverse, set_script_prefix
from django.utils import translation

from liaison import permissions
from liaison.models import Role
from liaison.templatetags import liaison_tags

pytestmark = pytest.mark.django_db

MAIN_MENU = "liaison/includes/main_menu.html"
USER_LINKS = "liaison/includes/user_menu_links.html"
HEAD_ASSETS = "liaison/includes/head_assets.html"
ROLES = [
    Role.OFFICE,
    Role.ENTERPRISE,
    Role.LEADER,
    Role.DEPARTMENT_HEAD,
    Role.DEPARTMENT_STAFF,
    Role.ADMIN,
    Role.PRINCIPAL,
]


@pytest.fixture(autouse=True)
def nothing_kept():
    liaison_tags._kept.clear()
    yield
    liaison_tags._kept.clear()


def fresh(template: str, language: str, **values) -> str:
    """The fragment as rendering it now writes it, nothing kept."""
    with translation.override(language):
        return render_to_string(template, values)


def page(client, url: str, language: str, **extra) -> str:
    client.cookies["django_language"] = language
    response = client.get(url, **extra)
    assert response.status_code == 200
    return response.content.decode()


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_each_role_gets_its_own_menus_whoever_was_served_before(client, district, language):
    for role in ROLES:
        user = district.user(role)
        client.force_login(user)
        html = page(client, reverse("home"), language)
        assert fresh(MAIN_MENU, language, role=role, url_name="home", app_name="") in html
        can_use_admin = user.is_staff and role in (Role.OFFICE, Role.ADMIN)
        links = fresh(USER_LINKS, language, role=role, can_use_admin=can_use_admin)
        assert links in html
        assert fresh(HEAD_ASSETS, language) in html
        assert "{#" not in html and "#}" not in html and "{%" not in html
    # What tells them apart, read in English.
    client.force_login(district.user(Role.ENTERPRISE))
    html = page(client, reverse("home"), "en")
    assert "Submit a problem" in html and "Triage" not in html and "Audit trail" not in html
    client.force_login(district.user(Role.OFFICE))
    html = page(client, reverse("home"), "en")
    assert "Triage" in html and "Audit trail" in html and "Submit a problem" not in html


def test_a_menu_kept_in_one_language_is_not_shown_in_the_other(client, district):
    client.force_login(district.user(Role.OFFICE))
    chinese = page(client, reverse("home"), "zh-hans")
    english = page(client, reverse("home"), "en")
    assert fresh(MAIN_MENU, "zh-hans", role=Role.OFFICE, url_name="home", app_name="") in chinese
    assert fresh(MAIN_MENU, "en", role=Role.OFFICE, url_name="home", app_name="") in english
    assert ">All problems</a>" in english and ">All problems</a>" not in chinese


def test_the_page_one_is_on_is_marked_on_each_page(client, district):
    client.force_login(district.user(Role.OFFICE))
    listing = page(client, reverse("issues:list"), "en")
    triage = page(client, reverse("issues:triage"), "en")
    active_list = f'<a class="nav-link active" href="{reverse("issues:list")}">All problems</a>'
    active_triage = f'<a class="nav-link active" href="{reverse("issues:triage")}">Triage</a>'
    assert active_list in listing and active_triage not in listing
    assert active_triage in triage and active_list not in triage


def test_links_follow_the_url_prefix_the_site_is_served_under():
    """Served under a prefix (SCRIPT_NAME, which sets Django's script prefix), the links
    carry it; a copy kept for one prefix is not served under another."""
    tag = Template(
        '{% load liaison_tags %}{% include_kept "liaison/includes/main_menu.html" '
        'role="office" url_name="home" app_name="" %}'
    )
    try:
        set_script_prefix("/liaison/")
        under_prefix = tag.render(Context())
    finally:
        set_script_prefix("/")
    at_root = tag.render(Context())
    assert 'href="/liaison/problems/triage/"' in under_prefix
    assert 'href="/problems/triage/"' in at_root and 'href="/liaison/' not in at_root


def test_the_kept_fragments_are_bounded_and_still_right_past_the_bound(
    client, district, monkeypatch
):
    monkeypatch.setattr(liaison_tags, "KEPT_MAX", 3)
    for role in ROLES:
        client.force_login(district.user(role))
        html = page(client, reverse("home"), "en")
        assert fresh(MAIN_MENU, "en", role=role, url_name="home", app_name="") in html
    assert len(liaison_tags._kept) == 3


@pytest.mark.parametrize("template", [MAIN_MENU, USER_LINKS, HEAD_ASSETS])
@pytest.mark.parametrize("role", [*ROLES, None])
def test_the_kept_templates_read_nothing_but_their_values(district, template, role):
    """Rendered with the whole page context (request, user, everything the context
    processors add), each writes what it writes with its values alone: it reads nothing
    its key leaves out."""
    user = district.user(role)
    request = RequestFactory().get(reverse("issues:list"))
    request.user = user
    values = {
        "role": permissions.role_of(user),
        "can_use_admin": permissions.can_use_admin(user),
        "url_name": "list",
        "app_name": "issues",
    }
    with translation.override("en"):
        alone = get_template(template).template.render(Context(values))
        with_everything = get_template(template).template.render(
            RequestContext(request, {"user": user, "second_step": False, **values})
        )
    assert alone == with_everything
