"""Writes of what enterprises see: publishing a common problem (warned when its text names
an enterprise), withdrawing it, and an enterprise's "this concerns us too" (co-sign)."""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import DESCRIPTION_MAX_LENGTH as PROBLEM_DESCRIPTION_MAX_LENGTH
from issues.models import Problem

from . import access
from .models import (
    NOTE_MAX_LENGTH,
    PUBLISHED_TEXT_MAX_LENGTH,
    TITLE_MAX_LENGTH,
    CommonProblem,
    CommonProblemLink,
)
from .names import enterprises_named_in
from .services import (
    Kind,
    PolicyError,
    Status,
    _clean,
    _event,
    _link,
    _locked,
    _manager,
    _require,
    _touch,
)

# A problem's title is at most this long (issues.Problem.title).
PROBLEM_TITLE_MAX_LENGTH = 120


class NamesEnterprises(PolicyError):
    """The text to publish names enterprises: the office must confirm."""

    def __init__(self, names: list[str]) -> None:
        super().__init__(
            _(
                "The text names an enterprise (%(names)s). Published common problems must not "
                "name enterprises: change the text, or confirm that it may be published."
            )
            % {"names": "、".join(names)}
        )
        self.names = names


class AlreadyCosigned(PolicyError):
    def __init__(self, problem: Problem) -> None:
        super().__init__(
            _(
                "Your enterprise has already said this concerns it too: its problem "
                "%(reference)s follows it."
            )
            % {"reference": problem.reference}
        )
        self.problem = problem


# --- publishing ------------------------------------------------------------------------


def common_problem_publish(
    *,
    actor,
    common_problem_id: int,
    expected_version: int,
    title: str,
    text: str,
    confirmed: bool = False,
    now: dt.datetime | None = None,
) -> CommonProblem:
    """Show the common problem to every enterprise user under `title` and `text`.

    If the texts name an enterprise, NamesEnterprises is raised unless `confirmed` (the
    office saw the warning and publishes anyway). Publishing again changes the texts.
    """
    now = now or timezone.now()
    _manager(actor)
    title = _clean(title, TITLE_MAX_LENGTH, _("Published title"))
    text = _clean(text, PUBLISHED_TEXT_MAX_LENGTH, _("Published text"))
    names = enterprises_named_in(title, text)
    if names and not confirmed:
        raise NamesEnterprises(names)
    with transaction.atomic():
        common_problem = _locked(common_problem_id, expected_version)
        _require(
            common_problem.status != Status.CLOSED,
            _("A closed common problem is not published."),
        )
        common_problem.published = True
        common_problem.published_title = title
        common_problem.published_text = text
        common_problem.published_at = common_problem.published_at or now
        _touch(
            common_problem, now, "published", "published_title", "published_text", "published_at"
        )
        note = (
            _("Published although it names %(names)s.") % {"names": "、".join(names)}
            if names
            else ""
        )
        _event(common_problem, actor, Kind.PUBLISHED, now, str(note))
    return common_problem


def common_problem_unpublish(
    *, actor, common_problem_id: int, expected_version: int, now: dt.datetime | None = None
) -> CommonProblem:
    now = now or timezone.now()
    _manager(actor)
    with transaction.atomic():
        common_problem = _locked(common_problem_id, expected_version)
        _require(common_problem.published, _("This common problem is not published."))
        common_problem.published = False
        _touch(common_problem, now, "published")
        _event(common_problem, actor, Kind.UNPUBLISHED, now)
    return common_problem


# --- "this concerns us too" ------------------------------------------------------------


def common_problem_cosign(
    *, actor, common_problem_id: int, note: str = "", now: dt.datetime | None = None
) -> Problem:
    """An enterprise user says a published common problem concerns its enterprise too.

    Raises a problem of the enterprise's own (issues.workflow.problem_submit: a
    submission the office triages) linked to the common problem. Once per enterprise:
    a second click raises AlreadyCosigned naming the first problem.
    """
    now = now or timezone.now()
    _require(access.can_cosign(actor), _("Only enterprise users can say this concerns them."))
    note = _clean(note, NOTE_MAX_LENGTH, _("How it concerns you"), required=False)
    enterprise = actor.profile.enterprise
    with transaction.atomic():
        # The common problem's row lock: a double click waits for the first, then sees it.
        common_problem = (
            CommonProblem.objects.select_for_update()
            .select_related("category")
            .filter(pk=common_problem_id, published=True)
            .first()
        )
        _require(common_problem is not None, _("This common problem is not published."))
        _require(
            common_problem.status != Status.CLOSED,
            _("This common problem is closed; raise a problem of your own instead."),
        )
        earlier = (
            CommonProblemLink.objects.filter(common_problem=common_problem, cosigned_by=enterprise)
            .select_related("problem")
            .first()
        )
        if earlier is not None:
            raise AlreadyCosigned(earlier.problem)
        category = common_problem.category
        _require(category.is_active, _("This common problem's category is no longer in use."))
        description = _("This concerns us too (common problem “%(title)s”).") % {
            "title": common_problem.published_title
        }
        description = f"{description}\n\n{common_problem.published_text}"
        if note:
            description = f"{description}\n\n{note}"
        description = description[:PROBLEM_DESCRIPTION_MAX_LENGTH]
        try:
            with transaction.atomic():
                problem = workflow.problem_submit(
                    actor=actor,
                    enterprise=enterprise,
                    title=common_problem.published_title[:PROBLEM_TITLE_MAX_LENGTH],
                    description=description,
                    category=category,
                    now=now,
                )
                _link(common_problem, actor, [problem], now, cosigned_by=enterprise)
        except workflow.TransitionError as error:
            raise PolicyError(str(error)) from None
        except IntegrityError:
            earlier = CommonProblemLink.objects.filter(
                common_problem=common_problem, cosigned_by=enterprise
            ).first()
            if earlier is None:
                raise
            raise AlreadyCosigned(earlier.problem) from None
        _touch(common_problem, now)
    return problem
