"""Service pages: the office assigns commissioners, the commissioner's desk, visits and
their statistics. Those who may not see a page get a 404."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, QueryDict
from django.shortcuts import redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from issues import selectors as issue_selectors
from issues import workflow
from liaison import permissions, workdays
from liaison.models import Enterprise
from liaison.pages import form_errors_to_messages, page_of, role_required
from liaison.replicas import reads_may_lag

from . import filters, forms, selectors, services
from .hooks import can_record_visits
from .models import Visit

app_name = "service"


def _today():
    return workdays.local_date(timezone.now())


def _load(request, pk: int) -> Visit:
    try:
        return selectors.visit_for_page(pk, request.user)
    except Visit.DoesNotExist:
        raise Http404 from None


@role_required(selectors.can_assign)
@require_GET
def commissioners(request):
    """Enterprises with their commissioners; the office assigns and unassigns."""
    filters = forms.AssignFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    enterprises = selectors.enterprises_with_commissioners(
        town=cleaned.get("town"), industry=cleaned.get("industry", "")
    )
    return render(
        request,
        "service/commissioners.html",
        {
            "filters": filters,
            "page": page_of(request, enterprises),
            "officials": list(selectors.officials()),
            "querystring": _querystring(request),
        },
    )


def _querystring(request) -> str:
    """The filters, for the pagination's links ("town=3&…")."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()


@role_required(selectors.can_assign)
@require_POST
def commissioner_assign(request):
    form = forms.AssignForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("service:commissioners")
    enterprise = form.cleaned_data["enterprise"]
    commissioner = form.cleaned_data["commissioner"]
    try:
        if commissioner is None:
            services.commissioner_unassign(actor=request.user, enterprise=enterprise)
            messages.success(
                request,
                _("%(enterprise)s has no commissioner now.") % {"enterprise": enterprise.name},
            )
        else:
            services.commissioner_assign(
                actor=request.user, enterprise=enterprise, commissioner=commissioner
            )
            messages.success(
                request,
                _("The commissioner of %(enterprise)s was saved.")
                % {"enterprise": enterprise.name},
            )
    except services.ServiceError as error:
        messages.error(request, error.message)
    return redirect(_commissioners_url(request))


def _commissioners_url(request) -> str:
    """Back to the list as it was filtered (only its own, valid filters)."""
    query = QueryDict(request.POST.get("query", "")[:500])
    url = reverse("service:commissioners")
    if query and forms.AssignFilterForm(query).is_valid():
        return f"{url}?{query.urlencode()}"
    return url


@role_required(selectors.can_see_visits)
@require_GET
def desk(request):
    """The commissioner's desk: their enterprises, their open and escalated problems, visits due."""
    return render(
        request,
        "service/desk.html",
        {**selectors.desk(request.user, today=_today()), "today": _today()},
    )


@role_required(selectors.can_see_visits)
@require_GET
def visit_list(request):
    filters = forms.VisitFilterForm(request.GET or None)
    cleaned = filters.cleaned_data if filters.is_valid() else {}
    return render(
        request,
        "service/visit_list.html",
        {
            "filters": filters,
            "page": page_of(request, selectors.visit_list(request.user, filters=cleaned)),
            "querystring": _querystring(request),
            "can_record": can_record_visits(request.user),
        },
    )


@role_required(can_record_visits)
@require_http_methods(["GET", "POST"])
def visit_new(request):
    initial = {"enterprise": request.GET.get("enterprise")} if request.GET.get("enterprise") else {}
    form = forms.VisitForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            visit = services.visit_record(
                actor=request.user,
                enterprise=data["enterprise"],
                visited_on=data["visited_on"],
                status=data["status"],
                purpose=data["purpose"],
                findings=data["findings"],
                officials=list(data["officials"]),
                leader=data["leader"],
                follow_up_on=data["follow_up_on"],
                submission_key=data["submission_key"],
            )
        except services.DuplicateVisit as duplicate:
            messages.info(request, duplicate.message)
            return redirect("service:visit_detail", pk=duplicate.visit.pk)
        except services.ServiceError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The visit was recorded."))
            return redirect("service:visit_detail", pk=visit.pk)
    return render(request, "service/visit_form.html", {"form": form})


@role_required(selectors.can_see_visits)
@require_GET
def visit_detail(request, pk: int):
    visit = _load(request, pk)
    may_act = can_record_visits(request.user)
    problem_links = list(visit.problem_links.all())
    # The problems the viewer may open (a link); the others are listed without one.
    openable = (
        set(
            issue_selectors.visible_to(request.user)
            .filter(pk__in=[link.problem_id for link in problem_links])
            .values_list("pk", flat=True)
        )
        if problem_links
        else set()
    )
    return render(
        request,
        "service/visit_detail.html",
        {
            "visit": visit,
            "problem_links": problem_links,
            "openable": openable,
            "officials": list(visit.officials.all()),
            "raise_form": forms.RaiseProblemForm(initial={"version": visit.version})
            if may_act and visit.status == Visit.Status.DONE
            else None,
            "done_form": forms.MarkDoneForm(
                initial={"version": visit.version, "findings": visit.findings}
            )
            if may_act and visit.status == Visit.Status.PLANNED
            else None,
        },
    )


@role_required(can_record_visits)
@require_POST
def visit_mark_done(request, pk: int):
    visit = _load(request, pk)
    form = forms.MarkDoneForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("service:visit_detail", pk=visit.pk)
    try:
        services.visit_mark_done(
            actor=request.user,
            visit_id=visit.pk,
            expected_version=form.cleaned_data["version"],
            findings=form.cleaned_data["findings"],
        )
    except services.ServiceError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The visit was marked done."))
    return redirect("service:visit_detail", pk=visit.pk)


@role_required(can_record_visits)
@require_POST
def visit_raise_problem(request, pk: int):
    visit = _load(request, pk)
    form = forms.RaiseProblemForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("service:visit_detail", pk=visit.pk)
    data = form.cleaned_data
    try:
        problem = services.visit_raise_problem(
            actor=request.user,
            visit=visit,
            expected_version=data["version"],
            title=data["title"],
            description=data["description"],
            category=data["category"],
            submission_key=data["submission_key"],
            appeal_type=data.get("appeal_type") or "",
        )
    except workflow.DuplicateSubmission as duplicate:
        messages.info(request, duplicate.message)
    except (services.ServiceError, workflow.TransitionError) as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request,
            _(
                "Problem %(reference)s was raised for %(enterprise)s; "
                "the liaison office dispatches it."
            )
            % {"reference": problem.reference, "enterprise": visit.enterprise.name},
        )
    return redirect("service:visit_detail", pk=visit.pk)


@role_required(selectors.can_see_statistics)
@require_GET
@reads_may_lag
def statistics(request):
    today = _today()
    form = forms.StatisticsForm(request.GET or None)
    if request.GET and not form.is_valid():
        form_errors_to_messages(request, form)
    cleaned = form.cleaned_data if form.is_bound and form.is_valid() else {}
    year = cleaned.get("year") or today.year
    months = cleaned.get("months") or selectors.MONTHS_DEFAULT
    return render(
        request,
        "service/statistics.html",
        {
            "stats": selectors.statistics(year=year, months=months, today=today),
            "year": year,
            "months": months,
            "years": list(range(today.year, today.year - 5, -1)),
            "months_min": selectors.MONTHS_MIN,
            "months_max": selectors.MONTHS_MAX,
        },
    )


# --- the enterprise's file (一企一档) ------------------------------------------------------


@role_required(selectors.can_see_enterprise_files)
@require_GET
def enterprise_list(request):
    """The enterprises the user may open, searched and filtered."""
    if not services.is_official(request.user):
        # An enterprise has one file: its own.
        enterprise_id = permissions.enterprise_id_of(request.user)
        return redirect("service:enterprise_file", pk=enterprise_id)
    enterprises = selectors.enterprise_list(request.user)
    filterset = filters.EnterpriseFilter(request.GET or None, queryset=enterprises)
    if filterset.is_bound and not filterset.is_valid():
        form_errors_to_messages(request, filterset.form)
        filtered = enterprises
    else:
        filtered = filterset.qs
    page = page_of(request, filtered)
    return render(
        request,
        "service/enterprise_list.html",
        {
            "filters": filterset.form,
            "page": page,
            "querystring": _querystring(request),
            "contact_phones": issue_selectors.contact_phones_for(
                request.user, enterprise_ids=[e.pk for e in page]
            ),
        },
    )


@role_required(selectors.can_see_enterprise_files)
@require_GET
def enterprise_file(request, pk: int):
    """One enterprise's file: what `request.user` may see of it."""
    try:
        enterprise = (
            selectors.enterprises_visible_to(request.user).select_related("town").get(pk=pk)
        )
    except Enterprise.DoesNotExist:
        raise Http404 from None
    context = selectors.enterprise_file(enterprise, request.user, today=_today())
    context["contact_phones"] = issue_selectors.contact_phones_for(
        request.user, enterprise_ids=[enterprise.pk]
    )
    if not context["is_enterprise"]:
        # An official read an enterprise's details (the enterprise reading its own is not).
        audit.record(request, Action.VIEWED_ENTERPRISE, obj=enterprise)
    return render(request, "service/enterprise_file.html", context)


urlpatterns = [
    path("enterprises/", enterprise_list, name="enterprise_list"),
    path("enterprises/<int:pk>/", enterprise_file, name="enterprise_file"),
    path("commissioners/", commissioners, name="commissioners"),
    path("commissioners/assign/", commissioner_assign, name="commissioner_assign"),
    path("desk/", desk, name="desk"),
    path("visits/", visit_list, name="visit_list"),
    path("visits/new/", visit_new, name="visit_new"),
    path("visits/<int:pk>/", visit_detail, name="visit_detail"),
    path("visits/<int:pk>/done/", visit_mark_done, name="visit_mark_done"),
    path("visits/<int:pk>/problems/", visit_raise_problem, name="visit_raise_problem"),
    path("statistics/", statistics, name="statistics"),
]
