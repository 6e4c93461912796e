"""Key-task pages: thin views that load with a permission check, call one service, redirect."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

import audit
from audit.models import Action
from issues import attachments as files
from liaison import permissions, workdays
from liaison.downloads import stored_file_download
from liaison.middleware import accepts_uploads
from liaison.pages import form_errors_to_messages, role_required
from liaison.replicas import reads_may_lag
from liaison.xlsx import xlsx_response

from . import exports, selectors, services
from . import forms as task_forms
from .filters import KeyTaskFilter
from .models import KeyTask, ReportAttachment


def _today():
    return workdays.local_date(timezone.now())


def _year(request) -> int:
    value = request.GET.get("year", "")
    if value.isdigit() and 2000 <= int(value) <= 2100:
        return int(value)
    return _today().year


def _load(request, pk: int) -> KeyTask:
    """The task if the user may see it, else 404 (never 403)."""
    return get_object_or_404(selectors.visible_to(request.user), pk=pk)


def _back_to(pk: int):
    return redirect("keytasks:task_detail", pk=pk)


def _call(request, service, success: str, **kwargs) -> bool:
    try:
        service(actor=request.user, **kwargs)
    except services.KeyTaskError as error:
        messages.error(request, error.message)
        return False
    messages.success(request, success)
    return True


@role_required(permissions.can_see_key_tasks)
@require_GET
def task_list(request):
    """The year's key tasks, filtered by leader, department, status; overdue milestones flagged."""
    year = _year(request)
    today = _today()
    tasks = selectors.task_list(selectors.visible_to(request.user).filter(year=year), today)
    task_filter = KeyTaskFilter(request.GET or None, queryset=tasks)
    rows = list(task_filter.qs)
    return render(
        request,
        "keytasks/task_list.html",
        {
            "year": year,
            "years": sorted({*selectors.years(request.user), today.year}, reverse=True),
            "filter": task_filter,
            "tasks": rows,
            "summary": selectors.year_summary(rows),
            "can_create": permissions.can_create_key_task(request.user),
        },
    )


@role_required(permissions.can_create_key_task)
@require_http_methods(["GET", "POST"])
def task_create(request):
    form = task_forms.KeyTaskForm(request.POST or None, initial={"year": _today().year})
    if request.method == "POST" and form.is_valid():
        try:
            task = services.key_task_create(actor=request.user, **form.cleaned_data)
        except services.KeyTaskError as error:
            messages.error(request, error.message)
        else:
            messages.success(request, _("The key task was added. Add its milestones."))
            return _back_to(task.pk)
    return render(request, "keytasks/task_form.html", {"form": form})


@role_required(permissions.can_see_key_tasks)
@require_GET
def task_detail(request, pk: int):
    today = _today()
    task = get_object_or_404(selectors.task_for_page(request.user, pk, today))
    allowed = selectors.task_actions(user=request.user, task=task)
    makers = {
        "complete": lambda: task_forms.CompleteForm(initial={"version": task.version}),
        "add_milestone": task_forms.MilestoneForm,
        "tick_milestone": lambda: task_forms.MilestoneTickForm(initial={"done_date": today}),
        "link_problem": task_forms.LinkProblemForm,
        "link_meeting": task_forms.LinkMeetingForm,
        "report": task_forms.ProgressReportForm,
    }
    return render(
        request,
        "keytasks/task_detail.html",
        {
            "task": task,
            # Linked, but not for this user to open: only how many.
            "hidden_problems": task.problems_total - len(task.problems.all()),
            "hidden_meetings": task.meetings_total - len(task.coordination_meetings.all()),
            "today": today,
            "actions": {name: make() for name, make in makers.items() if name in allowed},
            "meetings": list(selectors.linkable_meetings()) if "link_meeting" in allowed else [],
        },
    )


@accepts_uploads(max_files=services.MAX_FILES_PER_REPORT, max_file_size=files.MAX_SIZE)
@role_required(permissions.can_see_key_tasks)
@require_POST
def report_add(request, pk: int):
    task = _load(request, pk)
    form = task_forms.ProgressReportForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.progress_report_add,
        _("Your progress report was recorded."),
        task_id=task.pk,
        text=form.cleaned_data["text"],
        percent=form.cleaned_data["percent"],
        uploads=request.FILES.getlist("files"),
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_POST
def milestone_add(request, pk: int):
    task = _load(request, pk)
    form = task_forms.MilestoneForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.milestone_add,
        _("The milestone was added."),
        task_id=task.pk,
        **form.cleaned_data,
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_POST
def milestone_tick(request, pk: int, milestone_pk: int):
    task = _load(request, pk)
    milestone = get_object_or_404(task.milestones, pk=milestone_pk)
    form = task_forms.MilestoneTickForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.milestone_tick,
        _("The milestone was marked done."),
        milestone_id=milestone.pk,
        **form.cleaned_data,
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_POST
def task_complete(request, pk: int):
    task = _load(request, pk)
    form = task_forms.CompleteForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.key_task_complete,
        _("The key task was marked done."),
        task_id=task.pk,
        version=form.cleaned_data["version"],
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_POST
def link_problem(request, pk: int):
    task = _load(request, pk)
    form = task_forms.LinkProblemForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.key_task_link_problem,
        _("The problem was linked to this key task."),
        task_id=task.pk,
        reference=form.cleaned_data["reference"],
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_POST
def link_meeting(request, pk: int):
    task = _load(request, pk)
    form = task_forms.LinkMeetingForm(request.POST)
    if not form.is_valid():
        form_errors_to_messages(request, form)
        return _back_to(task.pk)
    _call(
        request,
        services.key_task_link_meeting,
        _("The coordination meeting was linked to this key task."),
        task_id=task.pk,
        meeting_id=form.cleaned_data["meeting"],
    )
    return _back_to(task.pk)


@role_required(permissions.can_see_key_tasks)
@require_GET
def attachment_download(request, pk: int):
    """A report's file, only to a user who may see its key task."""
    attachment = get_object_or_404(ReportAttachment.objects.select_related("report"), pk=pk)
    if not selectors.visible_to(request.user).filter(pk=attachment.report.task_id).exists():
        raise Http404
    audit.record(request, Action.DOWNLOADED_ATTACHMENT, attachment, label=attachment.original_name)
    return stored_file_download(
        files.path_of(attachment.stored_name),
        filename=attachment.original_name,
        content_type=attachment.content_type,
    )


def _year_tasks(request, year: int):
    tasks = selectors.task_list(selectors.visible_to(request.user).filter(year=year), _today())
    return list(tasks.prefetch_related("milestones"))


@role_required(permissions.can_see_key_tasks)
@require_GET
def year_print(request):
    """The year's tasks for the year-end review, printed one after another (each kept on
    one page where it fits)."""
    year = _year(request)
    tasks = _year_tasks(request, year)
    audit.record(
        request, Action.PRINTED, object_type="key tasks", label=exports.year_title(year, tasks)
    )
    return render(
        request,
        "keytasks/year_print.html",
        {
            "year": year,
            "tasks": tasks,
            "title": exports.year_title(year, tasks),
            "now": timezone.now(),
        },
    )


@role_required(permissions.can_see_key_tasks)
@require_GET
@reads_may_lag
def year_xlsx(request):
    year = _year(request)
    content = exports.year_xlsx(year, _year_tasks(request, year))
    filename = exports.year_filename(year)
    audit.record(request, Action.EXPORTED, object_type="key tasks", label=filename)
    return xlsx_response(content, filename)
