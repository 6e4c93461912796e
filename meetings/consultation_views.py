"""Consultation pages (会商): the lead department asks on the problem page; the leader
answers on the request's page (accept convenes the coordination meeting, decline says why)."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from issues.selectors import visible_to
from liaison.pages import form_errors_to_messages, role_required

from . import consultation_forms as forms
from . import consultation_selectors as selectors
from . import consultation_services as services
from . import permissions as rules
from .models import ConsultationRequest

PAGE_SIZE = 25


def _load(request, pk: int) -> ConsultationRequest:
    """The request if the user may see it, else 404 (never 403)."""
    consultations = selectors.consultations_visible_to(request.user).select_related(
        *selectors.LIST_RELATIONS, "decided_by", "meeting"
    )
    return get_object_or_404(consultations, pk=pk)


def _to_problem(problem):
    return redirect("issues:detail", reference=problem.reference)


def _accept_initial(consultation: ConsultationRequest) -> dict:
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    return {
        "version": consultation.version,
        "title": _("Coordination meeting on %(title)s") % {"title": consultation.problem.title},
        "starts_at": tomorrow.replace(hour=9, minute=0, second=0, microsecond=0),
    }


@role_required(rules.can_see_coordination_meetings)
@require_GET
def consultation_list(request):
    """Requests waiting for the leader's answer first; a department sees its own."""
    page = Paginator(selectors.consultation_list(request.user), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    return render(request, "meetings/consultation_list.html", {"page": page})


@role_required(rules.can_see_coordination_meetings)
@require_POST
def consultation_ask(request, reference: str):
    """The lead department asks, from the problem page; back to it either way."""
    problem = get_object_or_404(visible_to(request.user), reference=reference)
    if not rules.can_request_consultation(request.user, problem):
        raise Http404
    form = forms.RequestForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _to_problem(problem)
    try:
        services.consultation_request(
            actor=request.user, problem=problem, reason=form.cleaned_data["reason"]
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Your request was sent to the leader, who will accept or decline it.")
        )
    return _to_problem(problem)


@role_required(rules.can_see_coordination_meetings)
@require_GET
def consultation_detail(request, pk: int):
    consultation = _load(request, pk)
    can_decide = consultation.state == ConsultationRequest.State.PENDING and (
        rules.can_decide_consultation(request.user, consultation)
    )
    can_withdraw = consultation.state == ConsultationRequest.State.PENDING and (
        rules.can_request_consultation(request.user, consultation.problem)
    )
    context = {
        "consultation": consultation,
        "can_decide": can_decide,
        "can_withdraw": can_withdraw,
    }
    if can_decide:
        context["accept_form"] = forms.AcceptForm(initial=_accept_initial(consultation))
        context["decline_form"] = forms.DeclineForm(initial={"version": consultation.version})
    return render(request, "meetings/consultation_detail.html", context)


def _load_decided(request, pk: int) -> ConsultationRequest:
    consultation = _load(request, pk)
    if not rules.can_decide_consultation(request.user, consultation):
        raise Http404
    return consultation


@role_required(rules.can_convene_coordination)
@require_POST
def consultation_accept(request, pk: int):
    consultation = _load_decided(request, pk)
    form = forms.AcceptForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("meetings:consultation_detail", pk=pk)
    data = form.cleaned_data
    try:
        meeting = services.consultation_accept(
            consultation_id=consultation.pk,
            actor=request.user,
            title=data["title"],
            starts_at=data["starts_at"],
            venue=data["venue"],
            expected_version=data["version"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
        return redirect("meetings:consultation_detail", pk=pk)
    messages.success(
        request,
        _("The coordination meeting was convened. Record its decisions as action items."),
    )
    return redirect("meetings:coordination_detail", pk=meeting.pk)


@role_required(rules.can_convene_coordination)
@require_POST
def consultation_decline(request, pk: int):
    consultation = _load_decided(request, pk)
    form = forms.DeclineForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("meetings:consultation_detail", pk=pk)
    try:
        services.consultation_decline(
            consultation_id=consultation.pk,
            actor=request.user,
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The request was declined; the department is told why."))
    return redirect("meetings:consultation_detail", pk=pk)


@role_required(rules.can_see_coordination_meetings)
@require_POST
def consultation_withdraw(request, pk: int):
    """The lead department withdraws its pending request (a confirmed button on the problem
    page and the request's page); back to the problem either way. Who may not see the
    request gets a 404; who sees it but may not withdraw it, or comes too late (answered,
    withdrawn already: a double click), is told why and nothing changes."""
    consultation = _load(request, pk)
    form = forms.WithdrawForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _to_problem(consultation.problem)
    try:
        services.consultation_withdraw(
            consultation_id=consultation.pk,
            actor=request.user,
            expected_version=form.cleaned_data["version"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("Your request was withdrawn; the leader is told there is nothing to answer.")
        )
    return _to_problem(consultation.problem)


urlpatterns = [
    path("consultations/", consultation_list, name="consultation_list"),
    path("consultations/<int:pk>/", consultation_detail, name="consultation_detail"),
    path("consultations/<int:pk>/accept/", consultation_accept, name="consultation_accept"),
    path("consultations/<int:pk>/decline/", consultation_decline, name="consultation_decline"),
    path("consultations/<int:pk>/withdraw/", consultation_withdraw, name="consultation_withdraw"),
    path("consultations/ask/<str:reference>/", consultation_ask, name="consultation_ask"),
]
