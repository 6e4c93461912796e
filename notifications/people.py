"""The people messages go to: what their messages need of them, in one query."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import Model

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


def people(user_ids: Iterable[int], *, known: Iterable = ()) -> dict[int, Person]:
    """Active users with what their messages need, in one query (not API accounts).

    `known`: users already read with their profile (select_related("profile")); those
    of `user_ids` among them are taken as they are, and the query reads only the others
    (none when all are known)."""
    user_ids = set(user_ids)
    found: dict[int, Person] = {}
    for user in known:
        if isinstance(user, Model) and user.pk in user_ids and _profile_is_loaded(user):
            user_ids.discard(user.pk)
            person = _person_of(user)
            if person is not None:
                found[user.pk] = person
    if not user_ids:
        return found
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
    for row in rows:
        names = SimpleNamespace(
            first_name=row["first_name"],
            last_name=row["last_name"],
            get_username=lambda username=row["username"]: username,
        )
        found[row["pk"]] = _person(
            row["pk"],
            name=person_name(names),
            email=row["email"],
            role=row["profile__role"],
            language=row["profile__language"],
            wants_email=row["profile__email_notifications"],
            phone=row["profile__phone"],
        )
    return found


def _profile_is_loaded(user) -> bool:
    """Whether `user` was read with its profile (or with the knowledge that it has none)."""
    return get_user_model()._meta.get_field("profile").is_cached(user)


def _person_of(user) -> Person | None:
    """What people() reads of a user, from one read with its profile; None for those it
    leaves out (inactive users, API accounts)."""
    profile = getattr(user, "profile", None)
    if not user.is_active or (profile is not None and profile.is_service_account):
        return None
    return _person(
        user.pk,
        name=person_name(user),
        email=user.email,
        role=profile and profile.role,
        language=profile and profile.language,
        wants_email=profile and profile.email_notifications,
        phone=profile and profile.phone,
    )


def _person(pk: int, *, name, email, role, language, wants_email, phone) -> Person:
    """A Person from a user's fields (those of a missing profile None)."""
    return Person(
        pk=pk,
        name=name,
        email=email or "",
        language=language or settings.LANGUAGE_CODE,
        wants_email=True if wants_email is None else wants_email,
        phone=phone or "",
        is_enterprise=role == Role.ENTERPRISE,
        role=role or "",
    )


def pk_of(user) -> int:
    return user if isinstance(user, int) else user.pk
