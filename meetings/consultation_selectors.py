"""Consultation requests (会商): who may open which, the list page, a problem's requests."""

from __future__ import annotations

from django.db.models import Case, IntegerField, QuerySet, Value, When

from liaison import permissions
from liaison.models import Role

from .models import ConsultationRequest

LIST_RELATIONS = ("problem", "problem__enterprise", "department", "requested_by", "leader")


def consultations_visible_to(user) -> QuerySet[ConsultationRequest]:
    """Office and leaders: all; a department: its own requests; anyone else: none (404)."""
    consultations = ConsultationRequest.objects.all()
    if permissions.is_office(user) or permissions.is_leader(user):
        return consultations
    department_id = permissions.department_id_of(user)
    if department_id is None:
        return consultations.none()
    return consultations.filter(department_id=department_id)


def pending_for(user) -> QuerySet[ConsultationRequest]:
    """Requests waiting for `user`'s answer: theirs (a leader), every one (a principal)."""
    pending = ConsultationRequest.objects.filter(state=ConsultationRequest.State.PENDING)
    if permissions.role_of(user) == Role.PRINCIPAL:
        return pending
    if permissions.is_leader(user):
        return pending.filter(leader=user)
    return pending.none()


def consultation_list(user) -> QuerySet[ConsultationRequest]:
    """The list page: pending first, then the newest (one query per page)."""
    return (
        consultations_visible_to(user)
        .select_related(*LIST_RELATIONS)
        .annotate(
            waiting=Case(
                When(state=ConsultationRequest.State.PENDING, then=Value(0)),
                default=Value(1),
                output_field=IntegerField(),
            )
        )
        .order_by("waiting", "-requested_at", "-pk")
    )
