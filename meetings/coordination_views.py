"""Coordination meeting pages: thin views that load with a permission check, call one service."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison import permissions
from liaison.pages import form_errors_to_messages, role_required, safe_next

from . import coordination_forms as forms
from . import coordination_selectors as selectors
from . import coordination_services as services
from . import permissions as rules
from .models import ActionItem, CoordinationMeeting

PAGE_SIZE = 25


def _load(request, pk: int) -> CoordinationMeeting:
    """The meeting if the user may see it, else 404 (never 403)."""
    meetings = selectors.meetings_visible_to(request.user).select_related("convened_by")
    return get_object_or_404(meetings, pk=pk)


def _load_managed(request, pk: int) -> CoordinationMeeting:
    meeting = _load(request, pk)
    if not rules.can_manage_coordination(request.user, meeting):
        raise Http404
    return meeting


def _back_to(meeting: CoordinationMeeting):
    return redirect("meetings:coordination_detail", pk=meeting.pk)


def _chosen_ids(values: list[str]) -> list[int]:
    """Problem ids from ?problems=1&problems=2 or ?problems=1,2; anything else is ignored."""
    ids = []
    for value in values:
        ids.extend(int(part) for part in value.split(",") if part.strip().isdigit())
    return sorted(set(ids))


@role_required(rules.can_see_coordination_meetings)
@require_GET
def coordination_list(request):
    """A leader's coordination meetings (or all); the office's all; a department's own."""
    is_leader = permissions.is_leader(request.user)
    show = request.GET.get("show", "mine") if is_leader else "all"
    if show not in selectors.LIST_SHOWS:
        show = "mine"
    meetings = selectors.meeting_list(request.user, show=show)
    page = Paginator(meetings, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "meetings/coordination_list.html",
        {
            "page": page,
            "show": show,
            "is_leader": is_leader,
            "can_convene": rules.can_convene_coordination(request.user),
            "querystring": f"show={show}",
        },
    )


@role_required(rules.can_see_coordination_meetings)
@require_GET
def coordination_detail(request, pk: int):
    meeting = _load(request, pk)
    context = selectors.meeting_page_context(user=request.user, meeting=meeting)
    allowed = selectors.coordination_actions(user=request.user, meeting=meeting)
    today = context["today"]
    makers = {
        "edit": lambda: True,  # a link to the edit page, whose form lives there
        "add_item": lambda: forms.ActionItemForm(
            problems=context["problems"],
            initial={"due_date": max(today, selectors.meeting_day(meeting))},
        ),
        "mark_held": lambda: forms.MarkHeldForm(
            initial={"version": meeting.version, "decisions": meeting.decisions}
        ),
    }
    context["actions"] = {name: make() for name, make in makers.items() if name in allowed}
    context["now"] = timezone.now()
    return render(request, "meetings/coordination_detail.html", context)


@role_required(rules.can_convene_coordination)
@require_http_methods(["GET", "POST"])
def coordination_convene(request):
    """The convene form, pre-filled with the problems chosen on the escalation list or a problem."""
    source = request.POST if request.method == "POST" else request.GET
    form = forms.ConveneForm(
        request.POST or None,
        user=request.user,
        chosen_ids=_chosen_ids(source.getlist("problems")),
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.coordination_convene(
                actor=request.user,
                title=data["title"],
                starts_at=data["starts_at"],
                venue=data["venue"],
                problems=data["problems"],
                departments=data["departments"],
                enterprises=data["enterprises"],
            )
        except services.CoordinationError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("The coordination meeting was convened. Record its decisions as action items."),
            )
            return _back_to(meeting)
    return render(request, "meetings/coordination_convene.html", {"form": form})


@role_required(rules.can_see_coordination_meetings)
@require_http_methods(["GET", "POST"])
def coordination_edit(request, pk: int):
    meeting = _load_managed(request, pk)
    initial = {
        "version": meeting.version,
        "title": meeting.title,
        "starts_at": timezone.localtime(meeting.starts_at),
        "venue": meeting.venue,
        "decisions": meeting.decisions,
        "departments": list(meeting.departments.values_list("pk", flat=True)),
        "enterprises": list(meeting.enterprises.values_list("pk", flat=True)),
    }
    form = forms.EditForm(request.POST or None, meeting=meeting, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.coordination_update(
                meeting_id=meeting.pk,
                actor=request.user,
                title=data["title"],
                starts_at=data["starts_at"],
                venue=data["venue"],
                departments=data["departments"],
                enterprises=data["enterprises"],
                decisions=data["decisions"],
                expected_version=data["version"],
            )
        except services.StaleCoordination as error:
            messages.error(request, error.message)
            return redirect("meetings:coordination_edit", pk=meeting.pk)
        except services.CoordinationError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The coordination meeting was saved."))
            return _back_to(meeting)
    return render(request, "meetings/coordination_edit.html", {"form": form, "meeting": meeting})


@role_required(rules.can_see_coordination_meetings)
@require_POST
def coordination_held(request, pk: int):
    meeting = _load_managed(request, pk)
    form = forms.MarkHeldForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(meeting)
    try:
        changed = services.coordination_mark_held(
            meeting_id=meeting.pk,
            actor=request.user,
            decisions=form.cleaned_data["decisions"],
            expected_version=form.cleaned_data["version"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        if changed:
            messages.success(request, _("The meeting is marked held."))
        else:
            messages.info(request, _("The meeting was already marked held; nothing changed."))
    return _back_to(meeting)


@role_required(rules.can_see_coordination_meetings)
@require_POST
def coordination_item_add(request, pk: int):
    meeting = _load_managed(request, pk)
    form = forms.ActionItemForm(request.POST, problems=list(meeting.problems.all()))
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(meeting)
    data = form.cleaned_data
    try:
        services.action_item_add(
            meeting_id=meeting.pk,
            actor=request.user,
            department=data["department"],
            task=data["task"],
            due_date=data["due_date"],
            problem=data["problem"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The action item was added."))
    return _back_to(meeting)


@role_required(rules.can_see_coordination_meetings)
@require_POST
def coordination_item_done(request, pk: int):
    """Tick an action item off; back to where the form was (the desk, a problem, the meeting)."""
    visible = selectors.meetings_visible_to(request.user).values("pk")
    item = get_object_or_404(ActionItem.objects.filter(meeting_id__in=visible), pk=pk)
    back = safe_next(
        request, reverse("meetings:coordination_detail", kwargs={"pk": item.meeting_id})
    )
    form = forms.CompleteForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return HttpResponseRedirect(back)
    try:
        changed = services.action_item_complete(
            item_id=item.pk,
            actor=request.user,
            note=form.cleaned_data["note"],
            expected_version=form.cleaned_data["version"],
        )
    except services.CoordinationError as error:
        messages.error(request, error.message)
    else:
        if changed:
            messages.success(request, _("The action item is marked done."))
        else:
            messages.info(request, _("This action item was already done; nothing changed."))
    return HttpResponseRedirect(back)


urlpatterns = [
    path("coordination/", coordination_list, name="coordination_list"),
    path("coordination/new/", coordination_convene, name="coordination_convene"),
    path("coordination/<int:pk>/", coordination_detail, name="coordination_detail"),
    path("coordination/<int:pk>/edit/", coordination_edit, name="coordination_edit"),
    path("coordination/<int:pk>/held/", coordination_held, name="coordination_held"),
    path("coordination/<int:pk>/items/", coordination_item_add, name="coordination_item_add"),
    path(
        "coordination/items/<int:pk>/done/", coordination_item_done, name="coordination_item_done"
    ),
]
