"""Writes on problems that are not state transitions: attachments, categories."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from liaison import permissions

from . import attachments as files
from . import workflow
from .models import Attachment, EventKind, Problem, ProblemEvent


def attachment_add_many(
    *,
    problem: Problem,
    actor,
    uploads: list,
    stored: list[str],
    is_public: bool = True,
    event: ProblemEvent | None = None,
    now: dt.datetime | None = None,
) -> list[Attachment]:
    """Check and store files for `problem`, inside the caller's transaction.

    Every check runs before anything is written. The stored names are appended to
    `stored` as they are written, so that the caller can remove them if its
    transaction fails.
    """
    checked = [files.check_upload(upload) for upload in uploads]
    existing = problem.attachments.count()
    if existing + len(uploads) > files.MAX_PER_PROBLEM:
        raise workflow.TransitionError(
            _("A problem may have at most %(max)d attachments; it has %(n)d already.")
            % {"max": files.MAX_PER_PROBLEM, "n": existing}
        )
    now = now or timezone.now()
    created = []
    for upload, info in zip(uploads, checked, strict=True):
        stored_name, sha256 = files.store(upload)
        stored.append(stored_name)
        created.append(
            Attachment(
                problem=problem,
                event=event,
                uploaded_by=actor,
                uploaded_at=now,
                original_name=info.original_name,
                stored_name=stored_name,
                content_type=info.content_type,
                size=info.size,
                sha256=sha256,
                is_public=is_public,
            )
        )
    return Attachment.objects.bulk_create(created)


def problem_submit_with_files(*, uploads: list, **submit_kwargs) -> Problem:
    """Submit a problem and its attachments atomically: all of it, or nothing."""
    if not uploads:
        return workflow.problem_submit(**submit_kwargs)  # atomic on its own
    stored: list[str] = []
    try:
        with transaction.atomic():
            problem = workflow.problem_submit(**submit_kwargs)
            event = problem.events.get(kind=EventKind.SUBMITTED)
            attachment_add_many(
                problem=problem,
                actor=submit_kwargs["actor"],
                uploads=uploads,
                stored=stored,
                event=event,
                now=event.created_at,
            )
    except Exception:
        for name in stored:
            files.discard(name)
        raise
    return problem


def problem_attach(
    *,
    problem_id: int,
    actor,
    uploads: list,
    is_public: bool = True,
    now: dt.datetime | None = None,
) -> list[Attachment]:
    """Add files to an existing problem (enterprise: its own; departments: lead or co)."""
    if not uploads:
        raise workflow.TransitionError(_("Choose at least one file."))
    now = now or timezone.now()
    stored: list[str] = []
    try:
        with transaction.atomic():
            problem = workflow.lock_problem(problem_id)
            if not permissions.can_attach(actor, problem):
                raise workflow.NotAllowed(_("You may not add files to this problem."))
            if permissions.is_enterprise_user(actor):
                is_public = True
            created = attachment_add_many(
                problem=problem,
                actor=actor,
                uploads=uploads,
                stored=stored,
                is_public=is_public,
                now=now,
            )
            # Through the workflow's helper, so that the event is notified after commit.
            event = workflow.record_event(
                problem,
                actor=actor,
                kind=EventKind.ATTACHMENT_ADDED,
                text=", ".join(a.original_name for a in created),
                is_public=is_public,
                now=now,
            )
            Attachment.objects.filter(pk__in=[a.pk for a in created]).update(event=event)
            for attachment in created:
                attachment.event = event
    except Exception:
        for name in stored:
            files.discard(name)
        raise
    return created
