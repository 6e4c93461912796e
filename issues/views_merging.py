"""Merging shared problems (并单): the office's confirm page, the merge and its undoing."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

import audit
from audit.models import Action
from liaison import permissions
from liaison.pages import role_required

from . import selectors, workflow
from .models import Problem


class MergeForm(forms.Form):
    """Merge the page's problem into `into`, with the versions both were shown at."""

    into = forms.CharField(label=gettext_lazy("Main problem (reference)"), max_length=12)
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)
    main_version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def clean_into(self) -> str:
        return self.cleaned_data["into"].strip()


class UnmergeForm(forms.Form):
    version = forms.IntegerField(widget=forms.HiddenInput, required=False)


def _load(request, reference: str) -> Problem:
    return get_object_or_404(
        selectors.visible_to(request.user).select_related(
            "enterprise", "lead_department", "merged_into"
        ),
        reference=reference,
    )


@role_required(permissions.can_merge)
@require_http_methods(["GET", "POST"])
def problem_merge(request, reference: str):
    """GET ?into=REF: the confirm page (what the merge will do); POST: merge."""
    problem = _load(request, reference)
    form = MergeForm(request.POST if request.method == "POST" else request.GET or None)
    main = None
    if form.is_bound and form.is_valid():
        main = (
            selectors.visible_to(request.user)
            .select_related("enterprise", "lead_department")
            .filter(reference=form.cleaned_data["into"])
            .first()
        )
        if main is None:
            form.add_error("into", _("There is no problem with this reference."))
    if main is not None:
        try:
            workflow.check_mergeable(main, problem)
        except workflow.TransitionError as error:
            messages.error(request, error.message)
            return redirect("issues:detail", reference=problem.reference)
        if request.method == "POST":
            versions = {problem.pk: form.cleaned_data["version"]}
            if form.cleaned_data["main_version"] is not None:
                versions[main.pk] = form.cleaned_data["main_version"]
            try:
                workflow.problems_merge(
                    main_id=main.pk,
                    problem_ids=[problem.pk],
                    actor=request.user,
                    expected_versions={k: v for k, v in versions.items() if v is not None},
                )
            except workflow.TransitionError as error:
                messages.error(request, error.message)
                return redirect("issues:detail", reference=problem.reference)
            messages.success(
                request,
                _("%(ref)s is now handled with the main problem %(main)s; its enterprise was told.")
                % {"ref": problem.reference, "main": main.reference},
            )
            return redirect("issues:detail", reference=main.reference)
    if main is not None:
        # The confirm page shows both enterprises' problems: a read like the problem page's.
        audit.record(request, Action.VIEWED_PROBLEM, main, detail="merge")
    co_department = (
        problem.lead_department
        if main is not None
        and problem.lead_department_id is not None
        and problem.lead_department_id != main.lead_department_id
        else None
    )
    return render(
        request,
        "issues/problem_merge.html",
        {
            "problem": problem,
            "main": main,
            "form": form,
            "co_department": co_department,
        },
    )


@role_required(permissions.can_merge)
@require_POST
def problem_unmerge(request, reference: str):
    problem = _load(request, reference)
    form = UnmergeForm(request.POST)
    version = form.cleaned_data["version"] if form.is_valid() else None
    try:
        workflow.problem_unmerge(
            problem_id=problem.pk, actor=request.user, expected_version=version
        )
    except workflow.TransitionError as error:
        messages.error(request, error.message)
    else:
        messages.success(
            request, _("The merge was undone: the problem is handled on its own again.")
        )
    return redirect("issues:detail", reference=problem.reference)
