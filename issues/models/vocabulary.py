"""The words of a problem's life: text limits, statuses, channels, appeal types,
evaluations and timeline event kinds (plain choices, no tables)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

# How long the texts people type about a problem may be (characters; Problem.title is 120):
# far more than anyone writes, far less than what would swamp a timeline or an e-mail.
# The forms check them (issues.forms, meetings.forms for an answer given at a meeting).
DESCRIPTION_MAX_LENGTH = 5000  # a problem's description
ANSWER_MAX_LENGTH = 5000  # the answer to the enterprise, a progress note
NOTE_MAX_LENGTH = 2000  # a reason, a note, an instruction, an evaluation's comment


class Status(models.TextChoices):
    SUBMITTED = "submitted", _("Submitted")
    DISPATCHED = "dispatched", _("Dispatched")
    IN_PROGRESS = "in_progress", _("In progress")
    RESOLVED = "resolved", _("Answered, awaiting evaluation")
    CLOSED = "closed", _("Concluded")
    REJECTED = "rejected", _("Not accepted")


OPEN_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS)
CONCLUDED_STATUSES = (Status.RESOLVED, Status.CLOSED)
ACCEPTED_STATUSES = (Status.DISPATCHED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED)
# With a stored time still ahead: the office's reminder, the deadline, or the auto-close.
UNFINISHED_STATUSES = (Status.SUBMITTED, *OPEN_STATUSES, Status.RESOLVED)


class Channel(models.TextChoices):
    WEB = "web", _("Web form")
    MEETING = "meeting", _("Face-to-face meeting")
    VISIT = "visit", _("Visit")
    PHONE = "phone", _("Phone")
    # From another system through the API (issue 14): the city's 12345 hotline, the
    # provincial enterprise service portal, or any other.
    HOTLINE = "hotline", _("12345 hotline")
    PORTAL = "portal", _("Enterprise service portal")
    SYSTEM = "system", _("Another system")


class AppealType(models.TextChoices):
    """What the enterprise asks for (诉求类型): the office chooses it at triage, the
    enterprise may suggest it; the dashboard counts problems by it."""

    # A context of their own: "consultation" is also 会商 (DESIGN.md §1).
    CONSULTATION = "consultation", pgettext_lazy("appeal type", "Consultation")
    REQUEST = "request", pgettext_lazy("appeal type", "Request for a solution")
    SUGGESTION = "suggestion", pgettext_lazy("appeal type", "Suggestion")
    COMPLAINT = "complaint", pgettext_lazy("appeal type", "Complaint")


# A problem nobody classified yet (and every problem before appeal types existed,
# migration issues.0009_appeal_type) asks for a solution: the programme's usual case.
DEFAULT_APPEAL_TYPE = AppealType.REQUEST


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("Satisfied")
    BASICALLY = "basically", _("Basically satisfied")
    UNSATISFIED = "unsatisfied", _("Unsatisfied")
    NOT_EVALUATED = "not_evaluated", _("Not evaluated")


class EvaluationSource(models.TextChoices):
    """How a problem's evaluation was obtained (blank: not evaluated yet)."""

    ENTERPRISE = "enterprise", _("By the enterprise")
    CALLBACK = "callback", _("By call-back")
    NONE = "none", _("Closed without evaluation")


class EventKind(models.TextChoices):
    # Same English words as some statuses, but an event is an action: its own context.
    SUBMITTED = "submitted", pgettext_lazy("timeline event", "Submitted")
    DISPATCHED = "dispatched", pgettext_lazy("timeline event", "Dispatched")
    REJECTED = "rejected", pgettext_lazy("timeline event", "Not accepted")
    RETURNED = "returned", _("Returned to the office")
    ACKNOWLEDGED = "acknowledged", _("Acknowledged")
    PROGRESS = "progress", _("Progress")
    EXTENSION_REQUESTED = "extension_requested", _("Extension requested")
    EXTENSION_APPROVED = "extension_approved", _("Extension approved")
    EXTENSION_DENIED = "extension_denied", _("Extension denied")
    RESOLVED = "resolved", _("Answered")
    EVALUATED = "evaluated", _("Evaluated")
    REOPENED = "reopened", _("Reopened")
    AUTO_CLOSED = "auto_closed", _("Closed without evaluation")
    INSTRUCTED = "instructed", _("Leader's instruction")
    HANDLER_ASSIGNED = "handler_assigned", _("Handler assigned")
    ATTACHMENT_ADDED = "attachment_added", _("Attachment added")
    WARNED = "warned", _("Deadline warning")
    ESCALATED = "escalated", _("Escalated")
    REMINDED = "reminded", _("Office reminded")
    # Meetings (meetings app).
    MEETING_HELD = "meeting_held", _("Raised at the face-to-face meeting")
    ANSWERED_ON_SITE = "answered_on_site", _("Answered at the meeting")
    COORDINATION_CONVENED = "coordination", _("Coordination meeting convened")
    ACTION_ITEM_ADDED = "action_item_added", _("Action item decided")
    ACTION_ITEM_DONE = "action_item_done", _("Action item done")
    # Consultation before the deadline (会商): the lead department asks the leader for a
    # coordination meeting; accepting convenes it (COORDINATION_CONVENED). Internal.
    CONSULTATION_REQUESTED = "consultation_requested", _("Coordination meeting requested")
    CONSULTATION_DECLINED = "consultation_declined", _("Coordination meeting request declined")
    CONSULTATION_WITHDRAWN = "consultation_withdrawn", _("Coordination meeting request withdrawn")
    # A calendar edit moved the deadline of an escalated problem into the future.
    ESCALATION_WITHDRAWN = "escalation_withdrawn", _("Escalation withdrawn: the calendar changed")
    # Call-backs (回访): the office records the evaluation on the enterprise's behalf; an
    # unsatisfied one is reviewed: reopened (REOPENED) or closed with a reason (internal).
    EVALUATED_BY_CALLBACK = "evaluated_by_callback", _("Evaluated by call-back")
    CALLBACK_CLOSED = "callback_closed", _("Closed after call-back review")
    # Burden relief (减负): the outcome lines edited after the answer. Internal.
    RELIEF_EDITED = "relief_edited", _("Burden relief outcomes edited")
    # Merging shared problems (并单, issues.workflow.merging). On the merged problem
    # (public: its enterprise is told it is handled with a main problem) and on the main
    # one (internal: it names the other enterprises' problems).
    MERGED = "merged", _("Handled together with a main problem")
    MERGED_IN = "merged_in", _("Other enterprises' problems merged in")
    UNMERGED = "unmerged", _("Merge undone")
    MAIN_REOPENED = "main_reopened", _("Handled again with the main problem")
    # The office changed the appeal type after triage (internal).
    APPEAL_TYPE_CHANGED = "appeal_type_changed", _("Appeal type changed")
