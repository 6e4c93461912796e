"""Call-backs (回访), the office's pages: the queue (to call, to review, done) and one
problem's call-back page, with the form to record a call and the review of an
unsatisfied one. Office only: for everyone else the pages do not exist (404)."""

from __future__ import annotations

from django.contrib import messages
from django.db.models import Exists, OuterRef, Value
from django.db.models.functions import Mod
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from liaison import permissions
from liaison.pages import form_errors_to_messages, page_of, role_required

from . import forms, selectors, workflow
from .models import CallBack, EvaluationSource, Problem, Status
from .workflow.callbacks import awaiting_evaluation

# The queue's sample of problems the enterprise evaluated itself, called to check: one in
# SAMPLE_EVERY by id, so the sample is the same on every page and for every caller.
SAMPLE_EVERY = 10
TABS = ("to_call", "review", "sample", "done")


def _pending_review():
    return CallBack.objects.filter(problem=OuterRef("pk"), review=CallBack.Review.PENDING)


def to_call():
    """Answered and not evaluated (nor waiting for review), oldest answer first."""
    return (
        selectors.with_list_relations(Problem.objects.filter(status=Status.RESOLVED))
        .filter(~Exists(_pending_review()))
        .order_by("last_resolved_at", "id")
    )


def sample():
    """The sample to check: one in SAMPLE_EVERY of the problems the enterprise evaluated
    itself, not called back yet, the latest closed first."""
    return (
        selectors.with_list_relations(
            Problem.objects.filter(
                status=Status.CLOSED, evaluation_source=EvaluationSource.ENTERPRISE
            )
        )
        .annotate(sample_slot=Mod("pk", Value(SAMPLE_EVERY)))
        .filter(sample_slot=0)
        .filter(~Exists(CallBack.objects.filter(problem=OuterRef("pk"))))
        .order_by("-closed_at", "-id")
    )


def _callbacks():
    return CallBack.objects.select_related(
        "problem", "problem__enterprise", "called_by", "reviewed_by"
    )


def to_review():
    return _callbacks().filter(review=CallBack.Review.PENDING).order_by("called_at", "id")


def done():
    return _callbacks().exclude(review=CallBack.Review.PENDING).order_by("-recorded_at", "-id")


@role_required(permissions.is_office)
@require_GET
def callback_queue(request):
    tab = request.GET.get("tab", "to_call")
    if tab not in TABS:
        tab = "to_call"
    queries = {
        "to_call": to_call(),
        "review": to_review(),
        "sample": sample(),
        "done": done(),
    }
    counts = {"to_call": queries["to_call"].count(), "review": queries["review"].count()}
    return render(
        request,
        "issues/callback_queue.html",
        {
            "tab": tab,
            "counts": counts,
            "page": page_of(request, queries[tab]),
            "querystring": f"tab={tab}",
            "now": timezone.now(),
        },
    )


def _load(request, reference: str) -> Problem:
    return get_object_or_404(
        selectors.visible_to(request.user).select_related("enterprise", "lead_department"),
        reference=reference,
    )


def _page(request, problem, form=None, review_form=None, status=200):
    history = list(
        problem.callbacks.select_related("called_by", "reviewed_by").order_by("-called_at", "-id")
    )
    pending = next((c for c in history if c.review == CallBack.Review.PENDING), None)
    awaiting = awaiting_evaluation(problem, pending is not None)
    if form is None:
        form = forms.CallBackForm(
            initial={
                "version": problem.version,
                "called_at": timezone.localtime().replace(second=0, microsecond=0),
            }
        )
    if review_form is None and pending is not None:
        review_form = forms.CallBackReviewForm(initial={"version": problem.version})
    return render(
        request,
        "issues/callback_page.html",
        {
            "problem": problem,
            "history": history,
            "pending": pending,
            "awaiting": awaiting,
            "can_record": awaiting or problem.status in (Status.RESOLVED, Status.CLOSED),
            "form": form,
            "review_form": review_form,
        },
        status=status,
    )


@role_required(permissions.is_office)
@require_http_methods(["GET", "POST"])
def callback_page(request, reference: str):
    """One problem's call-backs; POST records one (an evaluation, or a check)."""
    problem = _load(request, reference)
    if request.method == "GET":
        # An official read an enterprise's problem, as on the problem page.
        audit.record(request, Action.VIEWED_PROBLEM, problem, detail="call-back")
        return _page(request, problem)
    form = forms.CallBackForm(request.POST)
    if not form.is_valid():
        return _page(request, problem, form=form)
    data = form.cleaned_data
    pending = problem.callbacks.filter(review=CallBack.Review.PENDING).exists()
    try:
        callback = workflow.callback_record(
            problem_id=problem.pk,
            actor=request.user,
            outcome=data["outcome"],
            satisfaction=data["satisfaction"],
            said=data["said"],
            called_at=data["called_at"],
            check=not awaiting_evaluation(problem, pending),
            expected_version=data["version"],
        )
    except workflow.StaleProblem as error:
        messages.error(request, error.message)
        return redirect("issues:callback", reference=problem.reference)
    except workflow.TransitionError as error:
        form.add_error(None, error.message)
        return _page(request, problem, form=form)
    if callback.is_check:
        messages.success(request, _("The call-back was recorded as a check."))
    elif callback.review == CallBack.Review.PENDING:
        messages.success(
            request, _("The unsatisfied evaluation was recorded; it now waits for review.")
        )
    elif callback.outcome == CallBack.Outcome.NOT_REACHED:
        messages.success(request, _("The call-back was recorded: the enterprise was not reached."))
    else:
        messages.success(request, _("The evaluation was recorded on the enterprise's behalf."))
    return redirect("issues:callbacks")


@role_required(permissions.is_office)
@require_POST
def callback_review(request, reference: str):
    problem = _load(request, reference)
    form = forms.CallBackReviewForm(request.POST)
    pending = problem.callbacks.filter(review=CallBack.Review.PENDING).first()
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("issues:callback", reference=problem.reference)
    if pending is None:
        messages.error(request, _("This call-back was already reviewed; nothing was done."))
        return redirect("issues:callback", reference=problem.reference)
    try:
        workflow.callback_review(
            callback_id=pending.pk,
            actor=request.user,
            decision=form.cleaned_data["decision"],
            reason=form.cleaned_data["reason"],
            expected_version=form.cleaned_data["version"],
        )
    except workflow.TransitionError as error:
        messages.error(request, error.message)
        return redirect("issues:callback", reference=problem.reference)
    if form.cleaned_data["decision"] == workflow.REVIEW_REOPEN:
        messages.success(request, _("The problem was reopened; the department has a new deadline."))
    else:
        messages.success(request, _("The problem was closed; the reason is on its timeline."))
    return redirect("issues:detail", reference=problem.reference)
