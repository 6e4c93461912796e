"""Registering and revoking API clients (the office's page and the admin use these), and
the enterprises the office's client writes."""

from __future__ import annotations

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import Problem
from issues.workflow import NotAllowed
from liaison import choices, permissions
from liaison.models import ENTERPRISE_DETAILS, Enterprise, Profile, Role
from liaison.validators import normalise_credit_code

from .models import ApiClient, Binding, IdempotencyKey, new_key

ROLE_OF_BINDING = {
    Binding.DISTRICT: Role.OFFICE,
    Binding.DEPARTMENT: Role.DEPARTMENT_STAFF,
    Binding.ENTERPRISE: Role.ENTERPRISE,
}


@transaction.atomic
def client_create(
    *,
    actor,
    name: str,
    contact: str,
    binding: str,
    scopes: list[str],
    department=None,
    enterprise=None,
    rate_per_minute: int = 120,
) -> tuple[ApiClient, str]:
    """A new client and its key (shown once: only its hash is kept).

    The client's service account gets the role of its binding: the office for the whole
    district, staff of its department, a user of its enterprise. It has no password, so
    it can never sign in to the web pages; it receives no e-mail.
    """
    key, prefix, key_hash = new_key()
    user = get_user_model().objects.create(
        username=f"api-{prefix}",
        first_name=name[:150],
        is_active=True,
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    Profile.objects.create(
        user=user,
        role=ROLE_OF_BINDING[binding],
        department=department if binding == Binding.DEPARTMENT else None,
        enterprise=enterprise if binding == Binding.ENTERPRISE else None,
        title=str(Binding(binding).label)[:100],
        email_notifications=False,
        is_service_account=True,
    )
    client = ApiClient.objects.create(
        name=name,
        contact=contact,
        binding=binding,
        department=department if binding == Binding.DEPARTMENT else None,
        enterprise=enterprise if binding == Binding.ENTERPRISE else None,
        scopes=sorted(set(scopes)),
        rate_per_minute=rate_per_minute,
        user=user,
        prefix=prefix,
        key_hash=key_hash,
        created_by=actor,
    )
    return client, key


@transaction.atomic
def client_update(
    *, client_id: int, name: str, contact: str, scopes: list[str], rate_per_minute: int
) -> ApiClient:
    """Change a client's name, contact, scopes and budget (not whom it acts for)."""
    client = ApiClient.objects.select_for_update().get(pk=client_id)
    client.name = name
    client.contact = contact
    client.scopes = sorted(set(scopes))
    client.rate_per_minute = rate_per_minute
    client.save(update_fields=["name", "contact", "scopes", "rate_per_minute"])
    get_user_model().objects.filter(pk=client.user_id).update(first_name=name[:150])
    choices.invalidate(get_user_model())  # no post_save for an UPDATE (liaison.choices)
    return client


@transaction.atomic
def client_revoke(*, actor, client_id: int) -> bool:
    """Revoke a client's key for good; False if it was revoked already."""
    client = ApiClient.objects.select_for_update().get(pk=client_id)
    if client.revoked_at is not None:
        return False
    client.revoked_at = timezone.now()
    client.revoked_by = actor
    client.save(update_fields=["revoked_at", "revoked_by"])
    get_user_model().objects.filter(pk=client.user_id).update(is_active=False)
    choices.invalidate(get_user_model())  # no post_save for an UPDATE (liaison.choices)
    return True


@transaction.atomic
def problem_submit_once(
    *, actor, client: ApiClient | None, key: str | None, request_hash: str, **submission
) -> Problem:
    """workflow.problem_submit, and the client's Idempotency-Key with what it made, in one
    transaction: a retry with the key finds the problem, or nothing was written at all."""
    with transaction.atomic():
        problem = workflow.problem_submit(actor=actor, **submission)
        if client is not None and key is not None:
            IdempotencyKey.objects.create(
                client=client,
                key=key,
                request_hash=request_hash,
                object_type="problem",
                object_id=problem.pk,
            )
    return problem


def enterprise_upsert(*, actor, credit_code: str, fields: dict) -> tuple[Enterprise, bool]:
    """Create the enterprise with this credit code, or update the fields given; (it, created).

    Checked by the model's own validators (the credit code's check digit, phone numbers)
    with full_clean: a ValidationError names the fields. Only the liaison office manages
    organisations (permissions.can_manage_organisations): anyone else is NotAllowed.
    """
    if not permissions.can_manage_organisations(actor):
        raise NotAllowed(_("Only the liaison office manages enterprises."))
    unknown = set(fields) - set(ENTERPRISE_DETAILS)
    if unknown:
        raise ValueError(f"not an enterprise field an API client sets: {sorted(unknown)}")
    code = normalise_credit_code(credit_code)
    enterprise = Enterprise.objects.select_for_update().filter(credit_code=code).first()
    created = enterprise is None
    if created:
        enterprise = Enterprise(credit_code=code)
    for name, value in fields.items():
        setattr(enterprise, name, value.strip() if isinstance(value, str) else value)
    enterprise.full_clean()
    enterprise.save()
    return enterprise, created
