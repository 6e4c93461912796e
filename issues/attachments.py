"""Attachments: checked by size, type and content, stored under random names outside any URL.

Allowed: PDF, images (JPEG, PNG, GIF, WebP), Word (.doc, .docx) and Excel (.xls, .xlsx).
The type is read from the file's first bytes (and, for Office files, from inside the
container), and must agree with the file name's extension: an .exe renamed .pdf, an
empty file or an oversize one is refused with a message.
"""

from __future__ import annotations

import hashlib
import secrets
import zipfile
from dataclasses import dataclass
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

MAX_SIZE = 20 * 1024 * 1024
MAX_PER_PROBLEM = 10
MAX_NAME_LENGTH = 200  # Attachment.original_name

# extension -> (content type, kind detected from content)
ALLOWED = {
    "pdf": ("application/pdf", "pdf"),
    "jpg": ("image/jpeg", "jpeg"),
    "jpeg": ("image/jpeg", "jpeg"),
    "png": ("image/png", "png"),
    "gif": ("image/gif", "gif"),
    "webp": ("image/webp", "webp"),
    "docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        "docx",
    ),
    "xlsx": ("application/vnd.openxmlformats-officedocument.spreadsheetml.sheet", "xlsx"),
    "doc": ("application/msword", "ole"),
    "xls": ("application/vnd.ms-excel", "ole"),
}
ALLOWED_EXTENSIONS_TEXT = "PDF, JPG, PNG, GIF, WebP, DOC, DOCX, XLS, XLSX"


@dataclass(frozen=True)
class CheckedFile:
    original_name: str
    content_type: str
    size: int


def attachment_dir() -> Path:
    return Path(settings.MEDIA_ROOT) / "attachments"


def _sniff(head: bytes, upload) -> str | None:
    if head.startswith(b"%PDF-"):
        return "pdf"
    if head.startswith(b"\xff\xd8\xff"):
        return "jpeg"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "png"
    if head[:6] in (b"GIF87a", b"GIF89a"):
        return "gif"
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "webp"
    if head.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return "ole"  # legacy Word / Excel compound file
    if head.startswith(b"PK\x03\x04"):
        upload.seek(0)
        try:
            with zipfile.ZipFile(upload) as archive:
                names = set(archive.namelist())
        except (zipfile.BadZipFile, OSError, EOFError, ValueError):
            return None  # a corrupt archive is not an Office document
        finally:
            upload.seek(0)
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def check_upload(upload) -> CheckedFile:
    """Raise ValidationError with a message for the user unless `upload` is acceptable."""
    name = Path(upload.name or "").name
    extension = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if len(name) > MAX_NAME_LENGTH:
        # Shorten the stem, never the extension: the type check and the download need it.
        suffix = "." + extension if extension in ALLOWED else ""
        name = name[: MAX_NAME_LENGTH - len(suffix)] + suffix
    if upload.size == 0:
        raise ValidationError(_("“%(name)s” is empty."), params={"name": name}, code="empty")
    if upload.size > MAX_SIZE:
        raise ValidationError(
            _("“%(name)s” is %(size)s; a file may be at most %(max)s."),
            params={
                "name": name,
                "size": filesizeformat(upload.size),
                "max": filesizeformat(MAX_SIZE),
            },
            code="too_large",
        )
    if extension not in ALLOWED:
        raise ValidationError(
            _("“%(name)s” is not an allowed type. Allowed: %(allowed)s."),
            params={"name": name, "allowed": ALLOWED_EXTENSIONS_TEXT},
            code="type",
        )
    upload.seek(0)
    head = upload.read(64)
    upload.seek(0)
    content_type, expected_kind = ALLOWED[extension]
    if _sniff(head, upload) != expected_kind:
        raise ValidationError(
            _(
                "“%(name)s” does not contain what its name says (.%(ext)s). "
                "Upload the original document, not a renamed file."
            ),
            params={"name": name, "ext": extension},
            code="disguised",
        )
    return CheckedFile(original_name=name, content_type=content_type, size=upload.size)


def store(upload) -> tuple[str, str]:
    """Write the upload under a random name; return (stored_name, sha256)."""
    folder = attachment_dir()
    folder.mkdir(parents=True, exist_ok=True)
    stored_name = secrets.token_hex(20)
    digest = hashlib.sha256()
    path = folder / stored_name
    upload.seek(0)
    try:
        with open(path, "xb") as out:
            for chunk in upload.chunks():
                digest.update(chunk)
                out.write(chunk)
    except BaseException:
        # The caller only learns the name on success, so a half-written file is ours to remove.
        path.unlink(missing_ok=True)
        raise
    return stored_name, digest.hexdigest()


def path_of(stored_name: str) -> Path:
    return attachment_dir() / stored_name


def discard(stored_name: str) -> None:
    try:
        path_of(stored_name).unlink()
    except FileNotFoundError:
        pass
