"""Merging shared problems (并单): the office merges other enterprises' problems into a
main one; they follow it, each enterprise evaluates; unmerge; the sweep and the figures
count the group once; possible duplicates at triage."""

from __future__ import annotations

import datetime as dt
import random

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from issues import deadlines, metrics, selectors, similarity, workflow
from issues.models import OPEN_STATUSES, EventKind, Problem, Satisfaction, Status
from liaison.models import Enterprise, Role
from tests.queries import JOIN_ORDER
from tests.twofactor import TWO_FACTOR_DEVICE

from .conftest import NOW, copy_problems, credit_code, make_user, snapshot

LATER = NOW + dt.timedelta(hours=5)


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def third_enterprise_user(db):
    firm = Enterprise.objects.create(name="濮院毛衫织造有限公司", credit_code=credit_code(3))
    return make_user("third_enterprise_user", Role.ENTERPRISE, enterprise=firm)


@pytest.fixture
def group(make_problem, other_enterprise_user, third_enterprise_user, other_staff):
    """A main problem in progress (lead_department) and two other enterprises' problems:
    one submitted, one in progress with another lead department."""
    main = make_problem(Status.IN_PROGRESS)
    submitted = make_problem(Status.SUBMITTED, submitter=other_enterprise_user)
    led_elsewhere = make_problem(
        Status.IN_PROGRESS, submitter=third_enterprise_user, lead=other_staff
    )
    return main, submitted, led_elsewhere


def merge(office, main, *problems, **kwargs):
    return workflow.problems_merge(
        main_id=main.pk, problem_ids=[p.pk for p in problems], actor=office, now=LATER, **kwargs
    )


def fresh(problem) -> Problem:
    return Problem.objects.get(pk=problem.pk)


# --- merging ------------------------------------------------------------------------------


def test_merged_problems_follow_the_main_and_other_leads_become_co_departments(
    group, office, other_department
):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    main, submitted, led_elsewhere = fresh(main), fresh(submitted), fresh(led_elsewhere)
    for problem in (submitted, led_elsewhere):
        assert problem.merged_into == main
        assert problem.status == main.status
        assert problem.lead_department_id == main.lead_department_id
        assert problem.due_at == main.due_at
        assert problem.reference != main.reference
        assert problem.events.filter(kind=EventKind.MERGED, is_public=True).exists()
    assert list(main.co_departments.all()) == [other_department]
    assert main.events.filter(kind=EventKind.MERGED_IN, is_public=False).exists()
    assert submitted.enterprise_id != main.enterprise_id


@pytest.mark.parametrize(
    "case, message",
    [
        ("itself", "cannot be merged into itself"),
        ("chain_main_is_merged", "merges do not chain"),
        ("chain_problem_is_main", "merges do not chain"),
        ("concluded", "only problems not yet concluded"),
        ("main_concluded", "must be dispatched or in progress"),
        ("same_enterprise", "reject it as a duplicate instead"),
        ("not_office", "Only the liaison office"),
    ],
)
def test_bad_merges_are_refused_and_change_nothing(
    case, message, group, office, make_problem, lead_staff, other_enterprise_user
):
    main, submitted, led_elsewhere = group
    actor, target, into = office, submitted, main
    if case == "itself":
        target = main
    elif case == "chain_main_is_merged":
        merge(office, main, led_elsewhere)
        into = fresh(led_elsewhere)
    elif case == "chain_problem_is_main":
        merge(office, main, led_elsewhere)
        other_main = make_problem(Status.IN_PROGRESS, submitter=other_enterprise_user)
        target, into = fresh(main), other_main
        # submitted belongs to other_enterprise_user too: not involved here
    elif case == "concluded":
        target = make_problem(Status.RESOLVED, submitter=other_enterprise_user)
    elif case == "main_concluded":
        into = make_problem(Status.CLOSED, submitter=other_enterprise_user)
        target = led_elsewhere
    elif case == "same_enterprise":
        target = make_problem(Status.SUBMITTED)
    elif case == "not_office":
        actor = lead_staff
    before = [snapshot(p) for p in (into, target)]
    with pytest.raises(workflow.TransitionError, match=message):
        workflow.problems_merge(main_id=into.pk, problem_ids=[target.pk], actor=actor, now=LATER)
    assert [snapshot(p) for p in (into, target)] == before


def test_two_problems_of_one_enterprise_in_one_merge_are_refused(
    group, office, make_problem, other_enterprise_user
):
    main, submitted, _ = group
    again = make_problem(Status.SUBMITTED, submitter=other_enterprise_user)
    with pytest.raises(workflow.TransitionError, match="duplicate"):
        merge(office, main, submitted, again)
    assert fresh(submitted).merged_into is None and fresh(again).merged_into is None


def test_a_stale_page_or_a_double_click_merges_once(group, office):
    main, submitted, _ = group
    versions = {submitted.pk: submitted.version, main.pk: main.version}
    merge(office, main, submitted, expected_versions=versions)
    before = snapshot(fresh(submitted))
    with pytest.raises(workflow.TransitionError):
        merge(office, main, submitted, expected_versions=versions)
    assert snapshot(fresh(submitted)) == before
    assert fresh(submitted).events.filter(kind=EventKind.MERGED).count() == 1


# --- following the main problem -----------------------------------------------------------


def answer(main, lead_staff, now=LATER + dt.timedelta(hours=1)):
    return workflow.problem_resolve(
        problem_id=main.pk, actor=lead_staff, answer="已协调电力公司错峰供电。", now=now
    )


def test_the_answer_reaches_every_enterprise_and_each_evaluates(
    group, office, lead_staff, enterprise_user, other_enterprise_user, third_enterprise_user
):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    answer(main, lead_staff)
    for problem in (submitted, led_elsewhere):
        problem = fresh(problem)
        assert problem.status == Status.RESOLVED
        assert problem.answer == "已协调电力公司错峰供电。"
        assert problem.autoclose_at is not None
    workflow.problem_evaluate(
        problem_id=main.pk, actor=enterprise_user, satisfaction=Satisfaction.SATISFIED
    )
    workflow.problem_evaluate(
        problem_id=submitted.pk, actor=other_enterprise_user, satisfaction=Satisfaction.BASICALLY
    )
    assert fresh(main).status == Status.CLOSED
    assert fresh(submitted).satisfaction == Satisfaction.BASICALLY
    # Closing the main one closes nobody else: the third enterprise still evaluates.
    assert fresh(led_elsewhere).status == Status.RESOLVED
    # Only the enterprise of a problem evaluates it.
    with pytest.raises(workflow.TransitionError):
        workflow.problem_evaluate(
            problem_id=led_elsewhere.pk,
            actor=enterprise_user,
            satisfaction=Satisfaction.SATISFIED,
        )


def test_departments_act_on_the_main_problem_only(group, office, lead_staff):
    main, _, led_elsewhere = group
    merge(office, main, led_elsewhere)
    before = snapshot(fresh(led_elsewhere))
    with pytest.raises(workflow.TransitionError, match="act on the main problem"):
        workflow.problem_resolve(problem_id=led_elsewhere.pk, actor=lead_staff, answer="x")
    assert snapshot(fresh(led_elsewhere)) == before


def test_unsatisfied_on_a_merged_problem_reopens_it_on_its_own(
    group, office, lead_staff, other_enterprise_user
):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    answer(main, lead_staff)
    workflow.problem_evaluate(
        problem_id=submitted.pk,
        actor=other_enterprise_user,
        satisfaction=Satisfaction.UNSATISFIED,
        reason="我们厂的情况不同",
    )
    submitted = fresh(submitted)
    assert submitted.merged_into is None
    assert submitted.status == Status.IN_PROGRESS
    assert submitted.reopen_count == 1
    assert submitted.lead_department_id == fresh(main).lead_department_id
    # The others keep their answer.
    assert fresh(main).status == Status.RESOLVED
    assert fresh(led_elsewhere).status == Status.RESOLVED


def test_a_reopened_main_takes_back_the_merged_problems_not_yet_evaluated(
    group, office, lead_staff, enterprise_user, other_enterprise_user
):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    answer(main, lead_staff)
    workflow.problem_evaluate(
        problem_id=submitted.pk, actor=other_enterprise_user, satisfaction=Satisfaction.SATISFIED
    )
    workflow.problem_evaluate(
        problem_id=main.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.UNSATISFIED,
        reason="还没解决",
    )
    assert fresh(main).status == Status.IN_PROGRESS
    led_elsewhere = fresh(led_elsewhere)
    assert led_elsewhere.status == Status.IN_PROGRESS
    assert led_elsewhere.due_at == fresh(main).due_at
    assert led_elsewhere.events.filter(kind=EventKind.MAIN_REOPENED).exists()
    assert fresh(submitted).status == Status.CLOSED


# --- unmerge ------------------------------------------------------------------------------


def test_unmerge_restores_each_problem_as_it_was(group, office, other_department):
    main, submitted, led_elsewhere = group
    own_due = led_elsewhere.due_at
    merge(office, main, submitted, led_elsewhere)
    workflow.problem_unmerge(problem_id=submitted.pk, actor=office, now=LATER)
    workflow.problem_unmerge(problem_id=led_elsewhere.pk, actor=office, now=LATER)
    submitted, led_elsewhere = fresh(submitted), fresh(led_elsewhere)
    assert submitted.merged_into is None and submitted.status == Status.SUBMITTED
    assert submitted.lead_department is None and submitted.due_at is None
    assert led_elsewhere.status == Status.IN_PROGRESS
    assert led_elsewhere.lead_department == other_department
    assert led_elsewhere.due_at == own_due
    assert led_elsewhere.events.filter(kind=EventKind.UNMERGED).exists()


def test_unmerge_after_the_main_problem_was_answered_is_refused(group, office, lead_staff):
    main, submitted, _ = group
    merge(office, main, submitted)
    answer(main, lead_staff)
    before = snapshot(fresh(submitted))
    with pytest.raises(workflow.TransitionError, match="can no longer be undone"):
        workflow.problem_unmerge(problem_id=submitted.pk, actor=office)
    assert snapshot(fresh(submitted)) == before


def test_unmerge_of_a_problem_not_merged_is_refused(group, office):
    with pytest.raises(workflow.TransitionError, match="not merged"):
        workflow.problem_unmerge(problem_id=group[1].pk, actor=office)


# --- the sweep and the figures ------------------------------------------------------------


def test_the_sweep_escalates_the_main_problem_once_never_the_merged(group, office, people):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    late = fresh(main).due_at + dt.timedelta(days=30)
    with time_machine.travel(late, tick=False):
        result = deadlines.sweep().as_dict()
    assert result["escalated"] == 1
    assert fresh(main).escalation_level >= 1
    for problem in (submitted, led_elsewhere):
        problem = fresh(problem)
        assert problem.escalation_level == 0
        assert not problem.events.filter(kind__in=[EventKind.WARNED, EventKind.ESCALATED])


@pytest.fixture
def people(office, leader, principal, lead_head):
    return {"office": office}


def test_a_merged_group_counts_once_with_the_enterprises_affected(
    group, office, lead_staff, other_enterprise_user
):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    answer(main, lead_staff)
    workflow.problem_evaluate(
        problem_id=submitted.pk, actor=other_enterprise_user, satisfaction=Satisfaction.SATISFIED
    )
    figures = metrics.summarise(Problem.objects.all())
    assert figures["received"] == 1
    assert figures["accepted"] == 1
    assert figures["concluded"] == 1
    assert figures["affected"] == 3
    # Each enterprise's evaluation counts.
    assert figures["evaluated"] == 1 and figures["satisfied"] == 1
    handling = metrics.handling_time(Problem.objects.all())[None]
    assert handling.count == 1


def test_department_lists_show_the_main_problem_only(group, office, lead_department):
    main, submitted, led_elsewhere = group
    merge(office, main, submitted, led_elsewhere)
    assert list(selectors.department_in_progress(lead_department.pk)) == [fresh(main)]
    assert selectors.department_desk_counts(lead_department.pk)["in_progress"] == 1


# --- similarity ---------------------------------------------------------------------------


def test_bigram_similarity_finds_chinese_duplicates():
    a = similarity.bigrams("园区企业招工难问题")
    b = similarity.bigrams("企业招工困难问题")
    c = similarity.bigrams("污水管网破损")
    assert similarity.dice(a, b) > 0.6
    assert similarity.dice(a, c) == 0


def test_possible_duplicates_come_from_other_enterprises_open_problems(
    make_problem, other_enterprise_user, django_assert_num_queries
):
    open_one = make_problem(
        Status.IN_PROGRESS, submitter=other_enterprise_user, title="毛衫企业用电成本高"
    )
    make_problem(Status.IN_PROGRESS, title="毛衫企业用电成本高 同一企业")
    new = make_problem(Status.SUBMITTED, title="毛衫企业用电成本偏高")
    with django_assert_num_queries(1):
        matches = similarity.possible_duplicates(new, similarity.candidates(now=LATER))
    assert [m.problem for m in matches] == [open_one]


# The same comparison written plainly (issues.similarity before issue 18): full rows,
# every pair intersected. The optimised one must give exactly its matches and scores.
def plain_candidates(now: dt.datetime) -> list[Problem]:
    return list(
        Problem.objects.filter(
            status__in=OPEN_STATUSES,
            merged_into__isnull=True,
            created_at__gte=now - dt.timedelta(days=similarity.CANDIDATE_DAYS),
        )
        .select_related("enterprise")
        .order_by("-created_at", "-id")[: similarity.CANDIDATES]
    )


def plain_duplicates(problem, pool, threshold=similarity.THRESHOLD) -> list[tuple[int, float]]:
    def grams(p):
        return similarity.bigrams(f"{p.title}\n{p.description[: similarity.TEXT_CHARS]}")

    own = grams(problem)
    scored = [
        (similarity.dice(own, grams(other)), other)
        for other in pool
        if other.pk != problem.pk and other.enterprise_id != problem.enterprise_id
    ]
    kept = sorted((s for s in scored if s[0] >= threshold), key=lambda s: (-s[0], -s[1].pk))
    return [shown(other, score) for score, other in kept[: similarity.SHOWN]]


def shown(problem, score) -> tuple:
    """What a duplicates panel shows of a match."""
    return problem.pk, problem.reference, problem.title, problem.enterprise.name, score


def found(matches) -> list[tuple]:
    return [shown(m.problem, m.score) for m in matches]


PHRASES = [
    "毛衫企业",
    "用电成本高",
    "企业招工困难问题",
    "园区企业招工难",
    "污水管网破损",
    "环评审批慢",
    "ABC公司",
    "2025年",
    "用电增容",
    "融资难",
    "物流不畅",
    "停车难",
    "道路积水",
    "Wi-Fi 5G",
]


@pytest.fixture
def varied_pool(make_problem, lead_staff):
    """Open problems of five enterprises with varied titles and descriptions (empty ones,
    one token, ties, long descriptions differing only past TEXT_CHARS), some that are not
    candidates (merged, too old, concluded), and 12 submitted problems to compare."""
    rng = random.Random(18)
    firms = [
        Enterprise.objects.create(name=f"比对测试企业{k}", credit_code=credit_code(40 + k))
        for k in range(5)
    ]
    opened = make_problem(Status.IN_PROGRESS)
    submitted = make_problem(Status.SUBMITTED)
    long_start = "".join(rng.choice(PHRASES) for _ in range(80))[: similarity.TEXT_CHARS]

    def text() -> tuple[str, str]:
        kind = rng.randrange(6)
        title = "".join(rng.sample(PHRASES, rng.randint(1, 3)))
        if kind == 0:
            return title, ""
        if kind == 1:
            return rng.choice(["A", "用", "。", "2025"]), rng.choice(["", "。。"])
        if kind == 2:
            return title, long_start + "".join(rng.sample(PHRASES, 3))
        return title, "，".join(rng.sample(PHRASES, rng.randint(1, 6)))

    def copy(prototype, n, **changes):
        made = []
        for k in range(n):
            title, description = text()
            fields = {
                "enterprise_id": firms[k % len(firms)].pk,
                "title": title,
                "description": description,
                "created_at": NOW - dt.timedelta(minutes=rng.randint(0, 60 * 24 * 100)),
                **changes,
            }
            made += copy_problems(prototype, 1, **fields)
        return made

    copy(opened, 60)
    # The same text from two enterprises: a tie, ranked by the newer problem first.
    copy_problems(opened, 2, enterprise_id=firms[0].pk, title="毛衫企业用电成本高")
    copy_problems(opened, 1, enterprise_id=firms[1].pk, title="毛衫企业用电成本高")
    # Not candidates: merged, submitted too long ago, concluded.
    copy(opened, 3, merged_into_id=opened.pk, merged_at=NOW)
    copy(opened, 3, created_at=NOW - dt.timedelta(days=similarity.CANDIDATE_DAYS + 1))
    copy(submitted, 3)
    page = copy(submitted, 12)
    return Problem.objects.filter(pk__in=[p.pk for p in page]).select_related("enterprise")


@pytest.mark.parametrize("threshold", [similarity.THRESHOLD, 0.0, 0.6])
def test_possible_duplicates_are_exactly_the_plain_computations(varied_pool, threshold):
    page = list(varied_pool)
    expected = {p.pk: plain_duplicates(p, plain_candidates(LATER), threshold) for p in page}
    # Twice: the second time from the kept bigrams.
    for _ in range(2):
        pool = similarity.candidates(now=LATER)
        assert len(pool) == len(plain_candidates(LATER))
        assert {
            p.pk: found(similarity.possible_duplicates(p, pool, threshold=threshold)) for p in page
        } == expected
    assert any(expected.values())
    if threshold == 0.0:
        assert all(len(m) == similarity.SHOWN for m in expected.values())


def test_triage_duplicates_use_the_current_titles_and_descriptions(
    varied_pool, django_assert_num_queries
):
    page = list(varied_pool)

    def expected():
        return {p.pk: plain_duplicates(p, plain_candidates(LATER)) for p in page}

    def duplicates():
        return {pk: found(m) for pk, m in selectors.triage_duplicates(page).items()}

    with time_machine.travel(LATER, tick=False):
        with django_assert_num_queries(1):
            before = duplicates()
        assert before == expected()
        # The same candidates, a problem of the page edited: its new text is compared.
        edited = next(p for p in page if before[p.pk])
        edited.title, edited.description = "。", ""
        assert duplicates() == expected()
        assert not duplicates()[edited.pk]
        # A shown candidate edited behind the workflow's back (no version, no updated_at):
        # its new text is compared, here without a single bigram.
        problem = next(p for p in page if before[p.pk] and p != edited)
        edited_candidate = before[problem.pk][0][0]
        Problem.objects.filter(pk=edited_candidate).update(title="。", description="")
        after = duplicates()
    assert after == expected()
    assert edited_candidate not in [m[0] for m in after[problem.pk]]


# --- pages and permissions ----------------------------------------------------------------


def detail_url(problem):
    return reverse("issues:detail", kwargs={"reference": problem.reference})


def test_the_office_merges_from_the_confirm_page(client_as, group, office, other_department):
    main, _, led_elsewhere = group
    client = client_as(office)
    url = reverse("issues:merge", kwargs={"reference": led_elsewhere.reference})
    page = client.get(url, {"into": main.reference})
    assert page.status_code == 200
    assert other_department.name in page.content.decode()  # becomes a co-department
    response = client.post(
        url,
        {"into": main.reference, "version": led_elsewhere.version, "main_version": main.version},
    )
    assert response.status_code == 302
    assert fresh(led_elsewhere).merged_into == main
    # Again (double click): refused with a message, nothing changed.
    before = snapshot(fresh(led_elsewhere))
    client.post(url, {"into": main.reference, "version": led_elsewhere.version})
    assert snapshot(fresh(led_elsewhere)) == before


@pytest.mark.parametrize(
    "persona", ["lead_staff", "leader", "enterprise_user", "other_enterprise_user"]
)
def test_only_the_office_may_merge_or_unmerge(client_as, request, group, office, persona):
    main, submitted, _ = group
    client = client_as(request.getfixturevalue(persona))
    url = reverse("issues:merge", kwargs={"reference": submitted.reference})
    assert client.get(url, {"into": main.reference}).status_code == 404
    assert client.post(url, {"into": main.reference}).status_code == 404
    assert fresh(submitted).merged_into is None
    merge(office, main, submitted)
    unmerge = reverse("issues:unmerge", kwargs={"reference": submitted.reference})
    assert client.post(unmerge).status_code == 404
    assert fresh(submitted).merged_into is not None


def test_each_enterprise_sees_its_own_problem_and_the_main_answer_not_the_others(
    client_as, group, office, lead_staff, enterprise_user, other_enterprise_user
):
    main, submitted, _ = group
    merge(office, main, submitted)
    answer(main, lead_staff)
    client = client_as(other_enterprise_user)
    page = client.get(detail_url(submitted))
    assert page.status_code == 200
    text = page.content.decode()
    assert "已协调电力公司错峰供电。" in text and main.reference in text
    assert page.context["actions"].get("evaluate") is not None
    # The main problem itself is another enterprise's: 404.
    assert client.get(detail_url(main)).status_code == 404
    assert client_as(enterprise_user).get(detail_url(submitted)).status_code == 404


def test_a_department_not_involved_does_not_see_the_group(client_as, group, office, co_staff):
    main, submitted, _ = group
    merge(office, main, submitted)
    client = client_as(co_staff)
    assert client.get(detail_url(main)).status_code == 404
    assert client.get(detail_url(submitted)).status_code == 404


@pytest.mark.parametrize("merged", [1, 2])
def test_the_merged_problem_page_is_constant_in_queries(
    client_as,
    group,
    office,
    other_enterprise_user,
    warm_calendar,
    django_assert_num_queries,
    merged,
):
    main, submitted, led_elsewhere = group
    merge(office, main, *([submitted, led_elsewhere][:merged]))
    client = client_as(other_enterprise_user)
    # 1 session, 2 user, 3 profile, 4 the problem if visible (the 404 check) with its
    # relations, 5 co-departments, 6 events, 7 attachments, 8 the main problem (read only
    # for a merged problem: joined to every page's query it slowed the planning of all),
    # 9 the main problem's public events.
    with django_assert_num_queries(9 + JOIN_ORDER):
        client.get(detail_url(submitted))
    client = client_as(office)
    # the office on the main problem: the official page plus the merged problems (one
    # query, only as some are merged: the problem's query says so).
    with django_assert_num_queries(9 + TWO_FACTOR_DEVICE + JOIN_ORDER):
        client.get(detail_url(main))
