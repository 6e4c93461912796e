"""An uploaded workbook kept between the dry run and the confirmed import.

The dry run stores the file under MEDIA_ROOT/imports-pending (never served) and gives
the page a signed token naming it, its kind, its SHA-256 and the user. Confirming
`claim`s it: the token must be intact, fresh (PENDING_MAX_AGE) and the same user's, and
the file is taken by an atomic rename, so of two confirms (a double click) only one
gets it; the file is deleted after the import whatever happened. Each user keeps at
most one pending file (a new upload replaces it) and files older than the token's life
are swept at every upload.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core import signing
from django.utils.translation import gettext_lazy as _

PENDING_MAX_AGE = 60 * 60  # seconds between the dry run and the confirm
_SALT = "imports.pending"
_ID = re.compile(r"^(\d+)-([0-9a-f]{32})$")


class PendingRefused(Exception):
    """The confirm cannot go ahead; `message` says why, in the user's language."""

    def __init__(self, message) -> None:
        super().__init__(str(message))
        self.message = message


@dataclass
class Pending:
    kind: str
    name: str
    content: bytes


def pending_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "imports-pending"


def stash(*, user, kind: str, name: str, content: bytes) -> str:
    """Keep `content` for `user`'s confirm; the signed token that names it."""
    directory = pending_dir()
    directory.mkdir(parents=True, exist_ok=True)
    sweep()
    for old in directory.glob(f"{user.pk}-*.xlsx"):
        old.unlink(missing_ok=True)
    file_id = f"{user.pk}-{secrets.token_hex(16)}"
    path = directory / f"{file_id}.xlsx"
    temporary = directory / f"{file_id}.part"
    temporary.write_bytes(content)
    os.replace(temporary, path)
    return signing.dumps(
        {
            "id": file_id,
            "user": user.pk,
            "kind": kind,
            "name": name[:200],
            "sha256": hashlib.sha256(content).hexdigest(),
        },
        salt=_SALT,
        compress=True,
    )


def claim(*, user, token: str) -> Pending:
    """Take the file `token` names for `user`'s import; it is gone from the store after."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=PENDING_MAX_AGE)
    except signing.SignatureExpired:
        raise PendingRefused(
            _("The dry run is more than an hour old: upload the file again.")
        ) from None
    except signing.BadSignature:
        raise PendingRefused(_("This confirmation is not valid: upload the file again.")) from None
    file_id = str(data.get("id", ""))
    match = _ID.match(file_id)
    if not match or data.get("user") != user.pk or int(match.group(1)) != user.pk:
        raise PendingRefused(_("This confirmation is not valid: upload the file again."))
    path = pending_dir() / f"{file_id}.xlsx"
    claimed = pending_dir() / f"{file_id}.claimed"
    try:
        os.rename(path, claimed)  # atomic: one confirm of two gets the file
    except FileNotFoundError:
        raise PendingRefused(
            _(
                "This file has already been imported (or is being imported), or a newer "
                "upload replaced it. Nothing more was done."
            )
        ) from None
    try:
        content = claimed.read_bytes()
    except FileNotFoundError:  # swept in between: the token had all but expired
        raise PendingRefused(
            _("The dry run is more than an hour old: upload the file again.")
        ) from None
    finally:
        claimed.unlink(missing_ok=True)
    if hashlib.sha256(content).hexdigest() != data.get("sha256"):
        raise PendingRefused(_("This confirmation is not valid: upload the file again."))
    return Pending(kind=str(data.get("kind", "")), name=str(data.get("name", "")), content=content)


def discard(*, user) -> None:
    """Forget `user`'s pending file (a cancelled import)."""
    for old in pending_dir().glob(f"{user.pk}-*.xlsx"):
        old.unlink(missing_ok=True)


def sweep(now: float | None = None) -> int:
    """Delete pending files older than a token lives; how many went."""
    now = time.time() if now is None else now
    removed = 0
    directory = pending_dir()
    if not directory.is_dir():
        return 0
    for path in directory.iterdir():
        try:
            if now - path.stat().st_mtime > PENDING_MAX_AGE:
                path.unlink(missing_ok=True)
                removed += 1
        except FileNotFoundError:
            continue
    return removed
