"""The people messages go to: what their messages need of them, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model

from liaison.models import Role
from liaison.templatetags.liaison_tags import person_name


@dataclass(frozen=True)
class Person:
    pk: int
    name: str
    email: str
    language: str
    wants_email: bool
    phone: str
    is_enterprise: bool
    role: str = ""


def people(user_ids: Iterable[int]) -> dict[int, Person]:
    """Active users with what their messages need, in one query (not API accounts)."""
    rows = (
        get_user_model()
        .objects.filter(pk__in=list(user_ids), is_active=True)
        .exclude(profile__is_service_account=True)  # another system's API account
        .values(
            "pk",
            "username",
            "first_name",
            "last_name",
            "email",
            "profile__role",
            "profile__language",
            "profile__email_notifications",
            "profile__phone",
        )
    )
    people = {}
    for row in rows:
        names = SimpleNamespace(
            first_name=row["first_name"],
            last_name=row["last_name"],
            get_username=lambda username=row["username"]: username,
        )
        wants_email = row["profile__email_notifications"]
        people[row["pk"]] = Person(
            pk=row["pk"],
            name=person_name(names),
            email=row["email"] or "",
            language=row["profile__language"] or settings.LANGUAGE_CODE,
            wants_email=True if wants_email is None else wants_email,
            phone=row["profile__phone"] or "",
            is_enterprise=row["profile__role"] == Role.ENTERPRISE,
            role=row["profile__role"] or "",
        )
    return people


def pk_of(user) -> int:
    return user if isinstance(user, int) else user.pk
