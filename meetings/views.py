"""Face-to-face meeting pages: list, detail with the office's actions, forms, handling list."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import path
from django.utils import formats, timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from issues import workflow
from issues.models import Status
from liaison import permissions
from liaison.models import Department
from liaison.pages import form_errors_to_messages, role_required
from liaison.replicas import reads_may_lag
from liaison.xlsx import xlsx_response

from . import exports, forms, selectors, services
from .models import Invitation, Meeting

PAGE_SIZE = 25


def _load(request, pk: int) -> Meeting:
    """The meeting if the user may see it, with its people and invitations; else 404."""
    try:
        return selectors.meeting_for_page(pk, request.user)
    except Meeting.DoesNotExist:
        raise Http404 from None


def _load_plain(request, pk: int) -> Meeting:
    meeting = selectors.visible_to(request.user).filter(pk=pk).first()
    if meeting is None:
        raise Http404
    return meeting


def _reply_counts(invitations: list[Invitation]) -> dict[str, int]:
    """How many invited enterprises will attend, cannot, and have not replied."""
    Reply = Invitation.Reply
    replies = [i.reply for i in invitations]
    return {
        "confirmed": replies.count(Reply.CONFIRMED),
        "declined": replies.count(Reply.DECLINED),
        "none": replies.count(Reply.NONE),
    }


def _back(meeting: Meeting):
    return redirect("meetings:meeting_detail", pk=meeting.pk)


# --- pages ---------------------------------------------------------------------------------


@login_required
@require_GET
def meeting_list(request):
    """The meetings the user may see, newest first."""
    paginator = Paginator(selectors.meeting_list(request.user), PAGE_SIZE)
    return render(
        request,
        "meetings/meeting_list.html",
        {
            "page": paginator.get_page(request.GET.get("page")),
            "querystring": "",
            "can_manage": permissions.can_manage_meetings(request.user),
        },
    )


@login_required
@require_GET
def meeting_detail(request, pk: int):
    meeting = _load(request, pk)
    user = request.user
    problems = list(selectors.problems_of(meeting, user))
    invitations = list(meeting.invitations.all())
    can_manage = permissions.can_manage_meetings(user)
    planned = meeting.status == Meeting.Status.PLANNED
    held = meeting.status == Meeting.Status.HELD
    version = {"version": meeting.version}
    now = timezone.now()
    started = meeting.starts_at <= now
    allowed = selectors.meeting_actions(user=user, meeting=meeting, now=now)
    actions: dict = {}
    if "invite" in allowed:
        actions["invite"] = forms.InviteForm(meeting=meeting)
    if "mark_held" in allowed:
        # Ticked to start with: every enterprise that did not say it cannot come.
        expected = [i.enterprise_id for i in invitations if i.reply != Invitation.Reply.DECLINED]
        actions["mark_held"] = forms.MarkHeldForm(
            invitations=invitations, initial={**version, "attended": expected}
        )
    if "close" in allowed:
        actions["close"] = forms.CloseForm(initial={**version, "minutes": meeting.minutes})
    departments = None
    for problem in problems:
        # The on-site answer form goes with its problem's row; for a problem registered
        # after the meeting and not dispatched, the office names who answered.
        problem.answer_form = None
        if not (held and permissions.can_answer_on_site(user, problem)):
            continue
        if problem.status == Status.SUBMITTED:
            if departments is None:
                departments = list(Department.objects.filter(is_active=True))
            problem.answer_form = forms.OnSiteAnswerForm(problem=problem, departments=departments)
        elif problem.is_open:
            problem.answer_form = forms.OnSiteAnswerForm(problem=problem)
    enterprise_id = permissions.enterprise_id_of(user)
    own = next((i for i in invitations if i.enterprise_id == enterprise_id), None)
    return render(
        request,
        "meetings/meeting_detail.html",
        {
            "meeting": meeting,
            "problems": problems,
            "invitations": invitations,
            "actions": actions,
            "can_manage": can_manage,
            "can_see_handling_list": permissions.can_see_handling_list(user),
            "is_enterprise": enterprise_id is not None,
            # The enterprise's own invitation, and whether it may still reply to it.
            "own_invitation": own,
            "can_reply": own is not None and planned and not started,
            "replies": _reply_counts(invitations),
            # An invited enterprise raises problems for a meeting until it is held; the
            # problems of a meeting entered afterwards are registered once it is held.
            "can_submit": enterprise_id is not None and planned and not meeting.entered_afterwards,
            "can_register": permissions.can_register_on_behalf(user)
            and (held or (planned and not meeting.entered_afterwards)),
            "now": now,
        },
    )


@role_required(permissions.can_manage_meetings)
@require_http_methods(["GET", "POST"])
def meeting_create(request):
    form = forms.MeetingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            meeting = services.meeting_create(
                actor=request.user,
                theme=data["theme"],
                starts_at=data["starts_at"],
                venue=data["venue"],
                presiding_leaders=data["presiding_leaders"],
                departments=data["departments"],
                enterprises=data["enterprises"],
            )
        except services.MeetingError as error:
            form.add_error(None, error.message)
        else:
            if meeting.entered_afterwards:
                done = _(
                    "Meeting No. %(number)s of %(year)s was recorded as entered afterwards: "
                    "mark it held, then register its problems."
                )
            else:
                done = _("Meeting No. %(number)s of %(year)s was planned.")
            messages.success(request, done % {"number": meeting.number, "year": meeting.year})
            return _back(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": None})


@role_required(permissions.can_manage_meetings)
@require_http_methods(["GET", "POST"])
def meeting_edit(request, pk: int):
    meeting = _load(request, pk)
    if meeting.status == Meeting.Status.CLOSED:
        messages.error(request, _("A closed meeting can no longer be changed."))
        return _back(meeting)
    held = meeting.status != Meeting.Status.PLANNED
    initial = {
        "theme": meeting.theme,
        "starts_at": timezone.localtime(meeting.starts_at),
        "venue": meeting.venue,
        "presiding_leaders": [u.pk for u in meeting.presiding_leaders.all()],
        "departments": [d.pk for d in meeting.departments.all()],
        "minutes": meeting.minutes,
        "version": meeting.version,
    }
    form = forms.MeetingForm(request.POST or None, initial=initial, editing=True, held=held)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.meeting_update(
                meeting_id=meeting.pk,
                actor=request.user,
                theme=data["theme"],
                starts_at=data["starts_at"],
                venue=data["venue"],
                presiding_leaders=data["presiding_leaders"],
                departments=data["departments"],
                minutes=data["minutes"],
                expected_version=data["version"],
            )
        except services.MeetingError as error:
            form.add_error(None, error.message)
        else:
            messages.success(request, _("The meeting was saved."))
            return _back(meeting)
    return render(request, "meetings/meeting_form.html", {"form": form, "meeting": meeting})


# --- actions on the meeting page -------------------------------------------------------------


def _run(request, meeting: Meeting, service, success: str, **kwargs):
    try:
        service(**kwargs)
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, success)
    return _back(meeting)


@role_required(permissions.can_manage_meetings)
@require_POST
def meeting_invite(request, pk: int):
    meeting = _load_plain(request, pk)
    form = forms.InviteForm(request.POST, meeting=meeting)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back(meeting)
    n = len(form.cleaned_data["enterprises"])
    return _run(
        request,
        meeting,
        services.meeting_invite,
        _("%(n)s enterprise(s) invited.") % {"n": n},
        meeting_id=meeting.pk,
        actor=request.user,
        enterprises=form.cleaned_data["enterprises"],
    )


@role_required(permissions.can_manage_meetings)
@require_POST
def meeting_uninvite(request, pk: int):
    meeting = _load_plain(request, pk)
    form = forms.UninviteForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back(meeting)
    enterprise = form.cleaned_data["enterprise"]
    return _run(
        request,
        meeting,
        services.meeting_uninvite,
        _("The invitation of %(name)s was withdrawn.") % {"name": enterprise.name},
        meeting_id=meeting.pk,
        actor=request.user,
        enterprise=enterprise,
    )


@role_required(permissions.is_enterprise_user)
@require_POST
def meeting_reply(request, pk: int):
    """An invited enterprise confirms it will attend, or says it cannot (home or meeting page)."""
    meeting = _load_plain(request, pk)
    # Back where the reply was given: the home page's card, or the meeting page.
    back = redirect("home") if request.POST.get("from") == "home" else _back(meeting)
    form = forms.ReplyForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return back
    attending = form.cleaned_data["attending"]
    if attending:
        done = _("You confirmed that your enterprise will attend %(meeting)s.")
    else:
        done = _("You told the liaison office that your enterprise cannot attend %(meeting)s.")
    try:
        services.invitation_reply(meeting_id=meeting.pk, actor=request.user, attending=attending)
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, done % {"meeting": meeting})
    return back


@role_required(permissions.can_manage_meetings)
@require_POST
def meeting_mark_held(request, pk: int):
    meeting = _load(request, pk)
    form = forms.MarkHeldForm(request.POST, invitations=list(meeting.invitations.all()))
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back(meeting)
    try:
        result = services.meeting_mark_held(
            meeting_id=meeting.pk,
            actor=request.user,
            attended=form.cleaned_data["attended"],
            expected_version=form.cleaned_data["version"],
        )
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        if result.already_held:
            messages.info(
                request,
                _("This meeting was already marked held on %(date)s; nothing was changed.")
                % {
                    "date": formats.date_format(
                        timezone.localtime(result.meeting.held_at), "DATETIME_FORMAT"
                    )
                },
            )
        else:
            messages.success(
                request,
                _(
                    "The meeting was marked held. The deadline of %(n)s dispatched problem(s) "
                    "started on the meeting's date."
                )
                % {"n": len(result.started)},
            )
    return _back(meeting)


@role_required(permissions.can_manage_meetings)
@require_POST
def meeting_close(request, pk: int):
    meeting = _load_plain(request, pk)
    form = forms.CloseForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back(meeting)
    return _run(
        request,
        meeting,
        services.meeting_close,
        _("The meeting was closed."),
        meeting_id=meeting.pk,
        actor=request.user,
        minutes=form.cleaned_data["minutes"],
        expected_version=form.cleaned_data["version"],
    )


@login_required
@require_POST
def meeting_answer(request, pk: int):
    """An on-site answer to one problem of the meeting (office or the lead department)."""
    meeting = _load_plain(request, pk)
    form = forms.OnSiteAnswerForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back(meeting)
    data = form.cleaned_data
    return _run(
        request,
        meeting,
        services.meeting_record_answer,
        _("The problem was answered at the meeting and concluded.")
        if data["resolve"]
        else _("The answer given at the meeting was recorded."),
        meeting_id=meeting.pk,
        problem_id=data["problem"],
        actor=request.user,
        answer=data["answer"],
        resolve=data["resolve"],
        lead_department=data.get("lead_department"),
        expected_version=data["version"],
    )


# --- the handling list (问题办理清单) ----------------------------------------------------------


@role_required(permissions.can_see_handling_list)
@require_GET
def handling_list(request, pk: int):
    meeting = _load_plain(request, pk)
    audit.record(request, Action.PRINTED, meeting, detail="handling list")
    return render(
        request,
        "meetings/handling_list.html",
        {
            "meeting": meeting,
            "problems": selectors.handling_list(meeting, request.user),
            "now": timezone.now(),
        },
    )


@role_required(permissions.can_see_handling_list)
@require_GET
@reads_may_lag
def handling_list_xlsx(request, pk: int):
    meeting = _load_plain(request, pk)
    content = exports.handling_list_xlsx(meeting, selectors.handling_list(meeting, request.user))
    filename = exports.handling_list_filename(meeting)
    audit.record(request, Action.EXPORTED, meeting, detail=filename)
    return xlsx_response(content, filename)


urlpatterns = [
    path("", meeting_list, name="meeting_list"),
    path("new/", meeting_create, name="meeting_create"),
    path("<int:pk>/", meeting_detail, name="meeting_detail"),
    path("<int:pk>/edit/", meeting_edit, name="meeting_edit"),
    path("<int:pk>/invite/", meeting_invite, name="meeting_invite"),
    path("<int:pk>/uninvite/", meeting_uninvite, name="meeting_uninvite"),
    path("<int:pk>/reply/", meeting_reply, name="meeting_reply"),
    path("<int:pk>/held/", meeting_mark_held, name="meeting_mark_held"),
    path("<int:pk>/close/", meeting_close, name="meeting_close"),
    path("<int:pk>/answer/", meeting_answer, name="meeting_answer"),
    path("<int:pk>/handling-list/", handling_list, name="handling_list"),
    path("<int:pk>/handling-list.xlsx", handling_list_xlsx, name="handling_list_xlsx"),
]
