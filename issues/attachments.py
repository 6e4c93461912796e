"""Attachments: checked by size, type and content, stored under random names outside any URL.

Allowed: PDF, images (JPEG, PNG, GIF, WebP), Word (.doc, .docx) and Excel (.xls, .xlsx).
The type is read from the file's first bytes (and, for Office files, from inside the
container), and must agree with the file name's extension: an .exe renamed .pdf, an
empty file or an oversize one is refused with a message.

An Office file (.docx, .xlsx) is a zip archive. Before it is opened, its end record says
how many entries and how large a directory it has, and an archive of more entries than
any real document has is refused there: listing 200,000 entries alone took 3 s. Then its
directory (never its contents) says how large it would be unpacked: a "zip bomb" that
unpacks to far more than a document does is refused too.
"""

from __future__ import annotations

import hashlib
import secrets
import struct
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

# An Office file's archive: a long report has a few hundred parts (one per image, sheet,
# style...), each about 100 bytes of directory. Listing the entries takes time in
# proportion to the directory's size, whatever count the end record claims, so both are
# bounded. Unpacked, a document is at most a few times its size (text compresses about
# tenfold, images not at all).
MAX_ZIP_ENTRIES = 2000
MAX_ZIP_DIRECTORY = MAX_ZIP_ENTRIES * 256
MAX_UNPACKED_SIZE = 200 * 1024 * 1024
MAX_UNPACKED_RATIO = 100

# The zip end records (PKWARE APPNOTE 4.3.14-16), read as Python's zipfile reads them.
_END = struct.Struct("<4s4H2LH")  # end of central directory
_END64_LOCATOR = struct.Struct("<4sLQL")
_END64 = struct.Struct("<4sQ2H2L4Q")


class ZipTooLarge(Exception):
    """The archive has more entries, or a larger directory, than a document has."""


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
            _check_zip_directory(upload)
            with zipfile.ZipFile(upload) as archive:
                entries = archive.infolist()
        except (zipfile.BadZipFile, OSError, EOFError, ValueError, struct.error):
            return None  # a corrupt archive is not an Office document
        finally:
            upload.seek(0)
        unpacked = sum(entry.file_size for entry in entries)
        if len(entries) > MAX_ZIP_ENTRIES or unpacked > min(
            MAX_UNPACKED_SIZE, MAX_UNPACKED_RATIO * upload.size
        ):
            raise ZipTooLarge
        names = {entry.filename for entry in entries}
        if "[Content_Types].xml" in names:
            if any(n.startswith("word/") for n in names):
                return "docx"
            if any(n.startswith("xl/") for n in names):
                return "xlsx"
    return None


def _check_zip_directory(upload) -> None:
    """Raise ZipTooLarge if the archive's end record announces too many entries or too
    large a directory, reading only the end of the file (as zipfile would, first)."""
    upload.seek(0, 2)
    size = upload.tell()
    tail_start = max(0, size - _END.size - 0xFFFF)  # the record, and a comment of 64 KB
    upload.seek(tail_start)
    tail = upload.read()
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or at + _END.size > len(tail):
        raise zipfile.BadZipFile("no end of central directory")
    entries, directory = _END.unpack_from(tail, at)[4:6]
    # A zip64 locator just before it overrides both (zipfile trusts it): read it too.
    locator = tail_start + at - _END64_LOCATOR.size
    if locator >= _END64.size:
        upload.seek(locator)
        if upload.read(4) == b"PK\x06\x07":
            upload.seek(locator - _END64.size)
            record = upload.read(_END64.size)
            if len(record) < _END64.size or record[:4] != b"PK\x06\x06":
                raise zipfile.BadZipFile("bad zip64 end of central directory")
            entries, directory = _END64.unpack(record)[7:9]
    if entries > MAX_ZIP_ENTRIES or directory > MAX_ZIP_DIRECTORY:
        raise ZipTooLarge


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
    try:
        kind = _sniff(head, upload)
    except ZipTooLarge:
        raise ValidationError(
            _(
                "“%(name)s” has more parts, or unpacks to more, than a document has (at most "
                "%(entries)s parts and %(unpacked)s). Save it again from Word or Excel, or "
                "send it as PDF."
            ),
            params={
                "name": name,
                "entries": MAX_ZIP_ENTRIES,
                "unpacked": filesizeformat(MAX_UNPACKED_SIZE),
            },
            code="zip_too_large",
        ) from None
    if kind != expected_kind:
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
