"""Common-problem pages: the office's list, page and forms; candidates; what enterprises
see once published, and their "this concerns us too". Thin: load with a permission
check, call one service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Q
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from issues import attachments as files
from issues.selectors import visible_to as problems_visible_to
from liaison import permissions, workdays
from liaison.downloads import stored_file_download
from liaison.middleware import accepts_uploads
from liaison.pages import form_errors_to_messages, role_required

from . import access, candidates, publishing, selectors, services
from . import forms as policy_forms
from .filters import CommonProblemFilter
from .models import CommonProblem, PolicyMeasure, PolicyMilestone

# Problems found by the page's search (reference or text).
SEARCH_LIMIT = 20


def _load(request, pk: int) -> CommonProblem:
    """The common problem if the user may see it, else 404 (never 403)."""
    return get_object_or_404(selectors.visible_to(request.user), pk=pk)


def _back_to(pk: int):
    return redirect("policy:page", pk=pk)


def _call(request, service, success: str, **kwargs):
    try:
        result = service(actor=request.user, **kwargs)
    except services.PolicyError as error:
        messages.error(request, error.message)
        return None
    messages.success(request, success)
    return result if result is not None else True


def _initial(common_problem: CommonProblem) -> dict:
    return {
        "title": common_problem.title,
        "description": common_problem.description,
        "category": common_problem.category_id,
        "lead_department": common_problem.lead_department_id,
        "responsible_leader": common_problem.responsible_leader_id,
        "version": common_problem.version,
    }


# --- the office, leaders, departments ----------------------------------------------------


@role_required(access.can_see_common_problems)
@require_GET
def common_problem_list(request):
    rows = selectors.list_rows(selectors.visible_to(request.user))
    common_filter = CommonProblemFilter(request.GET or None, queryset=rows)
    return render(
        request,
        "policy/list.html",
        {
            "filter": common_filter,
            "common_problems": list(common_filter.qs[:200]),
            "can_manage": access.can_manage_common_problems(request.user),
        },
    )


@role_required(access.can_manage_common_problems)
@require_http_methods(["GET", "POST"])
def common_problem_create(request):
    initial = {"references": request.GET.get("references", "")[:3000]}
    form = policy_forms.CreateForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problems = services.problems_by_reference(form.reference_list())
            common_problem = services.common_problem_create(
                actor=request.user,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                lead_department=data["lead_department"],
                responsible_leader=data["responsible_leader"],
                problems=problems,
            )
        except services.DuplicateCommonProblem as duplicate:
            messages.info(request, duplicate.message)
            return _back_to(duplicate.common_problem.pk)
        except services.PolicyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The common problem was created."))
            return _back_to(common_problem.pk)
    return render(request, "policy/form.html", {"form": form, "creating": True})


@role_required(access.can_manage_common_problems)
@require_http_methods(["GET", "POST"])
def common_problem_edit(request, pk: int):
    common_problem = _load(request, pk)
    form = policy_forms.EditForm(request.POST or None, initial=_initial(common_problem))
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.common_problem_update(
                actor=request.user,
                common_problem_id=common_problem.pk,
                expected_version=data["version"],
                title=data["title"],
                description=data["description"],
                category=data["category"],
                lead_department=data["lead_department"],
                responsible_leader=data["responsible_leader"],
            )
        except services.PolicyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The common problem was saved."))
            return _back_to(common_problem.pk)
    return render(
        request,
        "policy/form.html",
        {"form": form, "creating": False, "common_problem": common_problem},
    )


@role_required(access.can_see_common_problems)
@require_GET
def common_problem_detail(request, pk: int):
    try:
        common_problem = selectors.page(request.user, pk)
    except CommonProblem.DoesNotExist:
        raise Http404 from None
    manage = access.can_manage_common_problems(request.user)
    work = access.can_work_on(request.user, common_problem)
    query = request.GET.get("q", "").strip()[:100]
    found = []
    if manage and query:
        linked = {link.problem_id for link in common_problem.visible_links}
        found = [
            p
            for p in problems_visible_to(request.user)
            .filter(Q(reference=query) | Q(title__icontains=query))
            .select_related("enterprise")
            .order_by("-created_at", "-pk")[:SEARCH_LIMIT]
            if p.pk not in linked
        ]
    context = {
        "common_problem": common_problem,
        "affected": selectors.affected(common_problem),
        "status_counts": selectors.status_counts(common_problem),
        "links": common_problem.visible_links,
        "events": common_problem.recent_events,
        "can_manage": manage,
        "can_work": work,
        "query": query,
        "found": found,
        "today": workdays.local_date(timezone.now()),
    }
    if manage:
        context["status_form"] = policy_forms.StatusForm(
            initial={"version": common_problem.version, "status": common_problem.status}
        )
        context["link_form"] = policy_forms.LinkForm()
    if work:
        context["measure_form"] = policy_forms.MeasureForm()
        context["milestone_form"] = policy_forms.MilestoneForm()
    return render(request, "policy/detail.html", context)


@role_required(access.can_manage_common_problems)
@require_POST
def common_problem_status(request, pk: int):
    common_problem = _load(request, pk)
    form = policy_forms.StatusForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(pk)
    _call(
        request,
        services.common_problem_set_status,
        _("The status was changed."),
        common_problem_id=common_problem.pk,
        expected_version=form.cleaned_data["version"],
        status=form.cleaned_data["status"],
        note=form.cleaned_data["note"],
    )
    return _back_to(pk)


@role_required(access.can_manage_common_problems)
@require_POST
def common_problem_link(request, pk: int):
    common_problem = _load(request, pk)
    form = policy_forms.LinkForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(pk)
    try:
        problems = services.problems_by_reference(form.reference_list())
        added = services.common_problem_link(
            actor=request.user, common_problem_id=common_problem.pk, problems=problems
        )
    except services.PolicyError as error:
        messages.error(request, error.message)
    else:
        if added:
            messages.success(request, _("%(n)d problem(s) linked.") % {"n": added})
        else:
            messages.info(request, _("These problems were linked already."))
    return _back_to(pk)


@role_required(access.can_manage_common_problems)
@require_POST
def common_problem_unlink(request, pk: int, problem_pk: int):
    common_problem = _load(request, pk)
    _call(
        request,
        services.common_problem_unlink,
        _("The problem was unlinked."),
        common_problem_id=common_problem.pk,
        problem_id=problem_pk,
    )
    return _back_to(pk)


@role_required(access.can_see_common_problems)
@require_POST
@accepts_uploads(max_files=1, max_file_size=files.MAX_SIZE)
def measure_add(request, pk: int):
    common_problem = _load(request, pk)
    form = policy_forms.MeasureForm(request.POST, request.FILES)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(pk)
    data = form.cleaned_data
    _call(
        request,
        services.measure_add,
        _("The measure was added."),
        common_problem_id=common_problem.pk,
        title=data["title"],
        issuing_body=data["issuing_body"],
        document_number=data["document_number"],
        issued_on=data["issued_on"],
        url=data["url"],
        upload=data["attachment"],
        departments=list(data["departments"]),
    )
    return _back_to(pk)


@role_required(access.can_see_common_problems)
@require_POST
def milestone_add(request, pk: int):
    common_problem = _load(request, pk)
    form = policy_forms.MilestoneForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(pk)
    _call(
        request,
        services.milestone_add,
        _("The milestone was added."),
        common_problem_id=common_problem.pk,
        title=form.cleaned_data["title"],
        due_date=form.cleaned_data["due_date"],
    )
    return _back_to(pk)


@role_required(access.can_see_common_problems)
@require_POST
def milestone_done(request, pk: int):
    milestone = get_object_or_404(
        PolicyMilestone.objects.filter(common_problem__in=selectors.visible_to(request.user)),
        pk=pk,
    )
    form = policy_forms.MilestoneDoneForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(milestone.common_problem_id)
    _call(
        request,
        services.milestone_done,
        _("The milestone was marked done."),
        milestone_id=milestone.pk,
        done_date=form.cleaned_data["done_date"],
    )
    return _back_to(milestone.common_problem_id)


@role_required(access.can_manage_common_problems)
@require_http_methods(["GET", "POST"])
def common_problem_publish(request, pk: int):
    common_problem = _load(request, pk)
    initial = {
        "version": common_problem.version,
        "published_title": common_problem.published_title or common_problem.title,
        "published_text": common_problem.published_text or common_problem.description,
    }
    form = policy_forms.PublishForm(request.POST or None, initial=initial)
    names: list[str] = []
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            publishing.common_problem_publish(
                actor=request.user,
                common_problem_id=common_problem.pk,
                expected_version=data["version"],
                title=data["published_title"],
                text=data["published_text"],
                confirmed=data["confirm_names"],
            )
        except publishing.NamesEnterprises as warning:
            names = warning.names
        except services.PolicyError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The common problem is published to enterprises."))
            return _back_to(pk)
    return render(
        request,
        "policy/publish.html",
        {"form": form, "common_problem": common_problem, "names": names},
    )


@role_required(access.can_manage_common_problems)
@require_POST
def common_problem_unpublish(request, pk: int):
    common_problem = _load(request, pk)
    version = request.POST.get("version", "")
    _call(
        request,
        publishing.common_problem_unpublish,
        _("The common problem is no longer shown to enterprises."),
        common_problem_id=common_problem.pk,
        expected_version=int(version) if version.isdigit() else -1,
    )
    return _back_to(pk)


@role_required(access.can_manage_common_problems)
@require_GET
def candidate_list(request):
    return render(request, "policy/candidates.html", {"clusters": candidates.clusters()})


def _may_download(user, measure: PolicyMeasure) -> bool:
    if access.can_see_common_problems(user):
        return selectors.visible_to(user).filter(pk=measure.common_problem_id).exists()
    if permissions.is_enterprise_user(user):
        return selectors.published().filter(pk=measure.common_problem_id).exists()
    return False


@role_required(lambda user: access.can_see_common_problems(user) or access.can_cosign(user))
@require_GET
def measure_download(request, pk: int):
    """A measure's file, only to a user who may see its common problem."""
    measure = get_object_or_404(PolicyMeasure.objects.exclude(stored_name=""), pk=pk)
    if not _may_download(request.user, measure):
        raise Http404
    audit.record(request, Action.DOWNLOADED_ATTACHMENT, measure, label=measure.original_name)
    return stored_file_download(
        files.path_of(measure.stored_name),
        filename=measure.original_name,
        content_type=measure.content_type,
    )


# --- enterprises -----------------------------------------------------------------------


@role_required(access.can_cosign)
@require_GET
def published_list(request):
    return render(
        request,
        "policy/published_list.html",
        {"common_problems": list(selectors.published_rows(request.user)[:200])},
    )


@role_required(access.can_cosign)
@require_GET
def published_detail(request, pk: int):
    try:
        common_problem, own = selectors.published_page(request.user, pk)
    except CommonProblem.DoesNotExist:
        raise Http404 from None
    return render(
        request,
        "policy/published_detail.html",
        {
            "common_problem": common_problem,
            "own_links": own,
            "cosign_form": policy_forms.CosignForm(),
            "closed": common_problem.status == CommonProblem.Status.CLOSED,
        },
    )


@role_required(access.can_cosign)
@require_POST
def cosign(request, pk: int):
    get_object_or_404(selectors.published(), pk=pk)
    form = policy_forms.CosignForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("policy:published_detail", pk=pk)
    try:
        problem = publishing.common_problem_cosign(
            actor=request.user, common_problem_id=pk, note=form.cleaned_data["note"]
        )
    except publishing.AlreadyCosigned as already:
        messages.info(request, already.message)
    except services.PolicyError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Thank you. Your enterprise's problem %(reference)s was raised and linked; "
                "the liaison office will take it in."
            )
            % {"reference": problem.reference},
        )
    return redirect("policy:published_detail", pk=pk)


app_name = "policy"
urlpatterns = [
    path("", common_problem_list, name="index"),
    path("new/", common_problem_create, name="create"),
    path("candidates/", candidate_list, name="candidates"),
    path("<int:pk>/", common_problem_detail, name="page"),
    path("<int:pk>/edit/", common_problem_edit, name="edit"),
    path("<int:pk>/status/", common_problem_status, name="status"),
    path("<int:pk>/link/", common_problem_link, name="link"),
    path("<int:pk>/unlink/<int:problem_pk>/", common_problem_unlink, name="unlink"),
    path("<int:pk>/measures/", measure_add, name="measure_add"),
    path("<int:pk>/milestones/", milestone_add, name="milestone_add"),
    path("<int:pk>/publish/", common_problem_publish, name="publish"),
    path("<int:pk>/unpublish/", common_problem_unpublish, name="unpublish"),
    path("milestones/<int:pk>/done/", milestone_done, name="milestone_done"),
    path("measures/<int:pk>/file/", measure_download, name="measure_download"),
    path("published/", published_list, name="published_list"),
    path("published/<int:pk>/", published_detail, name="published_detail"),
    path("published/<int:pk>/cosign/", cosign, name="cosign"),
]

__all__ = ["app_name", "urlpatterns"]
