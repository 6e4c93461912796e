"""Writes of common problems: bad input refused with a message and nothing changed;
links, measures, milestones, publishing, co-signing once."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from issues import similarity
from issues.models import Problem, Status
from liaison import workdays
from policy import candidates, publishing, services
from policy.models import (
    CommonProblem,
    CommonProblemLink,
    PolicyMeasure,
)
from policy.names import enterprises_named_in
from policy.selectors import month_progress

pytestmark = pytest.mark.django_db


def today():
    return workdays.local_date(timezone.now())


def add_measure(actor, common_problem, **changes):
    fields = {
        "actor": actor,
        "common_problem_id": common_problem.pk,
        "title": "小微企业危险废物统一收运试点方案",
        "issuing_body": "区生态环境分局",
        "document_number": "秀环〔2025〕8号",
        "issued_on": today(),
        "url": "https://www.example.gov.cn/policy/8.html",
    }
    fields.update(changes)
    return services.measure_add(**fields)


def test_creating_links_problems_and_writes_the_timeline(common_problem, two_problems):
    assert set(common_problem.problems.all()) == set(two_problems)
    kinds = list(common_problem.events.values_list("kind", flat=True))
    assert kinds == ["created", "linked", "linked"]
    assert CommonProblemLink.objects.filter(linked_by__username="office").count() == 2


def test_only_the_office_creates(lead_staff, category, lead_department):
    with pytest.raises(services.PolicyError, match="Only the liaison office"):
        services.common_problem_create(
            actor=lead_staff,
            title="t",
            description="d",
            category=category,
            lead_department=lead_department,
        )
    assert not CommonProblem.objects.exists()


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "长" * 201, "Title is too long: at most 200 characters"),
        ("description", "长" * 5001, "Description is too long: at most 5000 characters"),
        ("title", "   ", "Title is required"),
    ],
)
def test_oversized_or_empty_text_is_refused(
    office, category, lead_department, field, value, message
):
    fields = {"title": "用工难", "description": "多家企业招工难。"}
    fields[field] = value
    with pytest.raises(services.PolicyError, match=message):
        services.common_problem_create(
            actor=office, category=category, lead_department=lead_department, **fields
        )
    assert not CommonProblem.objects.exists()


def test_a_leader_who_is_not_a_leader_is_refused(office, category, lead_department, lead_staff):
    with pytest.raises(services.PolicyError, match="must be a district leader"):
        services.common_problem_create(
            actor=office,
            title="t",
            description="d",
            category=category,
            lead_department=lead_department,
            responsible_leader=lead_staff,
        )


def test_linking_by_an_unknown_reference_names_it(common_problem):
    with pytest.raises(services.PolicyError, match="2099-00001"):
        services.problems_by_reference(["2099-00001"])


def test_linking_twice_adds_nothing_and_unlinking_is_on_the_timeline(
    office, common_problem, two_problems
):
    added = services.common_problem_link(
        actor=office, common_problem_id=common_problem.pk, problems=two_problems
    )
    assert added == 0
    services.common_problem_unlink(
        actor=office, common_problem_id=common_problem.pk, problem_id=two_problems[0].pk
    )
    assert common_problem.links.count() == 1
    assert common_problem.events.filter(kind="unlinked", note=two_problems[0].reference).exists()


def test_a_measure_dated_before_the_common_problem_is_refused(office, common_problem):
    # The problems were raised on 2025-09-26 (tests.issues.conftest.NOW).
    with pytest.raises(services.PolicyError, match="before the common problem began") as error:
        add_measure(office, common_problem, issued_on=dt.date(2025, 9, 1))
    assert "2025-09-26" in error.value.message
    assert not PolicyMeasure.objects.exists()
    # On the day the first problem was raised: accepted.
    add_measure(office, common_problem, issued_on=dt.date(2025, 9, 26))


def test_a_measure_in_the_future_is_refused(office, common_problem):
    with pytest.raises(services.PolicyError, match="in the future"):
        add_measure(office, common_problem, issued_on=today() + dt.timedelta(days=3))


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", "ftp://example.com/a.pdf", "www.example.com", "http://", "h" * 600],
)
def test_a_bad_link_is_refused(office, common_problem, url):
    with pytest.raises(services.PolicyError):
        add_measure(office, common_problem, url=url)
    assert not PolicyMeasure.objects.exists()


def test_a_disguised_file_is_refused_and_a_pdf_is_stored(
    office, common_problem, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    fake = SimpleUploadedFile("policy.pdf", b"MZ\x90\x00 not a pdf", content_type="application/pdf")
    with pytest.raises(services.PolicyError, match="does not contain what its name says"):
        add_measure(office, common_problem, upload=fake, url="")
    pdf = SimpleUploadedFile("方案.pdf", b"%PDF-1.4\n%test\n", content_type="application/pdf")
    measure = add_measure(office, common_problem, upload=pdf, url="")
    assert measure.original_name == "方案.pdf"
    assert (tmp_path / "attachments" / measure.stored_name).exists()


def test_the_lead_department_adds_measures_another_department_may_not(
    common_problem, lead_staff, other_staff, other_department
):
    add_measure(lead_staff, common_problem, departments=[other_department])
    with pytest.raises(services.PolicyError, match="Only the liaison office and the lead"):
        add_measure(other_staff, common_problem)


def test_milestones(office, common_problem):
    with pytest.raises(services.PolicyError, match="within five years"):
        services.milestone_add(
            actor=office,
            common_problem_id=common_problem.pk,
            title="x",
            due_date=today() - dt.timedelta(days=3),
        )
    milestone = services.milestone_add(
        actor=office,
        common_problem_id=common_problem.pk,
        title="确定收运单位",
        due_date=today() + dt.timedelta(days=30),
    )
    with pytest.raises(services.PolicyError, match="between the common problem's creation"):
        services.milestone_done(
            actor=office, milestone_id=milestone.pk, done_date=today() + dt.timedelta(days=1)
        )
    services.milestone_done(actor=office, milestone_id=milestone.pk, done_date=today())
    with pytest.raises(services.PolicyError, match="already done"):
        services.milestone_done(actor=office, milestone_id=milestone.pk, done_date=today())


def test_status_changes_are_on_the_timeline_and_a_stale_page_is_refused(office, common_problem):
    version = common_problem.version
    services.common_problem_set_status(
        actor=office,
        common_problem_id=common_problem.pk,
        expected_version=version,
        status="in_progress",
        note="方案起草中",
    )
    with pytest.raises(services.StaleCommonProblem):
        services.common_problem_set_status(
            actor=office,
            common_problem_id=common_problem.pk,
            expected_version=version,
            status="addressed",
        )
    event = common_problem.events.get(kind="status")
    assert (event.from_status, event.to_status, event.note) == ("open", "in_progress", "方案起草中")
    assert CommonProblem.objects.get().status == "in_progress"


# --- publishing ------------------------------------------------------------------------


def test_publishing_a_text_naming_an_enterprise_warns_and_changes_nothing(
    office, common_problem, enterprise
):
    # enterprise: 嘉禾精密机械有限公司; named by its short name 嘉禾精密机械.
    with pytest.raises(publishing.NamesEnterprises) as warning:
        publishing.common_problem_publish(
            actor=office,
            common_problem_id=common_problem.pk,
            expected_version=common_problem.version,
            title="危废处置难",
            text="嘉禾精密机械等企业反映漆渣无处处置。",
        )
    assert warning.value.names == [enterprise.name]
    assert "must not name enterprises" in warning.value.message
    assert not CommonProblem.objects.get().published
    # Confirmed: published, and the timeline says so.
    publishing.common_problem_publish(
        actor=office,
        common_problem_id=common_problem.pk,
        expected_version=common_problem.version,
        title="危废处置难",
        text="嘉禾精密机械等企业反映漆渣无处处置。",
        confirmed=True,
    )
    saved = CommonProblem.objects.get()
    assert saved.published and saved.published_at is not None
    assert enterprise.name in saved.events.get(kind="published").note


def test_names_are_found_by_full_and_short_name_only(enterprise, other_enterprise):
    assert enterprises_named_in("嘉禾精密机械有限公司反映") == [enterprise.name]
    assert enterprises_named_in("南湖新材料科技反映") == [other_enterprise.name]
    assert enterprises_named_in("多家企业反映危废处置难，精密机械行业尤甚") == []
    assert enterprises_named_in("") == []


def test_publishing_oversized_text_is_refused(office, common_problem):
    with pytest.raises(services.PolicyError, match="at most 5000"):
        publishing.common_problem_publish(
            actor=office,
            common_problem_id=common_problem.pk,
            expected_version=common_problem.version,
            title="危废",
            text="长" * 5001,
        )
    assert not CommonProblem.objects.get().published


# --- "this concerns us too" ------------------------------------------------------------


@pytest.fixture
def third_enterprise_user(db):
    from liaison.models import Enterprise, Role
    from tests.issues.conftest import credit_code, make_user

    third = Enterprise.objects.create(name="秀水化工有限公司", credit_code=credit_code(3))
    return make_user("third", Role.ENTERPRISE, enterprise=third)


def test_cosigning_raises_a_submission_linked_once(published, third_enterprise_user):
    problem = publishing.common_problem_cosign(
        actor=third_enterprise_user, common_problem_id=published.pk, note="我们也有漆渣"
    )
    assert problem.status == Status.SUBMITTED
    assert problem.enterprise == third_enterprise_user.profile.enterprise
    assert problem.title == "小批量危废处置难"
    assert "我们也有漆渣" in problem.description
    link = CommonProblemLink.objects.get(problem=problem)
    assert link.cosigned_by == third_enterprise_user.profile.enterprise
    # A second click: a clear message naming the first problem, nothing new.
    with pytest.raises(publishing.AlreadyCosigned, match=problem.reference):
        publishing.common_problem_cosign(
            actor=third_enterprise_user, common_problem_id=published.pk
        )
    assert Problem.objects.filter(enterprise=problem.enterprise).count() == 1
    assert published.events.filter(kind="cosigned").count() == 1


def test_the_office_is_told_of_a_cosigned_problem(published, third_enterprise_user, office):
    from notifications.models import Notification

    publishing.common_problem_cosign(actor=third_enterprise_user, common_problem_id=published.pk)
    assert Notification.objects.filter(recipient=office).exists()


def test_an_unpublished_common_problem_cannot_be_cosigned(
    common_problem, third_enterprise_user, office
):
    with pytest.raises(services.PolicyError, match="not published"):
        publishing.common_problem_cosign(
            actor=third_enterprise_user, common_problem_id=common_problem.pk
        )
    with pytest.raises(services.PolicyError, match="Only enterprise users"):
        publishing.common_problem_cosign(actor=office, common_problem_id=common_problem.pk)


# --- candidates and the month's progress ----------------------------------------------


def test_candidates_group_similar_problems_of_several_enterprises(
    make_problem, enterprise_user, other_enterprise_user, third_enterprise_user
):
    a = make_problem("in_progress", submitter=enterprise_user, title="危废处置渠道不畅")
    b = make_problem(
        "dispatched", submitter=other_enterprise_user, title="危废处置渠道不畅，请协调"
    )
    # The same enterprise twice is not a common problem; closed problems are left out.
    make_problem("closed", submitter=third_enterprise_user, title="危废处置渠道不畅")
    clusters = candidates.clusters()
    assert len(clusters) == 1
    assert {p.pk for p in clusters[0].problems} == {a.pk, b.pk}
    assert similarity.dice(similarity.bigrams("用工难"), similarity.bigrams("停车难")) == 0


def test_a_problem_merged_into_another_is_no_candidate(
    make_problem, enterprise_user, other_enterprise_user, third_enterprise_user
):
    a = make_problem("in_progress", submitter=enterprise_user, title="危废处置渠道不畅")
    b = make_problem(
        "in_progress", submitter=other_enterprise_user, title="危废处置渠道不畅，请协调"
    )
    c = make_problem("in_progress", submitter=third_enterprise_user, title="危废处置渠道不畅")
    Problem.objects.filter(pk=c.pk).update(merged_into=a, merged_at=timezone.now())
    clusters = candidates.clusters()
    assert [{p.pk for p in cluster.problems} for cluster in clusters] == [{a.pk, b.pk}]


def test_linked_problems_are_no_longer_candidates(common_problem):
    assert candidates.clusters() == []


def test_month_progress(office, common_problem, django_assert_num_queries):
    add_measure(office, common_problem)
    start = timezone.now() - dt.timedelta(days=1)
    end = timezone.now() + dt.timedelta(days=1)
    with django_assert_num_queries(1):
        rows = month_progress(start, end)
    (row,) = rows
    assert row["problems_total"] == 2
    assert row["enterprises_total"] == 2
    assert row["measures_issued"] == 1
    assert row["problems_linked"] == 2


def test_a_double_submitted_creation_makes_one(office, category, lead_department):
    fields = {
        "actor": office,
        "title": "用工难",
        "description": "多家企业招工难。",
        "category": category,
        "lead_department": lead_department,
    }
    first = services.common_problem_create(**fields)
    with pytest.raises(services.DuplicateCommonProblem) as duplicate:
        services.common_problem_create(**fields)
    assert duplicate.value.common_problem == first
    assert CommonProblem.objects.count() == 1
