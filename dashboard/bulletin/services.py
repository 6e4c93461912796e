"""Every write on bulletins: generating a month's (once), regenerating a draft, the foreword,
publishing (leaders and department heads told), and the office's thresholds."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from liaison import permissions, workdays
from liaison.locking import StaleVersion, check_version, lock_versioned
from liaison.validators import FIRST_DATE

from . import notifications
from .models import FOREWORD_MAX_LENGTH, Bulletin, BulletinThresholds
from .sections import build_snapshot, previous_month


class BulletinError(Exception):
    """A change that may not happen; `message` is shown to the user as it is."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


class StaleBulletin(BulletinError, StaleVersion):
    """The bulletin changed while the user was looking at it."""


def _check_office(actor) -> None:
    if actor is not None and not permissions.is_office(actor):
        raise BulletinError(_("Only the liaison office may do this."))


def check_month(month: dt.date, *, now: dt.datetime | None = None) -> dt.date:
    """The first day of `month`, if the month is over (a bulletin reports a finished month)."""
    first = month.replace(day=1)
    this_month = workdays.local_date(now or timezone.now()).replace(day=1)
    if first < FIRST_DATE:
        raise BulletinError(_("There is no bulletin for a month before 2000."))
    if first >= this_month:
        raise BulletinError(_("A bulletin reports on a month that is over: choose an earlier one."))
    return first


def bulletin_generate(
    *, month: dt.date, by=None, now: dt.datetime | None = None
) -> tuple[Bulletin, bool]:
    """The month's bulletin, generated if there is none yet (a draft); (bulletin, created).

    Never two for a month: an existing one is returned as it is, whatever its state.
    """
    _check_office(by)
    now = now or timezone.now()
    month = check_month(month, now=now)
    existing = Bulletin.objects.filter(month=month).first()
    if existing is not None:
        return existing, False
    snapshot = build_snapshot(month, now=now, thresholds=BulletinThresholds.current())
    try:
        with transaction.atomic():
            bulletin = Bulletin.objects.create(
                month=month, snapshot=snapshot, generated_at=now, generated_by=by
            )
    except IntegrityError:  # another process generated it meanwhile
        return Bulletin.objects.get(month=month), False
    return bulletin, True


def _locked(pk: int, version: int | None) -> Bulletin:
    bulletin = lock_versioned(
        Bulletin.objects, pk, missing=BulletinError(_("This bulletin does not exist."))
    )
    check_version(
        bulletin,
        version,
        StaleBulletin(
            _("Someone changed this bulletin while you were looking at it. Check it and try again.")
        ),
    )
    return bulletin


def _check_draft(bulletin: Bulletin) -> None:
    if bulletin.is_published:
        raise BulletinError(_("This bulletin is published: it no longer changes."))


@transaction.atomic
def bulletin_regenerate(
    *, bulletin_id: int, by, version: int | None = None, now: dt.datetime | None = None
) -> Bulletin:
    """Count a draft's figures again, as of now (the office's explicit action)."""
    _check_office(by)
    bulletin = _locked(bulletin_id, version)
    _check_draft(bulletin)
    now = now or timezone.now()
    bulletin.snapshot = build_snapshot(
        bulletin.month, now=now, thresholds=BulletinThresholds.current()
    )
    bulletin.generated_at = now
    bulletin.generated_by = by
    bulletin.version = F("version") + 1
    bulletin.save(update_fields=["snapshot", "generated_at", "generated_by", "version"])
    bulletin.refresh_from_db()
    return bulletin


def _clean_foreword(text: str) -> str:
    text = (text or "").replace("\r\n", "\n").strip()
    if len(text) > FOREWORD_MAX_LENGTH:
        raise BulletinError(
            _("The foreword may be at most %(limit)d characters (it has %(count)d).")
            % {"limit": FOREWORD_MAX_LENGTH, "count": len(text)}
        )
    return text


@transaction.atomic
def bulletin_set_foreword(
    *, bulletin_id: int, by, foreword: str, version: int | None = None
) -> Bulletin:
    """The office's foreword to a draft."""
    _check_office(by)
    foreword = _clean_foreword(foreword)
    bulletin = _locked(bulletin_id, version)
    _check_draft(bulletin)
    bulletin.foreword = foreword
    bulletin.version = F("version") + 1
    bulletin.save(update_fields=["foreword", "version"])
    bulletin.refresh_from_db()
    return bulletin


@transaction.atomic
def bulletin_publish(
    *,
    bulletin_id: int,
    by,
    foreword: str | None = None,
    version: int | None = None,
    now: dt.datetime | None = None,
    notify: bool = True,
) -> Bulletin:
    """Publish a draft (with the foreword given, if any); leaders and heads are told."""
    _check_office(by)
    bulletin = _locked(bulletin_id, version)
    _check_draft(bulletin)
    fields = ["status", "published_at", "published_by", "version"]
    if foreword is not None:
        bulletin.foreword = _clean_foreword(foreword)
        fields.append("foreword")
    bulletin.status = Bulletin.Status.PUBLISHED
    bulletin.published_at = now or timezone.now()
    bulletin.published_by = by
    bulletin.version = F("version") + 1
    bulletin.save(update_fields=fields)
    bulletin.refresh_from_db()
    if notify:
        notifications.published(bulletin)
    return bulletin


# --- the monthly task ------------------------------------------------------------------


def first_working_day(month: dt.date) -> dt.date:
    """The first working day of the month of `month` (liaison.workdays)."""
    day = month.replace(day=1)
    while not workdays.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def bulletin_generate_due(*, now: dt.datetime | None = None) -> Bulletin | None:
    """From the first working day of a month on: last month's bulletin, if there is none.

    The Celery beat runs it every morning: on the first working day it generates; on a
    later day it catches up only if that day's run was missed (a worker down); otherwise
    it does nothing. Returns the bulletin generated, or None.
    """
    now = now or timezone.now()
    today = workdays.local_date(now)
    if today < first_working_day(today):
        return None
    bulletin, created = bulletin_generate(month=previous_month(today), now=now)
    return bulletin if created else None


# --- thresholds ------------------------------------------------------------------------


@transaction.atomic
def thresholds_update(
    *,
    by,
    min_on_time_rate: Decimal,
    min_satisfaction_rate: Decimal,
    max_overdue: int,
    min_rated: int,
) -> BulletinThresholds:
    """Set the thresholds below which a department is named (validated, all or nothing)."""
    _check_office(by)
    row, _created = BulletinThresholds.objects.select_for_update().get_or_create(
        pk=BulletinThresholds.SINGLETON
    )
    row.min_on_time_rate = min_on_time_rate
    row.min_satisfaction_rate = min_satisfaction_rate
    row.max_overdue = max_overdue
    row.min_rated = min_rated
    row.updated_by = by
    try:
        row.full_clean()
    except ValidationError as error:
        raise BulletinError(" ".join(error.messages)) from None
    row.save()
    return row
