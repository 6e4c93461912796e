"""Problem pages: thin views that load with a permission check, call one workflow function."""

from __future__ import annotations

from functools import wraps

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from liaison import permissions
from liaison.downloads import stored_file_download
from liaison.middleware import accepts_uploads
from liaison.pages import (
    form_errors_to_messages,
    joins_planned_as_written,
    role_required,
    safe_next,
)

from . import attachments as files
from . import extensions, forms, problem_page, selectors, services, workflow
from .models import ACCEPTED_STATUSES, Attachment, ExtensionRequest, Problem

# The body a view taking a problem's attachments accepts (liaison.middleware).
takes_attachments = accepts_uploads(max_files=files.MAX_PER_PROBLEM, max_file_size=files.MAX_SIZE)


def _load(request, reference: str) -> Problem:
    """The problem with this reference if the user may see it, else 404 (never 403)."""
    return get_object_or_404(selectors.visible_to(request.user), reference=reference)


def _version(form) -> int | None:
    return form.cleaned_data.get("version") if form.is_valid() else None


# What the user is told after each action succeeds, by the function `_act` runs.
SUCCESS_MESSAGES = {
    workflow.problem_dispatch: gettext_lazy("The problem was dispatched; the deadline is running."),
    workflow.problem_reject: gettext_lazy("The problem was marked as not accepted."),
    workflow.problem_return: gettext_lazy("The problem was returned to the liaison office."),
    workflow.problem_acknowledge: gettext_lazy("Acknowledged. The problem is now in progress."),
    workflow.problem_add_progress: gettext_lazy("The progress note was added."),
    workflow.problem_request_extension: gettext_lazy(
        "The extension request was sent for a decision."
    ),
    workflow.problem_resolve: gettext_lazy(
        "The answer was sent; the enterprise is asked to evaluate it."
    ),
    workflow.problem_evaluate: gettext_lazy("Thank you: your evaluation was recorded."),
    workflow.problem_instruct: gettext_lazy("The instruction was recorded."),
    workflow.problem_assign_handler: gettext_lazy("The handler was assigned."),
    workflow.problem_set_appeal_type: gettext_lazy("The appeal type was saved."),
    services.problem_attach: gettext_lazy("The files were added."),
}


def _act(request, problem: Problem, action, **kwargs):
    """Run one workflow call; report the outcome as a message; back to the problem page."""
    try:
        result = action(**kwargs)
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        message = SUCCESS_MESSAGES.get(action)
        if action is workflow.problem_dispatch and result.due_at is None:
            message = _(
                "The problem was dispatched so the department can prepare; its deadline "
                "starts when the face-to-face meeting of %(date)s is held."
            ) % {"date": formats.date_format(result.meeting.local_date)}
        if message:
            messages.success(request, message)
    return redirect("issues:detail", reference=problem.reference)


def _act_on(request, problem: Problem, data, action, **kwargs):
    """`_act` for an action on the problem by the user, from a form carrying its version."""
    return _act(
        request,
        problem,
        action,
        problem_id=problem.pk,
        actor=request.user,
        expected_version=data["version"],
        **kwargs,
    )


# --- submit ------------------------------------------------------------------------------


def _submitted_message(problem: Problem, *, on_behalf: bool) -> str:
    """What the enterprise, or the office that registered it for one, needs to hear next."""
    if not on_behalf:
        return _("Problem %(ref)s was submitted. The liaison office will dispatch it.") % {
            "ref": problem.reference
        }
    return format_html(
        '{} <a href="{}#dispatch">{}</a> · <a href="{}">{}</a>',
        _("%(ref)s is registered for %(enterprise)s and waits for dispatch.")
        % {"ref": problem.reference, "enterprise": problem.enterprise.name},
        reverse("issues:detail", kwargs={"reference": problem.reference}),
        _("Dispatch it now"),
        reverse("issues:register"),
        _("Register another"),
    )


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
                appeal_type=data.get("appeal_type") or "",
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
            messages.success(request, _submitted_message(problem, on_behalf=enterprise is None))
            return redirect("issues:detail", reference=problem.reference)
    return render(request, template, {"form": form, "enterprise": enterprise})


@takes_attachments
@role_required(permissions.is_enterprise_user)
@require_http_methods(["GET", "POST"])
def problem_submit(request):
    enterprise = request.user.profile.enterprise
    return _submit(
        request,
        forms.ProblemSubmitForm,
        "issues/problem_submit.html",
        enterprise=enterprise,
        meetings=extensions.meetings().open_for_submission(enterprise=enterprise),
    )


@takes_attachments
@role_required(permissions.can_register_on_behalf)
@require_http_methods(["GET", "POST"])
def problem_register(request):
    return _submit(
        request,
        forms.ProblemRegisterForm,
        "issues/problem_register.html",
        meetings=extensions.meetings().open_for_submission(enterprise=None),
    )


# --- the problem page --------------------------------------------------------------------


@login_required
@require_GET
def problem_detail(request, reference: str):
    # The permission check (404 unless visible) and the page's load: one query.
    with joins_planned_as_written(Problem):
        problem = get_object_or_404(
            problem_page.problem_page_queryset(request.user), reference=reference
        )
    context = _problem_page_context(request.user, problem, loaded=True)
    context["now"] = timezone.now()
    if not context["is_enterprise"]:
        # An official read an enterprise's problem (the enterprise reading its own is not).
        audit.record(request, Action.VIEWED_PROBLEM, problem)
    return render(request, "issues/problem_detail.html", context)


@role_required(permissions.can_print_dispatch_sheet)
@require_GET
def dispatch_sheet(request, reference: str):
    """The printable dispatch sheet (交办单) of an accepted problem, with room to sign."""
    problem = get_object_or_404(
        selectors.with_dispatch_sheet_relations(selectors.visible_to(request.user)),
        reference=reference,
    )
    if problem.status not in ACCEPTED_STATUSES:
        messages.info(request, _("This problem has not been dispatched: it has no dispatch sheet."))
        return redirect("issues:detail", reference=problem.reference)
    audit.record(request, Action.PRINTED, problem, detail="dispatch sheet")
    context = {
        "problem": problem,
        "dispatch": selectors.last_dispatch(problem),
        "district_leader": problem.district_leader,
        "contact_phones": selectors.contact_phones_for(
            request.user, enterprise_ids=[problem.enterprise_id], problem=problem
        ),
        "working_days": settings.LIAISON_DEADLINE_WORKING_DAYS,
        "now": timezone.now(),
    }
    return render(request, "issues/dispatch_sheet.html", context)


def _action_forms(
    problem: Problem, allowed: frozenset[str], *, is_enterprise: bool, outcomes=()
) -> dict:
    """The empty form of each action in `allowed` (problem_page.problem_actions), by name."""
    version = {"version": problem.version}
    makers = {
        # The id, not the department: the form's choices hold it, no query needed.
        "dispatch": lambda: forms.DispatchForm(
            initial={
                **version,
                "lead_department": problem.category.default_lead_department_id,
                "appeal_type": problem.appeal_type,
            }
        ),
        "appeal_type": lambda: forms.AppealTypeForm(
            initial={**version, "appeal_type": problem.appeal_type}
        ),
        "reject": lambda: forms.RejectForm(initial=version, problem=problem),
        "acknowledge": lambda: forms.VersionedForm(initial=version),
        "return": lambda: forms.ReasonForm(initial=version),
        "progress": lambda: forms.ProgressForm(initial=version),
        # A second answer starts from the burden relief recorded with the first.
        "resolve": lambda: forms.ResolveForm(initial=version, outcomes=outcomes),
        "extension": lambda: forms.ExtensionRequestForm(initial=version),
        "assign": lambda: forms.AssignHandlerForm(
            initial={**version, "handler": problem.handler_id},
            department=problem.lead_department,
        ),
        "evaluate": lambda: forms.EvaluateForm(initial=version),
        "instruct": lambda: forms.InstructForm(initial=version),
        "decide_extension": lambda: forms.ExtensionDecisionForm(),
        "attach": forms.AttachForm,
    }
    actions = {name: make() for name, make in makers.items() if name in allowed}
    if "attach" in actions and is_enterprise:
        # An enterprise's files are always visible to it: no choice to offer.
        del actions["attach"].fields["is_public"]
    return actions


def _problem_page_context(
    user, problem: Problem, bound: dict | None = None, *, loaded: bool = False
) -> dict:
    """The problem page's context: the selector's data, and a form for each allowed action.

    `bound`: forms the user sent that were refused, by action name; each replaces the
    empty form of that action (if the page offers it) and keeps only its fields.
    """
    context = problem_page.problem_page_context(user=user, problem=problem, loaded=loaded)
    actions = _action_forms(
        context["problem"],
        context["allowed_actions"],
        is_enterprise=context["is_enterprise"],
        outcomes=context["relief_outcomes"],
    )
    for name, form in (bound or {}).items():
        if name in actions:
            for field in set(form.fields) - set(actions[name].fields):
                del form.fields[field]
            actions[name] = form
    context["actions"] = actions
    return context


def _refused(request, problem: Problem, action: str, form):
    """The problem page again, with the refused form as the user filled it and its errors.

    Like the other forms of the site (200, the bound form): the user's choice stays and
    each error shows at its field, with a summary at the top of the form. If the page no
    longer offers that action (the problem moved on meanwhile), the errors are told as
    messages on the problem page instead.
    """
    context = _problem_page_context(request.user, problem, bound={action: form})
    if context["actions"].get(action) is not form:
        form_errors_to_messages(request, form)
        return redirect("issues:detail", reference=problem.reference)
    context["now"] = timezone.now()
    # The language switcher returns to the problem page: this URL takes only POST.
    context["page_url"] = reverse("issues:detail", kwargs={"reference": problem.reference})
    return render(request, "issues/problem_detail.html", context)


def _action_view(form_class, *, action: str, needs_problem_in_form=False):
    """Decorator for POST-only actions on one problem: load, validate, act, redirect.

    `action`: the form's name on the problem page (problem_page.problem_actions).
    """

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
                return _refused(request, problem, action, form)
            return handler(request, problem, form.cleaned_data)

        return view

    return decorator


@_action_view(forms.DispatchForm, action="dispatch")
def problem_dispatch(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_dispatch,
        lead_department=data["lead_department"],
        co_departments=data["co_departments"],
        responsible_leader=data["responsible_leader"],
        appeal_type=data["appeal_type"],
        note=data["note"],
    )


@_action_view(forms.AppealTypeForm, action="appeal_type")
def problem_set_appeal_type(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_set_appeal_type,
        appeal_type=data["appeal_type"],
        note=data["note"],
    )


@_action_view(forms.RejectForm, action="reject", needs_problem_in_form=True)
def problem_reject(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_reject,
        reason=data["reason"],
        duplicate_of=data["duplicate_of"],
    )


@_action_view(forms.ReasonForm, action="return")
def problem_return(request, problem, data):
    response = _act_on(
        request,
        problem,
        data,
        workflow.problem_return,
        reason=data["reason"],
    )
    # After a return the department no longer sees the problem: go back to its desk.
    if not selectors.visible_to(request.user).filter(pk=problem.pk).exists():
        return redirect("issues:department")
    return response


@_action_view(forms.VersionedForm, action="acknowledge")
def problem_acknowledge(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_acknowledge,
    )


@_action_view(forms.ProgressForm, action="progress")
def problem_progress(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_add_progress,
        text=data["text"],
        is_public=data["is_public"],
    )


@_action_view(forms.ExtensionRequestForm, action="extension")
def problem_request_extension(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_request_extension,
        days=data["days"],
        reason=data["reason"],
    )


@_action_view(forms.ResolveForm, action="resolve")
def problem_resolve(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_resolve,
        answer=data["answer"],
        outcomes=data["outcomes"],
    )


@_action_view(forms.EvaluateForm, action="evaluate")
def problem_evaluate(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_evaluate,
        satisfaction=data["satisfaction"],
        reason=data["reason"],
    )


@_action_view(forms.InstructForm, action="instruct")
def problem_instruct(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_instruct,
        text=data["text"],
    )


@_action_view(forms.AssignHandlerForm, action="assign")
def problem_assign_handler(request, problem, data):
    return _act_on(
        request,
        problem,
        data,
        workflow.problem_assign_handler,
        handler=data["handler"],
    )


@takes_attachments
@login_required
@require_POST
def problem_attach(request, reference: str):
    problem = _load(request, reference)
    form = forms.AttachForm(request.POST, request.FILES)
    if not form.is_valid():
        return _refused(request, problem, "attach", form)
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
    back = safe_next(
        request, reverse("issues:detail", kwargs={"reference": extension.problem.reference})
    )
    if not form.is_valid():
        if "approve" in form.errors:
            messages.error(request, _("Choose approve or deny."))
        else:
            form_errors_to_messages(request, form)
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
    audit.record(
        request,
        Action.DOWNLOADED_ATTACHMENT,
        attachment,
        enterprise=attachment.problem.enterprise_id,
        label=f"{attachment.problem.reference} {attachment.original_name}",
    )
    return stored_file_download(
        files.path_of(attachment.stored_name),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )
