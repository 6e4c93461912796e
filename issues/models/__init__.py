"""Problems raised by enterprises, their append-only timeline, attachments, extension
requests and call-backs, one module each; this package is what the rest imports.

Only `issues.workflow` writes `Problem.status`; the database enforces the invariants
that must hold whatever code runs (valid states, a dispatched problem has a lead
department and a deadline, one pending extension request per problem, ...).
"""

# Burden relief (减负) lives in its own module; imported here so Django finds the model.
from issues.relief.models import ReliefKind, ReliefOutcome  # noqa: E402

from .events import ProblemEvent
from .handling import Attachment, CallBack, ExtensionRequest
from .problem import DISTRICT_LEADER, DISTRICT_LEADER_RELATIONS, Category, Problem, ReferenceCounter
from .vocabulary import (
    ACCEPTED_STATUSES,
    ANSWER_MAX_LENGTH,
    CONCLUDED_STATUSES,
    DEFAULT_APPEAL_TYPE,
    DESCRIPTION_MAX_LENGTH,
    NOTE_MAX_LENGTH,
    OPEN_STATUSES,
    UNFINISHED_STATUSES,
    AppealType,
    Channel,
    EvaluationSource,
    EventKind,
    Satisfaction,
    Status,
)

__all__ = [
    "ACCEPTED_STATUSES",
    "ANSWER_MAX_LENGTH",
    "CONCLUDED_STATUSES",
    "DEFAULT_APPEAL_TYPE",
    "DESCRIPTION_MAX_LENGTH",
    "DISTRICT_LEADER",
    "DISTRICT_LEADER_RELATIONS",
    "NOTE_MAX_LENGTH",
    "OPEN_STATUSES",
    "UNFINISHED_STATUSES",
    "AppealType",
    "Attachment",
    "CallBack",
    "Category",
    "Channel",
    "EvaluationSource",
    "EventKind",
    "ExtensionRequest",
    "Problem",
    "ProblemEvent",
    "ReferenceCounter",
    "ReliefKind",
    "ReliefOutcome",
    "Satisfaction",
    "Status",
]
