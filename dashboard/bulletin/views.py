"""Bulletin pages: the archive, a month's bulletin (printable, .xlsx), the office's actions
(generate, regenerate a draft, foreword and publish) and the thresholds page."""

from __future__ import annotations

import datetime as dt

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import formats
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from liaison.pages import form_errors_to_messages, role_required
from liaison.replicas import reads_may_lag
from liaison.xlsx import xlsx_response

from . import export, selectors, services
from .forms import ForewordForm, GenerateForm, ThresholdsForm, VersionForm
from .models import BulletinThresholds
from .sections import previous_month


def _back_to(bulletin):
    return redirect("bulletin_detail", slug=bulletin.slug)


def _title(bulletin) -> str:
    return _("Monthly bulletin %(month)s") % {
        "month": formats.date_format(bulletin.month, "YEAR_MONTH_FORMAT")
    }


@role_required(selectors.can_see_bulletins)
@require_GET
@reads_may_lag
def archive(request):
    manages = selectors.can_manage_bulletins(request.user)
    return render(
        request,
        "dashboard/bulletin/archive.html",
        {
            "bulletins": list(selectors.archive(request.user)),
            "manages": manages,
            "generate_form": GenerateForm() if manages else None,
        },
    )


@role_required(selectors.can_see_bulletins)
@require_GET
@reads_may_lag
def detail(request, slug: str):
    bulletin = selectors.bulletin_for_page(request.user, slug)
    manages = selectors.can_manage_bulletins(request.user) and not bulletin.is_published
    return render(
        request,
        "dashboard/bulletin/detail.html",
        {
            "bulletin": bulletin,
            "title": _title(bulletin),
            "sections": selectors.sections_for_page(bulletin),
            "period": [dt.date.fromisoformat(day) for day in bulletin.snapshot["period"]],
            "previous": previous_month(bulletin.month),
            "as_of": parse_datetime(bulletin.snapshot["as_of"]),
            "manages": manages,
            "links_problems": selectors.can_see_all_problems(request.user),
            "foreword_form": ForewordForm(
                initial={"foreword": bulletin.foreword, "version": bulletin.version}
            )
            if manages
            else None,
        },
    )


@role_required(selectors.can_see_bulletins)
@require_GET
@reads_may_lag
def xlsx(request, slug: str):
    bulletin = selectors.bulletin_for_page(request.user, slug)
    filename = _("Monthly bulletin %(month)s.xlsx") % {"month": bulletin.slug}
    audit.record(request, Action.EXPORTED, object_type="bulletin", label=filename)
    return xlsx_response(export.bulletin_workbook(bulletin, _title(bulletin)), filename)


@role_required(selectors.can_manage_bulletins)
@require_POST
def generate(request):
    form = GenerateForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return redirect("bulletin_archive")
    try:
        bulletin, created = services.bulletin_generate(
            month=form.cleaned_data["month"], by=request.user
        )
    except services.BulletinError as error:
        messages.error(request, error.message)
        return redirect("bulletin_archive")
    if created:
        messages.success(request, _("The bulletin was generated as a draft."))
    else:
        messages.info(request, _("That month's bulletin already exists: here it is."))
    return _back_to(bulletin)


@role_required(selectors.can_manage_bulletins)
@require_POST
def regenerate(request, slug: str):
    bulletin = selectors.bulletin_for_page(request.user, slug)
    form = VersionForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(bulletin)
    try:
        services.bulletin_regenerate(
            bulletin_id=bulletin.pk, by=request.user, version=form.cleaned_data["version"]
        )
    except services.BulletinError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("The draft's figures were counted again, as of now."))
    return _back_to(bulletin)


@role_required(selectors.can_manage_bulletins)
@require_POST
def foreword(request, slug: str):
    """Save the foreword, or save it and publish (the button pressed says which)."""
    bulletin = selectors.bulletin_for_page(request.user, slug)
    form = ForewordForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(bulletin)
    publish = request.POST.get("action") == "publish"
    values = {
        "bulletin_id": bulletin.pk,
        "by": request.user,
        "foreword": form.cleaned_data["foreword"],
        "version": form.cleaned_data["version"],
    }
    try:
        if publish:
            services.bulletin_publish(**values)
        else:
            services.bulletin_set_foreword(**values)
    except services.BulletinError as error:
        messages.error(request, error.message)
        return _back_to(bulletin)
    if publish:
        messages.success(
            request, _("The bulletin is published; the leaders and department heads were told.")
        )
    else:
        messages.success(request, _("The foreword was saved."))
    return _back_to(bulletin)


@role_required(selectors.can_manage_bulletins)
@require_http_methods(["GET", "POST"])
def thresholds(request):
    current = BulletinThresholds.current()
    initial = {
        "min_on_time_rate": current.min_on_time_rate,
        "min_satisfaction_rate": current.min_satisfaction_rate,
        "max_overdue": current.max_overdue,
        "min_rated": current.min_rated,
    }
    form = ThresholdsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.thresholds_update(by=request.user, **form.cleaned_data)
        except services.BulletinError as error:
            messages.error(request, error.message)
        else:
            messages.success(
                request, _("The thresholds were saved; the next bulletin generated applies them.")
            )
            return redirect("bulletin_thresholds")
    return render(request, "dashboard/bulletin/thresholds.html", {"form": form, "current": current})
