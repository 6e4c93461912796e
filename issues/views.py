"""Problem pages: thin views that load with a permission check, call one workflow function."""

from __future__ import annotations

from functools import wraps

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from liaison import permissions
from meetings import selectors as meeting_selectors

from . import attachments as files
from . import forms, notifications, selectors, services, workflow
from .filters import ProblemFilter
from .models import Attachment, ExtensionRequest, Notification, Problem, Status

PAGE_SIZE = 25
ENTERPRISE_FILTERS = frozenset({"q", "status", "category", "ordering", "page"})


def _load(request, reference: str) -> Problem:
    """The problem with this reference if the user may see it, else 404 (never 403)."""
    return get_object_or_404(selectors.visible_to(request.user), reference=reference)


def _page(request, queryset):
    paginator = Paginator(queryset, PAGE_SIZE)
    return paginator.get_page(request.GET.get("page"))


def _querystring_without_page(request) -> str:
    params = request.GET.copy()
    params.pop("page", None)
    return params.urlencode()


def _safe_next(request, fallback: str) -> str:
    """The "next" page the form names if it is on this site, else `fallback`."""
    back = request.POST.get("next", "")
    # Only a page of this site: "//host/" and "/\host/" start with a slash too.
    if url_has_allowed_host_and_scheme(
        back, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return back
    return fallback


def form_errors_to_messages(request, form) -> None:
    """A refused action form's errors as messages on the page it redirects back to."""
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(request, f"{label}: {error}" if label else error)


def role_required(predicate):
    """Only users for whom `predicate(user)` holds; for others the page does not exist (404)."""

    def decorator(view):
        @wraps(view)
        @login_required
        def wrapped(request, *args, **kwargs):
            if not predicate(request.user):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def _version(form) -> int | None:
    return form.cleaned_data.get("version") if form.is_valid() else None


# What the user is told after each action succeeds, by workflow function.
SUCCESS_MESSAGES = {
    "problem_dispatch": gettext_lazy("The problem was dispatched; the deadline is running."),
    "problem_reject": gettext_lazy("The problem was marked as not accepted."),
    "problem_return": gettext_lazy("The problem was returned to the liaison office."),
    "problem_acknowledge": gettext_lazy("Acknowledged. The problem is now in progress."),
    "problem_add_progress": gettext_lazy("The progress note was added."),
    "problem_request_extension": gettext_lazy("The extension request was sent for a decision."),
    "problem_resolve": gettext_lazy("The answer was sent; the enterprise is asked to evaluate it."),
    "problem_evaluate": gettext_lazy("Thank you: your evaluation was recorded."),
    "problem_instruct": gettext_lazy("The instruction was recorded."),
    "problem_assign_handler": gettext_lazy("The handler was assigned."),
    "problem_attach": gettext_lazy("The files were added."),
}


def _act(request, problem: Problem, action, **kwargs):
    """Run one workflow call; report the outcome as a message; back to the problem page."""
    try:
        result = action(**kwargs)
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        message = SUCCESS_MESSAGES.get(action.__name__)
        if action is workflow.problem_dispatch and result.due_at is None:
            message = _(
                "The problem was dispatched so the department can prepare; its deadline "
                "starts when the face-to-face meeting of %(date)s is held."
            ) % {"date": result.meeting.local_date.isoformat()}
        if message:
            messages.success(request, message)
    return redirect("issues:detail", reference=problem.reference)


# --- lists -------------------------------------------------------------------------------


@login_required
@require_GET
def problem_list(request):
    """All problems the user may see, filtered: the office's and leaders' main list."""
    base = selectors.with_list_relations(selectors.visible_to(request.user))
    data = request.GET
    if permissions.is_enterprise_user(request.user):
        # An enterprise filters its own problems by text, status and category only:
        # the other filters (leader, department, ...) would tell it internal facts.
        data = data.copy()
        for key in list(data):
            if key not in ENTERPRISE_FILTERS:
                del data[key]
    problem_filter = ProblemFilter(data, queryset=base.order_by("-created_at", "-id"))
    problems = problem_filter.qs if problem_filter.is_valid() else base.none()
    return render(
        request,
        "issues/problem_list.html",
        {
            "filter": problem_filter,
            "page": _page(request, problems),
            "querystring": _querystring_without_page(request),
            "now": timezone.now(),
            "is_enterprise": permissions.is_enterprise_user(request.user),
        },
    )


@role_required(permissions.is_office)
@require_GET
def triage(request):
    """New problems waiting for dispatch, and problems departments returned."""
    submitted = selectors.with_list_relations(
        Problem.objects.filter(status=Status.SUBMITTED)
    ).order_by("created_at", "id")
    returned = submitted.filter(clock_started_at__isnull=False)
    new = submitted.filter(clock_started_at__isnull=True)
    show = "returned" if request.GET.get("show") == "returned" else "new"
    queryset = returned if show == "returned" else new
    return render(
        request,
        "issues/triage.html",
        {
            "page": _page(request, queryset),
            "show": show,
            "new_count": new.count(),
            "returned_count": returned.count(),
            "querystring": f"show={show}",
            "now": timezone.now(),
        },
    )


@role_required(permissions.can_decide_extension)
@require_GET
def extension_list(request):
    pending = (
        ExtensionRequest.objects.filter(decision=ExtensionRequest.Decision.PENDING)
        .select_related(
            "problem", "problem__enterprise", "problem__lead_department", "requested_by"
        )
        .order_by("requested_at", "id")
    )
    return render(
        request,
        "issues/extension_list.html",
        {"page": _page(request, pending), "querystring": "", "now": timezone.now()},
    )


def _can_see_escalations(user) -> bool:
    return permissions.is_leader(user) or permissions.is_office(user)


@role_required(_can_see_escalations)
@require_GET
def escalation_list(request):
    """A leader's escalated problems ("my escalations"), most overdue first, to act on."""
    return render(
        request,
        "issues/escalation_list.html",
        {
            "page": _page(request, selectors.escalated_to(request.user)),
            "querystring": "",
            "now": timezone.now(),
            "is_office": permissions.is_office(request.user),
        },
    )


@role_required(permissions.is_department_user)
@require_GET
def department_desk(request):
    """The department's work: to acknowledge, in progress by deadline, co-handled."""
    department_id = permissions.department_id_of(request.user)
    tabs = {
        "inbox": selectors.department_inbox(department_id),
        "in_progress": selectors.department_in_progress(department_id),
        "co": selectors.department_co_problems(department_id),
    }
    tab = request.GET.get("tab", "inbox")
    if tab not in tabs:
        tab = "inbox"
    counts = selectors.department_desk_counts(department_id)
    from meetings.coordination import department_open_items

    return render(
        request,
        "issues/department_desk.html",
        {
            "tab": tab,
            "counts": counts,
            "page": _page(request, selectors.with_list_relations(tabs[tab])),
            "querystring": f"tab={tab}",
            "now": timezone.now(),
            # The coordination meetings' tasks for the department, to tick off here.
            "action_items": department_open_items(department_id, user=request.user),
        },
    )


# --- submit ------------------------------------------------------------------------------


def _submit(request, form_class, template: str, *, enterprise=None, meetings=()):
    form = form_class(
        request.POST or None,
        request.FILES or None,
        meetings=meetings,
        initial={"meeting": request.GET.get("meeting")},
    )
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            problem = services.problem_submit_with_files(
                actor=request.user,
                enterprise=data.get("enterprise") or enterprise,
                title=data["title"],
                description=data["description"],
                category=data["category"],
                channel=data.get("channel") or "web",
                meeting=data.get("meeting"),
                submission_key=data["submission_key"],
                uploads=data["files"],
            )
        except workflow.DuplicateSubmission as duplicate:
            messages.info(request, duplicate.message)
            return redirect("issues:detail", reference=duplicate.problem.reference)
        except workflow.TransitionError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request,
                _("Problem %(ref)s was submitted. The liaison office will dispatch it.")
                % {"ref": problem.reference},
            )
            return redirect("issues:detail", reference=problem.reference)
    return render(request, template, {"form": form, "enterprise": enterprise})


@role_required(permissions.is_enterprise_user)
@require_http_methods(["GET", "POST"])
def problem_submit(request):
    enterprise = request.user.profile.enterprise
    return _submit(
        request,
        forms.ProblemSubmitForm,
        "issues/problem_submit.html",
        enterprise=enterprise,
        meetings=meeting_selectors.open_for_submission(enterprise=enterprise),
    )


@role_required(permissions.can_register_on_behalf)
@require_http_methods(["GET", "POST"])
def problem_register(request):
    return _submit(
        request,
        forms.ProblemRegisterForm,
        "issues/problem_register.html",
        meetings=meeting_selectors.open_for_submission(enterprise=None),
    )


# --- the problem page --------------------------------------------------------------------


@login_required
@require_GET
def problem_detail(request, reference: str):
    problem = _load(request, reference)
    context = selectors.problem_page_context(user=request.user, problem=problem)
    context["now"] = timezone.now()
    return render(request, "issues/problem_detail.html", context)


def _action_view(form_class, *, needs_problem_in_form=False):
    """Decorator for POST-only actions on one problem: load, validate, act, redirect."""

    def decorator(handler):
        @wraps(handler)
        @login_required
        @require_POST
        def view(request, reference: str):
            problem = _load(request, reference)
            kwargs = {"problem": problem, "user": request.user} if needs_problem_in_form else {}
            if form_class is forms.AssignHandlerForm:
                kwargs = {"department": problem.lead_department}
            form = form_class(request.POST, **kwargs)
            if not form.is_valid():
                form_errors_to_messages(request, form)
                return redirect("issues:detail", reference=problem.reference)
            return handler(request, problem, form.cleaned_data)

        return view

    return decorator


@_action_view(forms.DispatchForm)
def problem_dispatch(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_dispatch,
        problem_id=problem.pk,
        actor=request.user,
        lead_department=data["lead_department"],
        co_departments=data["co_departments"],
        responsible_leader=data["responsible_leader"],
        note=data["note"],
        expected_version=data["version"],
    )


@_action_view(forms.RejectForm, needs_problem_in_form=True)
def problem_reject(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_reject,
        problem_id=problem.pk,
        actor=request.user,
        reason=data["reason"],
        duplicate_of=data["duplicate_of"],
        expected_version=data["version"],
    )


@_action_view(forms.ReasonForm)
def problem_return(request, problem, data):
    response = _act(
        request,
        problem,
        workflow.problem_return,
        problem_id=problem.pk,
        actor=request.user,
        reason=data["reason"],
        expected_version=data["version"],
    )
    # After a return the department no longer sees the problem: go back to its desk.
    if not selectors.visible_to(request.user).filter(pk=problem.pk).exists():
        return redirect("issues:department")
    return response


@_action_view(forms.VersionedForm)
def problem_acknowledge(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_acknowledge,
        problem_id=problem.pk,
        actor=request.user,
        expected_version=data["version"],
    )


@_action_view(forms.ProgressForm)
def problem_progress(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_add_progress,
        problem_id=problem.pk,
        actor=request.user,
        text=data["text"],
        is_public=data["is_public"],
        expected_version=data["version"],
    )


@_action_view(forms.ExtensionRequestForm)
def problem_request_extension(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_request_extension,
        problem_id=problem.pk,
        actor=request.user,
        days=data["days"],
        reason=data["reason"],
        expected_version=data["version"],
    )


@_action_view(forms.ResolveForm)
def problem_resolve(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_resolve,
        problem_id=problem.pk,
        actor=request.user,
        answer=data["answer"],
        expected_version=data["version"],
    )


@_action_view(forms.EvaluateForm)
def problem_evaluate(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_evaluate,
        problem_id=problem.pk,
        actor=request.user,
        satisfaction=data["satisfaction"],
        reason=data["reason"],
        expected_version=data["version"],
    )


@_action_view(forms.InstructForm)
def problem_instruct(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_instruct,
        problem_id=problem.pk,
        actor=request.user,
        text=data["text"],
        expected_version=data["version"],
    )


@_action_view(forms.AssignHandlerForm)
def problem_assign_handler(request, problem, data):
    return _act(
        request,
        problem,
        workflow.problem_assign_handler,
        problem_id=problem.pk,
        actor=request.user,
        handler=data["handler"],
        expected_version=data["version"],
    )


@login_required
@require_POST
def problem_attach(request, reference: str):
    problem = _load(request, reference)
    form = forms.AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        for error in form.errors.get("files", []):
            messages.error(request, error)
        return redirect("issues:detail", reference=problem.reference)
    return _act(
        request,
        problem,
        services.problem_attach,
        problem_id=problem.pk,
        actor=request.user,
        uploads=form.cleaned_data["files"],
        is_public=form.cleaned_data["is_public"],
    )


@role_required(permissions.can_decide_extension)
@require_POST
def extension_decide(request, pk: int):
    extension = get_object_or_404(ExtensionRequest.objects.select_related("problem"), pk=pk)
    form = forms.ExtensionDecisionForm(request.POST)
    back = _safe_next(
        request, reverse("issues:detail", kwargs={"reference": extension.problem.reference})
    )
    if not form.is_valid():
        messages.error(request, _("Choose approve or deny."))
        return HttpResponseRedirect(back)
    try:
        workflow.problem_decide_extension(
            extension_id=extension.pk,
            actor=request.user,
            approve=form.cleaned_data["approve"],
            note=form.cleaned_data["note"],
        )
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The decision was recorded."))
    return HttpResponseRedirect(back)


@login_required
@require_GET
def attachment_download(request, pk: int):
    """Serve a file only to a user who may see its problem (and, if internal, internal notes)."""
    attachment = get_object_or_404(Attachment.objects.select_related("problem"), pk=pk)
    visible = selectors.visible_to(request.user).filter(pk=attachment.problem_id).exists()
    if not visible:
        raise Http404
    if not attachment.is_public and not permissions.can_see_internal_events(request.user):
        raise Http404
    path = files.path_of(attachment.stored_name)
    if not path.exists():
        raise Http404
    response = FileResponse(
        open(path, "rb"),  # noqa: SIM115 - FileResponse closes it
        as_attachment=True,
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
    response["X-Content-Type-Options"] = "nosniff"
    return response


# --- notifications -----------------------------------------------------------------------


@login_required
@require_GET
def notification_list(request):
    """The user's in-app notifications, newest first, unread ones marked."""
    return render(
        request,
        "issues/notifications.html",
        {
            "page": _page(request, notifications.inbox(request.user)),
            "querystring": "",
            "unread_count": notifications.unread_count(request.user),
        },
    )


@require_GET
def notification_badge(request):
    """The bell's unread count, loaded by htmx so that pages do not pay for it.

    Signed out meanwhile (another tab, an expired session): 286 tells htmx to stop
    polling, instead of a redirect that would paste the login page into the bell.
    """
    if not request.user.is_authenticated:
        return HttpResponse(status=286)
    return render(
        request,
        "issues/includes/notification_badge.html",
        {"unread_count": notifications.unread_count(request.user)},
    )


@login_required
@require_POST
def notification_read(request, pk: int):
    """Mark one notification read; with "open", go on to the page it is about."""
    url = (
        Notification.objects.filter(pk=pk, recipient=request.user, channel="in_app")
        .values_list("url", flat=True)
        .first()
    )
    if url is None:
        raise Http404
    notifications.mark_read(user=request.user, notification_id=pk)
    safe = url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()})
    if request.POST.get("open") and url and safe:
        return HttpResponseRedirect(url)
    return HttpResponseRedirect(_safe_next(request, reverse("issues:notifications")))


@login_required
@require_POST
def notification_read_all(request):
    count = notifications.mark_read(user=request.user)
    if count:
        messages.success(request, _("All notifications are marked as read."))
    return HttpResponseRedirect(_safe_next(request, reverse("issues:notifications")))


OUTBOX_STATES = {"failed": [Notification.State.FAILED], "pending": [Notification.State.PENDING]}


@role_required(permissions.is_office)
@require_GET
def notification_outbox(request):
    """E-mails and SMS that failed or are still waiting: the office checks delivery here."""
    show = request.GET.get("show", "failed")
    if show not in OUTBOX_STATES:
        show = "failed"
    undelivered = notifications.undelivered()
    return render(
        request,
        "issues/notification_outbox.html",
        {
            "page": _page(request, undelivered.filter(state__in=OUTBOX_STATES[show])),
            "show": show,
            "failed_count": undelivered.filter(state=Notification.State.FAILED).count(),
            "pending_count": undelivered.filter(state=Notification.State.PENDING).count(),
            "querystring": f"show={show}",
        },
    )


@role_required(permissions.is_office)
@require_POST
def notification_retry(request, pk: int):
    if notifications.retry_failed(notification_id=pk):
        messages.success(request, _("The message will be sent again."))
    else:
        messages.info(request, _("This message is no longer waiting to be sent again."))
    return HttpResponseRedirect(_safe_next(request, reverse("issues:outbox")))
