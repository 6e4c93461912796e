"""The burden-relief edit page (减负) of an answered problem: lead department and office."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from .. import problem_page, selectors, workflow
from ..forms import VersionedForm
from .forms import outcome_formset


@login_required
@require_http_methods(["GET", "POST"])
def relief_edit(request, reference: str):
    problem = get_object_or_404(selectors.visible_to(request.user), reference=reference)
    if not problem_page.can_edit_relief(request.user, problem):
        messages.error(
            request,
            _(
                "Burden relief is recorded by the lead department or the liaison office, "
                "on an answered problem not yet closed."
            ),
        )
        return redirect("issues:detail", reference=problem.reference)
    outcomes = problem_page.relief_outcomes_of(problem)
    version = VersionedForm(request.POST or None, initial={"version": problem.version})
    formset = outcome_formset(request.POST or None, outcomes=outcomes)
    if request.method == "POST" and version.is_valid() and formset.is_valid():
        try:
            workflow.relief_outcomes_set(
                problem_id=problem.pk,
                actor=request.user,
                lines=formset.lines(),
                expected_version=version.cleaned_data["version"],
            )
        except workflow.TransitionError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The burden relief was saved."))
            return redirect("issues:detail", reference=problem.reference)
    return render(
        request,
        "issues/relief_edit.html",
        {"problem": problem, "version_form": version, "formset": formset},
    )
