"""/api/v1/enterprises/, /departments/ and /meetings/: read through the caller's selectors;
enterprises written by the office's client (upsert by credit code)."""

from __future__ import annotations

from django.db import IntegrityError
from django.http import Http404
from django.utils.decorators import method_decorator
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status, viewsets
from rest_framework import permissions as drf_permissions
from rest_framework.response import Response

import audit
from audit.models import Action
from issues.selectors import contact_phones_for
from liaison import permissions
from liaison.replicas import reads_may_lag
from liaison.selectors import departments_active, enterprises_visible_to
from liaison.templatetags.liaison_tags import person_name
from liaison.validators import normalise_credit_code
from meetings import selectors as meeting_selectors
from meetings.list_views import can_see_published_lists, masked_phone
from meetings.models import Meeting

from . import serializers as s
from . import services
from .models import Scope
from .pagination import IdCursorPagination

NOT_FOUND = OpenApiResponse(s.ErrorSerializer, description="None the caller may see.")


class EnterpriseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """Enterprises, by unified social credit code."""

    lookup_field = "credit_code"
    lookup_value_regex = r"[^/]{1,40}"
    serializer_class = s.EnterpriseSerializer
    pagination_class = IdCursorPagination
    required_scopes = {
        "list": Scope.ENTERPRISES_READ,
        "retrieve": Scope.ENTERPRISES_READ,
        "update": Scope.ENTERPRISES_WRITE,
    }

    def get_queryset(self):
        return enterprises_visible_to(self.request.user)

    def get_serializer_context(self):
        # Whose contact phones the caller sees in full (issues.selectors, the one rule).
        return {
            **super().get_serializer_context(),
            "contact_phones": contact_phones_for(self.request.user),
        }

    def get_object(self):
        code = normalise_credit_code(self.kwargs["credit_code"])
        enterprise = self.get_queryset().filter(credit_code=code).first()
        if enterprise is None:
            raise Http404
        return enterprise

    @extend_schema(summary="Enterprises the caller may see")
    @method_decorator(reads_may_lag)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One enterprise", responses={200: s.EnterpriseSerializer, 404: NOT_FOUND}
    )
    def retrieve(self, request, *args, **kwargs):
        enterprise = self.get_object()
        if not permissions.is_enterprise_user(request.user):
            audit.record(request, Action.VIEWED_ENTERPRISE, enterprise)
        return Response(self.get_serializer(enterprise).data)

    @extend_schema(
        summary="Create or update an enterprise by credit code (the office's client)",
        description="Creates the enterprise if no enterprise has this code (201), else "
        "updates the fields sent and leaves the others as they are (200). The code's check "
        "digit and the phone number are checked as in the admin.",
        request=s.EnterpriseSerializer,
        responses={
            200: s.EnterpriseSerializer,
            201: s.EnterpriseSerializer,
            400: OpenApiResponse(description="Field errors."),
            403: OpenApiResponse(s.ErrorSerializer, description="Not the office's."),
        },
    )
    def update(self, request, credit_code=None):
        serializer = s.EnterpriseSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        try:
            enterprise, created = services.enterprise_upsert(
                actor=request.user, credit_code=credit_code, fields=serializer.validated_data
            )
        except IntegrityError:
            # Created by another request at the same moment: now it is an update.
            enterprise, created = services.enterprise_upsert(
                actor=request.user, credit_code=credit_code, fields=serializer.validated_data
            )
        return Response(
            s.EnterpriseSerializer(enterprise, context=self.get_serializer_context()).data,
            status=status.HTTP_201_CREATED if created else status.HTTP_200_OK,
        )


class PublishedLists(drf_permissions.BasePermission):
    """The departments' contact and guidance lists: for signed-in users and clients, and for
    everyone when the site publishes them (LIAISON_PUBLIC_LISTS), as the web lists."""

    def has_permission(self, request, view) -> bool:
        return can_see_published_lists(request.user)


def _department_row(department, *, show_head_phone: bool) -> dict:
    head_phone = department.head_phone
    return {
        "id": department.pk,
        "name": department.name,
        "short_name": department.short_name,
        "kind": department.kind,
        "head_name": department.head_name,
        "head_phone": head_phone if show_head_phone else masked_phone(head_phone),
        "head_phone_masked": bool(head_phone) and not show_head_phone,
        "office_phone": department.office_phone,
        "supervising_leader": person_name(department.supervising_leader) or None,
        "guidance_services": department.guidance_service_list(),
    }


class DepartmentViewSet(viewsets.ViewSet):
    """The published lists: each active department's head and phones (部门“一把手”电话联系
    清单) and its guidance services (部门指导服务清单)."""

    permission_classes = [PublishedLists]
    lookup_value_regex = r"[0-9]{1,19}"

    @extend_schema(
        summary="Departments with their heads' contacts and guidance services",
        description="Without credentials when the site publishes the lists; an anonymous "
        "caller sees heads' mobile numbers masked (138****5678).",
        responses={200: s.DepartmentSerializer(many=True)},
        auth=[{"apiKey": []}, {"cookieAuth": []}, {}],
    )
    @method_decorator(reads_may_lag)
    def list(self, request):
        show = permissions.can_see_head_phone(request.user)
        rows = [_department_row(d, show_head_phone=show) for d in departments_active()]
        return Response(rows)

    @extend_schema(
        summary="One department",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: s.DepartmentSerializer, 404: NOT_FOUND},
        auth=[{"apiKey": []}, {"cookieAuth": []}, {}],
    )
    def retrieve(self, request, pk=None):
        if int(pk) > s.MAX_ID:
            raise Http404
        department = departments_active().filter(pk=int(pk)).first()
        if department is None:
            raise Http404
        show = permissions.can_see_head_phone(request.user)
        return Response(_department_row(department, show_head_phone=show))


class MeetingViewSet(mixins.ListModelMixin, viewsets.GenericViewSet):
    """Face-to-face meetings the caller may see (meetings.selectors)."""

    serializer_class = s.MeetingSerializer
    pagination_class = IdCursorPagination
    required_scopes = Scope.MEETINGS_READ
    lookup_value_regex = r"[0-9]{1,19}"

    def get_queryset(self):
        return meeting_selectors.meeting_list(self.request.user)

    @extend_schema(summary="Face-to-face meetings the caller may see, newest first")
    @method_decorator(reads_may_lag)
    def list(self, request, *args, **kwargs):
        return super().list(request, *args, **kwargs)

    @extend_schema(
        summary="One face-to-face meeting",
        parameters=[OpenApiParameter("id", int, OpenApiParameter.PATH)],
        responses={200: s.MeetingDetailSerializer, 404: NOT_FOUND},
    )
    def retrieve(self, request, pk=None):
        if int(pk) > s.MAX_ID:
            raise Http404
        try:
            meeting = meeting_selectors.meeting_for_page(int(pk), request.user)
        except Meeting.DoesNotExist:
            raise Http404 from None
        references = meeting_selectors.problems_of(meeting, request.user).values_list(
            "reference", flat=True
        )
        context = {"problem_references": list(references)}
        return Response(s.MeetingDetailSerializer(meeting, context=context).data)
