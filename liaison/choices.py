"""The choice lists of the filter forms (departments, categories, enterprises, leaders,
towns, meetings), read from the database once per process and language, and read again
as soon as one of the models they show changes (issue 18: on the problem list they were a
quarter of the page's time, four queries and a few hundred model instances a request).

Each model a list shows has a version in the shared cache (Redis). A save or delete of
such a model (post_save, post_delete; `watch`), or a bulk update that calls `invalidate`,
writes a new version at once and again when the transaction commits: a process that read
the old rows while the change was uncommitted keeps them under a version that is already
gone. A request reads the versions (one round trip) before it uses a list; a list read
under other versions is read again. So a renamed department or a leader who lost the role
shows in the next request of every process.

The lists hold only what every user of the form sees (a primary key and a label); a form
whose queryset depends on the user (a department head's own department) is left alone.
Without a shared cache (LIAISON_CHOICES_CACHE off: each process would keep its own
versions) or when the cache does not answer, the lists are read from the database as
before. A list is also read again after MAX_AGE_SECONDS whatever the versions say (a
change whose new version could not be written while the cache was down).
"""

from __future__ import annotations

import threading
import time
import uuid

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.signals import request_finished, request_started
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.utils.translation import get_language

VERSION_PREFIX = "liaison:choices:"
MAX_AGE_SECONDS = 300

# The version keys of the models `watch` was given.
_watched: set[str] = set()
# In a request: whether one is being answered, and the versions read in it.
_request = threading.local()
# (list name, language) -> (versions, read at (monotonic), [(value, label), ...])
_lists: dict[tuple[str, str], tuple[tuple, float, tuple]] = {}


def _version_key(model) -> str:
    return VERSION_PREFIX + model._meta.label_lower


def _bump(model) -> None:
    _lists.clear()  # this process at once, even if the cache does not answer
    _request.versions = None
    try:
        cache.set(_version_key(model), uuid.uuid4().hex, timeout=None)
    except Exception:  # a cache outage must not stop an edit (MAX_AGE_SECONDS bounds it)
        pass


def invalidate(model) -> None:
    """The lists showing `model` are read again by every process: now, and after the
    commit of the transaction the change is in (a process may read the old rows before)."""
    _bump(model)
    transaction.on_commit(lambda: _bump(model))


def _changed(sender, update_fields=None, **kwargs) -> None:
    # A sign-in writes the user's last_login, which no list shows.
    if update_fields is not None and set(update_fields) <= {"last_login"}:
        return
    invalidate(sender)


def watch(*models) -> None:
    """Connect the models' saves and deletes to `invalidate` (from an AppConfig.ready)."""
    for model in models:
        uid = f"liaison.choices.{model._meta.label_lower}"
        _watched.add(_version_key(model))
        post_save.connect(_changed, sender=model, dispatch_uid=uid + ".save")
        post_delete.connect(_changed, sender=model, dispatch_uid=uid + ".delete")


def clear() -> None:
    """Forget this process's lists (tests: a rolled-back test leaves no version behind)."""
    _lists.clear()


def _read_versions(keys) -> dict | None:
    try:
        found = cache.get_many(keys)
        missing = [key for key in keys if found.get(key) is None]
        if missing:
            for key in missing:
                cache.add(key, uuid.uuid4().hex, timeout=None)
            found = cache.get_many(keys)
    except Exception:
        return None
    return found


def _versions(keys: list[str]) -> tuple | None:
    """The versions of `keys`; in a request, every watched model's read in one round trip
    the first time and kept until the request ends (a page shows several lists)."""
    if not getattr(_request, "active", False):
        found = _read_versions(keys)
    else:
        found = _request.versions
        if found is None or not all(key in found for key in keys):
            found = _request.versions = _read_versions(sorted({*_watched, *keys}))
    if found is None:
        return None
    versions = tuple(found.get(key) for key in keys)
    return None if None in versions else versions


def _request_started(**kwargs) -> None:
    _request.active, _request.versions = True, None


def _request_finished(**kwargs) -> None:
    _request.active, _request.versions = False, None


request_started.connect(_request_started, dispatch_uid="liaison.choices.started")
request_finished.connect(_request_finished, dispatch_uid="liaison.choices.finished")


def cached(name: str, models, load) -> tuple:
    """The list `name` (whose labels show `models`): `load()` once per versions and
    language in this process."""
    return _cached(name, models, load)[1]


def _cached(name: str, models, load) -> tuple[tuple | None, tuple]:
    """The list `name` and what identifies it as read: its name, the language, the
    versions and when it was read (None when it is not kept)."""
    keys = [_version_key(model) for model in models]
    if not settings.LIAISON_CHOICES_CACHE:
        return None, tuple(load())
    versions = _versions(keys)
    if versions is None:
        return None, tuple(load())
    list_key = (name, get_language() or "")
    entry = _lists.get(list_key)
    now = time.monotonic()
    if entry is None or entry[0] != versions or now - entry[1] >= MAX_AGE_SECONDS:
        entry = _lists[list_key] = (versions, now, tuple(load()))
    return (*list_key, *entry[:2]), entry[2]


def use_cached_choices(field, name: str, *models, shared_with=()) -> None:
    """Give a ModelChoiceField (Django's or django-filter's) the list `name` of its
    queryset's objects, with its empty and null choices in front, read through `cached`.
    The field still validates against its queryset; only the choices shown come from
    the list. Call it only for a queryset that is the same for every user. The fields
    `shared_with` (with the same queryset and labels) show the same list, read once."""

    def load():
        return [
            (field.prepare_value(obj), field.label_from_instance(obj)) for obj in field.queryset
        ]

    read: list = []
    identity: list = []

    def choices():
        if not read:
            if field.empty_label is not None:
                read.append(("", field.empty_label))
            if getattr(field, "null_label", None) is not None:
                read.append((field.null_value, field.null_label))
            key, values = _cached(name, models, load)
            read.extend(values)
            # What the options shown depend on: the list as read, the labels in front.
            identity.append(
                None if key is None else (key, tuple((str(v), str(label)) for v, label in read[:2]))
            )
        return read

    def options_key():
        choices()
        return identity[0]

    # ChoiceField's own setter: django-filter's fields wrap what they are given in an
    # iterator of the queryset, which would read the database again.
    for each in (field, *shared_with):
        forms.ChoiceField.choices.fset(each, choices)
        # A ListSelect writes the options once per list as read (forms_rendering).
        each.widget.options_key = options_key
