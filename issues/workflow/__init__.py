"""The problem state machine: every transition of DESIGN.md §4, and the only writer of status.

Each transition locks the problem row (SELECT ... FOR UPDATE; on SQLite the
IMMEDIATE transaction serialises writers), re-checks the state and the actor's
right on the locked row, applies the change with a conditional UPDATE guarded
by the version it read, and writes its ProblemEvent and the event's outbox rows
(issues.notifications) in the same transaction; delivery is queued after the
commit. Two clicks, two tabs or two users acting at once therefore apply a
transition once; the loser gets a TransitionError saying what happened.

The transitions live in this package's modules by job: base (errors, locking, saving,
recording events), intake (submit, dispatch, reject, return), handling (acknowledge,
progress, extensions, answer, instruct, assign), face_to_face (meetings' clocks and
answers given there), closing (evaluate, reopen, auto-close), relief (the burden-relief
outcomes recorded with an answer), callbacks (the office's
call-backs and their review). The clock's arithmetic is
issues.clock. Import them from here: `from issues import workflow`.
"""

from ..clock import (
    AUTO_CLOSE_WORKING_DAYS,
    SECOND_ESCALATION_WORKING_DAYS,
    SWEPT_TIMES,
    TRIAGE_WORKING_DAYS,
    WARNING_WORKING_DAYS,
    Deadline,
    autoclose_at_from,
    deadline_from,
    deadline_moved_fields,
    extended_deadline,
    fresh_clock_fields,
    kept_revision,
    remind_at_from,
)
from .base import (
    RESUBMIT_RECENT,
    RESUBMIT_WINDOW,
    ClaimLost,
    DuplicateSubmission,
    NotAllowed,
    RecordedEvent,
    StaleProblem,
    TransitionError,
    WrongState,
    lock_problem,
    record_event,
    record_events_once,
    record_problem_events_once,
)
from .callbacks import (
    REVIEW_CLOSE,
    REVIEW_REOPEN,
    callback_record,
    callback_review,
)
from .closing import (
    AUTO_CLOSE_DEDUPE_KEY,
    problem_auto_close,
    problem_evaluate,
    problem_reopen,
    problems_auto_close,
)
from .face_to_face import (
    MEETING_GROUP_ABOVE,
    MEETING_HELD_DEDUPE_KEY,
    problem_answer_on_site,
    problems_start_meeting_clock,
)
from .handling import (
    problem_acknowledge,
    problem_add_progress,
    problem_assign_handler,
    problem_decide_extension,
    problem_instruct,
    problem_request_extension,
    problem_resolve,
)
from .intake import (
    problem_dispatch,
    problem_reject,
    problem_return,
    problem_set_appeal_type,
    problem_submit,
)
from .merging import (
    MergeRefused,
    check_mergeable,
    problem_unmerge,
    problems_merge,
)
from .relief import (
    OutcomeLine,
    relief_outcomes_set,
)

__all__ = [
    "MergeRefused",
    "check_mergeable",
    "problem_unmerge",
    "problems_merge",
    "AUTO_CLOSE_DEDUPE_KEY",
    "AUTO_CLOSE_WORKING_DAYS",
    "ClaimLost",
    "REVIEW_CLOSE",
    "REVIEW_REOPEN",
    "callback_record",
    "callback_review",
    "Deadline",
    "DuplicateSubmission",
    "MEETING_GROUP_ABOVE",
    "MEETING_HELD_DEDUPE_KEY",
    "NotAllowed",
    "RESUBMIT_RECENT",
    "RESUBMIT_WINDOW",
    "SECOND_ESCALATION_WORKING_DAYS",
    "SWEPT_TIMES",
    "StaleProblem",
    "TRIAGE_WORKING_DAYS",
    "TransitionError",
    "WARNING_WORKING_DAYS",
    "WrongState",
    "autoclose_at_from",
    "deadline_from",
    "deadline_moved_fields",
    "extended_deadline",
    "fresh_clock_fields",
    "kept_revision",
    "lock_problem",
    "problem_acknowledge",
    "problem_add_progress",
    "problem_answer_on_site",
    "problem_assign_handler",
    "problem_auto_close",
    "problem_decide_extension",
    "problem_dispatch",
    "problem_evaluate",
    "problem_instruct",
    "problem_reject",
    "problem_reopen",
    "problem_request_extension",
    "problem_resolve",
    "problem_return",
    "problem_set_appeal_type",
    "problem_submit",
    "problems_auto_close",
    "problems_start_meeting_clock",
    "record_event",
    "record_events_once",
    "record_problem_events_once",
    "RecordedEvent",
    "OutcomeLine",
    "relief_outcomes_set",
    "remind_at_from",
]
