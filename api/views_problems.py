"""/api/v1/problems/: list, read, submit (idempotent), the timeline and the department's
transitions. Every problem is loaded through issues.selectors.visible_to(request.user) and
every change is one issues.workflow call, so the API allows exactly what the web pages do."""

from __future__ import annotations

import copy
import hashlib
import json

from django.db import IntegrityError
from django.urls import reverse
from django.utils.decorators import method_decorator
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_field,
)
from rest_framework import mixins, status, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response

import audit
from audit.models import Action
from issues import problem_page, selectors, workflow
from issues.filters import ProblemFilter
from issues.models import Category, Channel, Problem, Status
from issues.views_lists import ENTERPRISE_FILTERS
from liaison import permissions
from liaison.replicas import reads_may_lag
from liaison.selectors import enterprises_visible_to
from liaison.validators import normalise_credit_code

from . import serializers as s
from . import services
from .exceptions import Stale
from .models import IdempotencyKey, Scope
from .pagination import IdCursorPagination
from .permissions import client_of

IDEMPOTENCY_HEADER = "Idempotency-Key"
IDEMPOTENCY_KEY_MAX_LENGTH = IdempotencyKey._meta.get_field("key").max_length
# Query parameters that are the API's own, not the web list's filters.
NOT_FILTERS = ("cursor", "page_size", "ordering", "page")

# Merging (并单) is done on the office's pages, not through the API: not offered here.
WEB_ONLY_ACTIONS = frozenset({"merge", "unmerge"})


class ApiProblemFilter(ProblemFilter):
    """The web list's filters. For the schema, `district_leader` is said to take a user's
    id: drf-spectacular cannot guess it from the filter's method (a warning, which fails
    `check --deploy`)."""

    district_leader = extend_schema_field(OpenApiTypes.INT)(
        copy.deepcopy(ProblemFilter.base_filters["district_leader"])
    )


class ProblemFilterBackend(DjangoFilterBackend):
    """The web list's filters (issues.filters.ProblemFilter), on the list only.

    An enterprise filters by text, status and category only, as on the web list
    (issues.views_lists.ENTERPRISE_FILTERS): the others would tell it internal facts. The
    order is the cursor's (newest first), so the web list's `ordering` is not offered.
    """

    def get_filterset_kwargs(self, request, queryset, view):
        kwargs = super().get_filterset_kwargs(request, queryset, view)
        data = kwargs["data"].copy()
        for key in list(data):
            if key in NOT_FILTERS or (
                permissions.is_enterprise_user(request.user) and key not in ENTERPRISE_FILTERS
            ):
                del data[key]
        kwargs["data"] = data
        return kwargs

    def filter_queryset(self, request, queryset, view):
        if getattr(view, "action", None) != "list":
            return queryset
        return super().filter_queryset(request, queryset, view)

    def get_schema_operation_parameters(self, view):
        parameters = super().get_schema_operation_parameters(view)
        return [p for p in parameters if p["name"] not in NOT_FILTERS]


STALE = OpenApiResponse(s.StaleErrorSerializer, description="The version is stale.")
NOT_FOUND = OpenApiResponse(s.ErrorSerializer, description="No such problem for the caller.")
REFUSED = OpenApiResponse(s.ErrorSerializer, description="The caller may not do this.")
TRANSITION_RESPONSES = {
    200: s.ProblemDetailSerializer,
    400: OpenApiResponse(description="Field errors."),
    403: REFUSED,
    404: NOT_FOUND,
    409: STALE,
}


class ProblemViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    lookup_field = "reference"
    lookup_value_regex = r"[0-9]{4}-[0-9]{5}"
    serializer_class = s.ProblemSerializer
    pagination_class = IdCursorPagination
    filter_backends = [ProblemFilterBackend]
    filterset_class = ApiProblemFilter
    required_scopes = {
        "list": Scope.PROBLEMS_READ,
        "retrieve": Scope.PROBLEMS_READ,
        "timeline": Scope.PROBLEMS_READ,
        "create": Scope.PROBLEMS_WRITE,
        "evaluate": Scope.PROBLEMS_WRITE,
        "acknowledge": Scope.PROBLEMS_HANDLE,
        "progress": Scope.PROBLEMS_HANDLE,
        "resolve": Scope.PROBLEMS_HANDLE,
        "extension": Scope.PROBLEMS_HANDLE,
    }

    def get_queryset(self):
        problems = selectors.with_api_relations(selectors.visible_to(self.request.user))
        if getattr(self, "action", None) == "retrieve":
            problems = problems.prefetch_related("co_departments", "relief_outcomes")
        return problems

    def _detail(
        self, problem: Problem, status_code=status.HTTP_200_OK, headers=None, *, reload=True
    ):
        """The problem as ProblemDetailSerializer shows it, with the caller's actions now.

        `reload`: read it again (after a change, or when it was not loaded with its
        co-departments): one query for the row, one for its co-departments, one for its
        burden-relief lines.
        """
        if reload:
            problem = (
                selectors.with_api_relations(Problem.objects.all())
                .prefetch_related("co_departments", "relief_outcomes")
                .get(pk=problem.pk)
            )
        pending = None
        if problem.status == Status.IN_PROGRESS and permissions.can_see_internal_events(
            self.request.user
        ):
            pending = selectors.pending_extension(problem)
        actions = (
            problem_page.problem_actions(
                user=self.request.user, problem=problem, pending_extension=pending
            )
            - WEB_ONLY_ACTIONS
        )
        data = s.ProblemDetailSerializer(problem, context={"actions": actions}).data
        return Response(data, status=status_code, headers=headers)

    @extend_schema(
        summary="Problems the caller may see, newest first",
        description="The web list's filters (q, status, lead_department, category, "
        "enterprise, overdue, due_within, submitted_after, ...); an enterprise's caller "
        "filters by q, status and category only. Paged by cursor: follow `next`.",
    )
    @method_decorator(reads_may_lag)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One problem, by its reference (e.g. 2026-00012)",
        responses={200: s.ProblemDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, *args, **kwargs):
        problem = self.get_object()
        if not permissions.is_enterprise_user(request.user):
            audit.record(request, Action.VIEWED_PROBLEM, problem)
        return self._detail(problem, reload=False)

    @extend_schema(
        summary="Submit a problem (on an enterprise's behalf for the office's clients)",
        request=s.ProblemCreateSerializer,
        parameters=[
            OpenApiParameter(
                IDEMPOTENCY_HEADER,
                OpenApiTypes.STR,
                OpenApiParameter.HEADER,
                description="Optional, up to 100 characters: the same key with the same "
                "body answers as the first time; with another body, 409.",
            )
        ],
        responses={
            201: s.ProblemDetailSerializer,
            200: OpenApiResponse(
                s.ProblemDetailSerializer,
                description="Sent before (same external reference or Idempotency-Key): "
                "the problem created the first time.",
            ),
            400: OpenApiResponse(description="Field errors."),
            403: REFUSED,
            409: OpenApiResponse(
                s.ConflictSerializer,
                description="The external reference or Idempotency-Key was used for "
                "another problem or body.",
            ),
        },
    )
    def create(self, request, *args, **kwargs):
        serializer = s.ProblemCreateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        client = client_of(request)
        key = self._idempotency_key(request) if client is not None else None
        request_hash = _request_hash(data)
        if key is not None:
            replay = self._replay(client, key, request_hash)
            if replay is not None:
                return replay
        enterprise = self._enterprise(data)
        category = Category.objects.filter(pk=data["category"], is_active=True).first()
        if category is None:
            raise ValidationError({"category": [s.UNKNOWN_CATEGORY]})
        default_channel = Channel.SYSTEM if permissions.is_office(request.user) else Channel.WEB
        submission = {
            "enterprise": enterprise,
            "title": data["title"],
            "description": data["description"],
            "category": category,
            "channel": data.get("channel") or default_channel,
            "external_reference": data.get("external_reference", "").strip(),
            "appeal_type": data.get("appeal_type", ""),
        }
        try:
            problem = services.problem_submit_once(
                actor=request.user,
                client=client,
                key=key,
                request_hash=request_hash,
                **submission,
            )
        except workflow.DuplicateSubmission as duplicate:
            return self._sent_before(duplicate.problem, submission)
        except IntegrityError:
            # The same key or external reference sent at the same moment: the other
            # request made the problem; answer as if this one came second.
            if key is not None and (replay := self._replay(client, key, request_hash)):
                return replay
            earlier = Problem.objects.filter(
                submitted_by=request.user, external_reference=submission["external_reference"]
            ).first()
            if earlier is None or not submission["external_reference"]:
                raise
            return self._sent_before(earlier, submission)
        location = reverse("api:problem-detail", kwargs={"reference": problem.reference})
        return self._detail(problem, status.HTTP_201_CREATED, headers={"Location": location})

    def _idempotency_key(self, request) -> str | None:
        key = request.headers.get(IDEMPOTENCY_HEADER)
        if key is None:
            return None
        if not (0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH and key.isascii() and key.isprintable()):
            raise ValidationError(
                {
                    IDEMPOTENCY_HEADER: [
                        _("An Idempotency-Key is 1 to %(max)d printable ASCII characters.")
                        % {"max": IDEMPOTENCY_KEY_MAX_LENGTH}
                    ]
                }
            )
        return key

    def _replay(self, client, key: str, request_hash: str):
        """The answer to a key sent before: the same problem, or 409 for another body."""
        earlier = IdempotencyKey.objects.filter(client=client, key=key).first()
        if earlier is None:
            return None
        if earlier.request_hash != request_hash or earlier.object_type != "problem":
            return Response(
                {
                    "detail": _("This Idempotency-Key was sent before with another request."),
                    "code": "idempotency_key_reused",
                },
                status=status.HTTP_409_CONFLICT,
            )
        problem = Problem.objects.get(pk=earlier.object_id)
        return self._detail(problem)

    def _sent_before(self, earlier: Problem, submission: dict):
        """The external reference names `earlier`: the same problem again, or a conflict."""
        same = (
            earlier.enterprise_id == submission["enterprise"].pk
            and earlier.title == submission["title"].strip()
            and earlier.description == submission["description"].strip()
            and earlier.category_id == submission["category"].pk
            and earlier.channel == submission["channel"]
            and earlier.suggested_appeal_type == submission["appeal_type"]
        )
        if same:
            return self._detail(earlier)
        return Response(
            {
                "detail": _(
                    "This external reference was already used for problem %(ref)s, "
                    "with other content."
                )
                % {"ref": earlier.reference},
                "code": "external_reference_conflict",
                "reference": earlier.reference,
            },
            status=status.HTTP_409_CONFLICT,
        )

    def _enterprise(self, data):
        """The enterprise named by id or credit code, among those the caller may see; an
        enterprise's own caller may name none (its own)."""
        visible = enterprises_visible_to(self.request.user)
        if "enterprise" in data:
            enterprise = visible.filter(pk=data["enterprise"]).first()
            field = "enterprise"
        elif "enterprise_credit_code" in data:
            code = normalise_credit_code(data["enterprise_credit_code"])
            enterprise = visible.filter(credit_code=code).first()
            field = "enterprise_credit_code"
        elif permissions.is_enterprise_user(self.request.user):
            return self.request.user.profile.enterprise
        else:
            raise ValidationError(
                {"enterprise": [_("Name the enterprise: its id or its credit code.")]}
            )
        if enterprise is None:
            raise ValidationError({field: [s.UNKNOWN_ENTERPRISE]})
        return enterprise

    @extend_schema(
        summary="The problem's timeline",
        description="Public entries only for an enterprise's caller; all for officials "
        "(issues.selectors.events_visible_to).",
        responses={200: s.EventSerializer(many=True), 404: NOT_FOUND},
    )
    @action(detail=True, methods=["get"])
    def timeline(self, request, reference=None):
        problem = self.get_object()
        events = selectors.events_visible_to(request.user, problem)
        context = {"show_internal": permissions.can_see_internal_events(request.user)}
        return Response(s.EventSerializer(events, many=True, context=context).data)

    def _transition(self, request, serializer_class, run):
        """Load the problem for the caller (404), validate (400), run one workflow call;
        a stale version is 409 with the current one."""
        problem = self.get_object()
        serializer = serializer_class(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        try:
            run(problem, data)
        except workflow.StaleProblem as error:
            current = Problem.objects.filter(pk=problem.pk).values_list("version", flat=True)
            raise Stale(error.message, current.first()) from None
        return self._detail(problem)

    @extend_schema(
        summary="Acknowledge (签收): the lead department takes the problem on",
        request=s.VersionSerializer,
        responses=TRANSITION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def acknowledge(self, request, reference=None):
        return self._transition(
            request,
            s.VersionSerializer,
            lambda problem, data: workflow.problem_acknowledge(
                problem_id=problem.pk, actor=request.user, expected_version=data["version"]
            ),
        )

    @extend_schema(
        summary="Add progress (lead or co-department)",
        request=s.ProgressSerializer,
        responses=TRANSITION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def progress(self, request, reference=None):
        return self._transition(
            request,
            s.ProgressSerializer,
            lambda problem, data: workflow.problem_add_progress(
                problem_id=problem.pk,
                actor=request.user,
                text=data["text"],
                is_public=data["is_public"],
                expected_version=data["version"],
            ),
        )

    @extend_schema(
        summary="Answer the enterprise (the lead department); the problem is concluded",
        request=s.ResolveSerializer,
        responses=TRANSITION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def resolve(self, request, reference=None):
        return self._transition(
            request,
            s.ResolveSerializer,
            lambda problem, data: workflow.problem_resolve(
                problem_id=problem.pk,
                actor=request.user,
                answer=data["answer"],
                expected_version=data["version"],
            ),
        )

    @extend_schema(
        summary="Ask for 1-10 more working days (the lead department)",
        request=s.ExtensionSerializer,
        responses=TRANSITION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def extension(self, request, reference=None):
        return self._transition(
            request,
            s.ExtensionSerializer,
            lambda problem, data: workflow.problem_request_extension(
                problem_id=problem.pk,
                actor=request.user,
                days=data["days"],
                reason=data["reason"],
                expected_version=data["version"],
            ),
        )

    @extend_schema(
        summary="Evaluate the answer (the enterprise); unsatisfied reopens it",
        request=s.EvaluateSerializer,
        responses=TRANSITION_RESPONSES,
    )
    @action(detail=True, methods=["post"])
    def evaluate(self, request, reference=None):
        return self._transition(
            request,
            s.EvaluateSerializer,
            lambda problem, data: workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=request.user,
                satisfaction=data["satisfaction"],
                reason=data.get("reason", ""),
                expected_version=data["version"],
            ),
        )


def _request_hash(data: dict) -> str:
    """The request as validated, in a canonical form: the same body hashes the same."""
    canonical = json.dumps(data, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()
