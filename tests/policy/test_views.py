"""Common-problem pages: who opens what (404 for the others), what an enterprise sees
(never another enterprise's problems), the forms' messages, the queries."""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from liaison import workdays
from policy import services
from policy.models import CommonProblem, CommonProblemLink
from tests.issues.conftest import messages_of

pytestmark = pytest.mark.django_db


def page_url(common_problem):
    return reverse("policy:page", args=[common_problem.pk])


def published_url(common_problem):
    return reverse("policy:published_detail", args=[common_problem.pk])


@pytest.mark.parametrize(
    ("persona", "status"),
    [
        ("office", 200),
        ("leader", 200),
        ("principal", 200),
        ("lead_staff", 200),  # its lead department
        ("lead_head", 200),
        ("other_staff", 404),  # nothing to do with it
        ("co_staff", 404),
        ("enterprise_user", 404),  # enterprises see the published page only
        ("no_profile_user", 404),
    ],
)
def test_who_opens_the_page(client, request, common_problem, persona, status):
    client.force_login(request.getfixturevalue(persona))
    assert client.get(page_url(common_problem)).status_code == status


def test_a_department_involved_in_a_measure_sees_it(
    client, office, common_problem, other_staff, other_department
):
    services.measure_add(
        actor=office,
        common_problem_id=common_problem.pk,
        title="统一收运",
        issuing_body="区生态环境分局",
        issued_on=workdays.local_date(timezone.now()),
        departments=[other_department],
    )
    client.force_login(other_staff)
    response = client.get(page_url(common_problem))
    assert response.status_code == 200
    # It does not handle the linked problems: it sees none of them, only the counts.
    assert response.context["links"] == []
    assert response.context["affected"]["total"] == 2
    assert client.get(reverse("policy:index")).context["common_problems"] == [common_problem]


def test_the_page_shows_enterprises_affected_and_problems(client, office, common_problem):
    client.force_login(office)
    response = client.get(page_url(common_problem))
    assert response.context["affected"]["total"] == 2
    assert len(response.context["links"]) == 2
    assert "嘉禾精密机械有限公司" in response.content.decode()


def _page_queries(client, common_problem, django_assert_num_queries):
    # session, user, two-factor device, profile; the common problem with its lead
    # department, leader, category; its visible links, measures (+ departments),
    # milestones, events; enterprises by town, by industry; problems by state.
    with django_assert_num_queries(4 + 1 + 5 + 3):
        response = client.get(page_url(common_problem))
    assert response.status_code == 200
    return response


def test_the_page_queries_are_constant(
    client, office, common_problem, make_problem, enterprise_user, django_assert_num_queries
):
    client.force_login(office)
    _page_queries(client, common_problem, django_assert_num_queries)
    more = [make_problem("dispatched", submitter=enterprise_user) for _ in range(3)]
    services.common_problem_link(actor=office, common_problem_id=common_problem.pk, problems=more)
    for n in range(2):
        services.milestone_add(
            actor=office,
            common_problem_id=common_problem.pk,
            title=f"节点 {n}",
            due_date=workdays.local_date(timezone.now()) + dt.timedelta(days=10),
        )
    response = _page_queries(client, common_problem, django_assert_num_queries)
    assert len(response.context["links"]) == 5


def test_the_list_queries_are_constant(
    client, office, common_problem, category, lead_department, django_assert_num_queries
):
    client.force_login(office)
    # session, user, two-factor device, profile; the filter's leaders, departments,
    # categories; the rows.
    with django_assert_num_queries(8):
        response = client.get(reverse("policy:index"))
    for n in range(3):
        services.common_problem_create(
            actor=office,
            title=f"共性问题 {n}",
            description="d",
            category=category,
            lead_department=lead_department,
        )
    with django_assert_num_queries(8):
        response = client.get(reverse("policy:index"))
    assert len(response.context["common_problems"]) == 4


def test_the_list_filters(
    client, office, common_problem, category, lead_department, other_department
):
    services.common_problem_create(
        actor=office,
        title="用工难",
        description="招工难",
        category=category,
        lead_department=other_department,
    )
    client.force_login(office)
    rows = client.get(reverse("policy:index"), {"q": "危废"}).context["common_problems"]
    assert [c.title for c in rows] == ["小批量危废处置难"]
    rows = client.get(reverse("policy:index"), {"department": other_department.pk}).context[
        "common_problems"
    ]
    assert [c.title for c in rows] == ["用工难"]
    rows = client.get(reverse("policy:index"), {"status": "closed"}).context["common_problems"]
    assert rows == []


# --- enterprises -----------------------------------------------------------------------


def test_an_enterprise_sees_published_ones_only(client, enterprise_user, common_problem):
    client.force_login(enterprise_user)
    assert client.get(reverse("policy:published_list")).context["common_problems"] == []
    assert client.get(published_url(common_problem)).status_code == 404


def test_an_enterprise_never_sees_another_enterprises_problem_through_it(
    client, published, enterprise_user, other_enterprise_user, two_problems
):
    client.force_login(enterprise_user)
    response = client.get(published_url(published))
    body = response.content.decode()
    assert [link.problem for link in response.context["own_links"]] == [two_problems[0]]
    assert two_problems[1].reference not in body
    assert "南湖新材料" not in body  # the other enterprise's name
    assert "嘉禾精密机械" not in body or two_problems[0].reference in body
    # Nor the office's own title and description, nor the linked problems' page.
    assert published.description not in body
    assert client.get(page_url(published)).status_code == 404
    assert client.get(reverse("issues:detail", args=[two_problems[1].reference])).status_code == 404


def test_published_pages_queries(client, enterprise_user, published, django_assert_num_queries):
    client.force_login(enterprise_user)
    # session, user, profile (no two-factor device for an enterprise without one...);
    # the rows.
    with django_assert_num_queries(4):
        response = client.get(reverse("policy:published_list"))
    assert response.context["common_problems"][0].concerns_us
    # the common problem, its measures, milestones; the enterprise's own links.
    with django_assert_num_queries(3 + 4):
        client.get(published_url(published))


def test_cosigning_from_the_page_and_a_second_click(client, published, db):
    from liaison.models import Enterprise, Role
    from tests.issues.conftest import credit_code, make_user

    third = Enterprise.objects.create(name="秀水化工有限公司", credit_code=credit_code(3))
    user = make_user("third", Role.ENTERPRISE, enterprise=third)
    client.force_login(user)
    url = reverse("policy:cosign", args=[published.pk])
    response = client.post(url, {"note": "也有漆渣"}, follow=True)
    (link,) = CommonProblemLink.objects.filter(cosigned_by=third)
    assert messages_of(response)[0][0] == "success"
    assert link.problem.reference in messages_of(response)[0][1]
    response = client.post(url, {"note": ""}, follow=True)
    assert messages_of(response) == [
        (
            "info",
            "Your enterprise has already said this concerns it too: its problem "
            f"{link.problem.reference} follows it.",
        )
    ]
    assert CommonProblemLink.objects.filter(cosigned_by=third).count() == 1


# --- the office's forms ------------------------------------------------------------------


def test_creating_from_references(client, office, category, lead_department, two_problems):
    client.force_login(office)
    references = " ".join(p.reference for p in two_problems)
    response = client.post(
        reverse("policy:create"),
        {
            "title": "危废处置难",
            "description": "多家企业反映",
            "category": category.pk,
            "lead_department": lead_department.pk,
            "references": references + " 2099-99999",
        },
    )
    assert response.status_code == 200
    assert "2099-99999" in response.content.decode()
    assert not CommonProblem.objects.exists()
    response = client.post(
        reverse("policy:create"),
        {
            "title": "危废处置难",
            "description": "多家企业反映",
            "category": category.pk,
            "lead_department": lead_department.pk,
            "references": references,
        },
    )
    common_problem = CommonProblem.objects.get()
    assert response.status_code == 302
    assert common_problem.links.count() == 2


def test_publishing_with_a_name_warns_then_publishes_when_confirmed(client, office, common_problem):
    client.force_login(office)
    url = reverse("policy:publish", args=[common_problem.pk])
    data = {
        "version": common_problem.version,
        "published_title": "危废处置难",
        "published_text": "南湖新材料科技等企业反映漆渣无处处置。",
    }
    response = client.post(url, data)
    assert response.status_code == 200
    assert response.context["names"] == ["南湖新材料科技有限公司"]
    assert not CommonProblem.objects.get().published
    response = client.post(url, {**data, "confirm_names": "on"})
    assert response.status_code == 302
    assert CommonProblem.objects.get().published


def test_a_bad_link_on_the_measure_form_is_a_message(client, office, common_problem):
    client.force_login(office)
    response = client.post(
        reverse("policy:measure_add", args=[common_problem.pk]),
        {
            "title": "方案",
            "issuing_body": "区生态环境分局",
            "issued_on": workdays.local_date(timezone.now()).isoformat(),
            "url": "javascript:alert(1)",
        },
        follow=True,
    )
    assert messages_of(response) == [
        ("error", "The link must be a web address starting with http:// or https://.")
    ]
    assert not common_problem.measures.exists()


def test_the_measure_file_is_downloaded_by_those_who_may(
    client, office, published, enterprise_user, other_staff, settings, tmp_path
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    settings.MEDIA_ROOT = tmp_path
    measure = services.measure_add(
        actor=office,
        common_problem_id=published.pk,
        title="方案",
        issuing_body="区生态环境分局",
        issued_on=workdays.local_date(timezone.now()),
        upload=SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%x\n"),
    )
    url = reverse("policy:measure_download", args=[measure.pk])
    client.force_login(enterprise_user)
    assert client.get(url).status_code == 200  # published
    client.force_login(other_staff)
    assert client.get(url).status_code == 404  # not its common problem


def test_the_enterprise_file_lists_linked_common_problems(
    client, office, enterprise_user, published
):
    file_url = reverse("service:enterprise_file", args=[enterprise_user.profile.enterprise_id])
    client.force_login(office)
    assert published.title in client.get(file_url).content.decode()
    client.force_login(enterprise_user)
    body = client.get(file_url).content.decode()
    assert published.published_title in body
    assert reverse("policy:published_detail", args=[published.pk]) in body


def test_candidates_page(client, office, two_problems):
    client.force_login(office)
    response = client.get(reverse("policy:candidates"))
    assert len(response.context["clusters"]) == 1
    assert reverse("policy:create") + "?references=" in response.content.decode()


def test_editing_from_a_stale_page_is_refused(client, office, common_problem, category, leader):
    client.force_login(office)
    url = reverse("policy:edit", args=[common_problem.pk])
    data = {
        "title": "危废处置难（修订）",
        "description": "多家企业反映",
        "category": category.pk,
        "lead_department": common_problem.lead_department_id,
        "responsible_leader": leader.pk,
        "version": common_problem.version,
    }
    assert client.post(url, data).status_code == 302
    response = client.post(url, {**data, "title": "又改了"})
    assert response.status_code == 200
    assert "changed by someone else" in response.content.decode()
    assert CommonProblem.objects.get().title == "危废处置难（修订）"


def test_status_milestone_and_unlink_forms(client, office, common_problem, two_problems):
    client.force_login(office)
    response = client.post(
        reverse("policy:status", args=[common_problem.pk]),
        {"version": common_problem.version, "status": "in_progress", "note": "起草方案"},
        follow=True,
    )
    assert messages_of(response) == [("success", "The status was changed.")]
    due = workdays.local_date(timezone.now()) + dt.timedelta(days=20)
    client.post(
        reverse("policy:milestone_add", args=[common_problem.pk]),
        {"title": "确定收运单位", "due_date": due.isoformat()},
        follow=True,
    )
    milestone = common_problem.milestones.get()
    response = client.post(
        reverse("policy:milestone_done", args=[milestone.pk]), {"done_date": ""}, follow=True
    )
    assert messages_of(response) == [("success", "The milestone was marked done.")]
    response = client.post(
        reverse("policy:unlink", args=[common_problem.pk, two_problems[0].pk]), follow=True
    )
    assert messages_of(response) == [("success", "The problem was unlinked.")]
    kinds = set(common_problem.events.values_list("kind", flat=True))
    assert {"status", "milestone", "milestone_done", "unlinked"} <= kinds


def test_a_department_cannot_use_the_office_forms(client, lead_staff, common_problem):
    client.force_login(lead_staff)
    assert client.get(reverse("policy:edit", args=[common_problem.pk])).status_code == 404
    assert client.get(reverse("policy:publish", args=[common_problem.pk])).status_code == 404
    assert client.get(reverse("policy:candidates")).status_code == 404
    assert client.get(reverse("policy:create")).status_code == 404


def test_the_search_on_the_page_finds_unlinked_problems(
    client, office, common_problem, make_problem, enterprise_user
):
    other = make_problem("dispatched", submitter=enterprise_user, title="漆渣运输车辆进出难")
    client.force_login(office)
    response = client.get(page_url(common_problem), {"q": "漆渣"})
    assert response.context["found"] == [other]
    response = client.get(page_url(common_problem), {"q": other.reference})
    assert response.context["found"] == [other]


def test_the_candidates_page_queries(
    client, office, two_problems, make_problem, enterprise_user, django_assert_num_queries
):
    client.force_login(office)
    # session, user, two-factor device, profile; the pool of open problems not linked.
    with django_assert_num_queries(5):
        client.get(reverse("policy:candidates"))
    for _ in range(3):
        make_problem("dispatched", submitter=enterprise_user, title="危废处置渠道不畅")
    with django_assert_num_queries(5):
        response = client.get(reverse("policy:candidates"))
    assert len(response.context["clusters"][0].problems) == 5


def test_the_admin_lists_common_problems(client, common_problem):
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password=None)
    client.force_login(admin)
    assert client.get(reverse("admin:policy_commonproblem_changelist")).status_code == 200
    url = reverse("admin:policy_commonproblem_change", args=[common_problem.pk])
    assert client.get(url).status_code == 200


def test_the_admin_leaves_status_and_publication_to_the_services(client, published):
    """Changed in the admin, they would skip the timeline event and the publishing checks."""
    from django.contrib.auth import get_user_model

    admin = get_user_model().objects.create_superuser("root", password=None)
    client.force_login(admin)
    url = reverse("admin:policy_commonproblem_change", args=[published.pk])
    response = client.get(url)
    form = response.context["adminform"].form
    assert {"title", "description", "lead_department"} <= set(form.fields)
    assert not {"status", "published", "published_title", "published_text"} & set(form.fields)
    (milestones,) = [
        inline.formset
        for inline in response.context["inline_admin_formsets"]
        if inline.formset.prefix == "milestones"
    ]
    assert "done_date" not in milestones.empty_form.fields  # ticked by milestone_done
