"""Uploads: checked by size, type and content (issues.attachments), stored by issues.services."""

from __future__ import annotations

import hashlib
import struct

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation

from issues import attachments
from issues.models import Attachment, EventKind, Status
from issues.services import problem_attach
from issues.workflow import NotAllowed, TransitionError

from .conftest import (
    docx_bytes,
    gif_bytes,
    jpeg_bytes,
    ole_bytes,
    pdf_bytes,
    png_bytes,
    snapshot,
    upload,
    webp_bytes,
    xlsx_bytes,
    zip_bytes,
)

DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MB = 1024 * 1024  # "20 MB" as the size limit is written (README, Security notes)


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root) -> list:
    folder = media_root / "attachments"
    return sorted(folder.iterdir()) if folder.exists() else []


# --- check_upload ----------------------------------------------------------------------


@pytest.mark.parametrize(
    "name, content, content_type",
    [
        ("营业执照.pdf", pdf_bytes(), "application/pdf"),
        ("现场照片.PNG", png_bytes(), "image/png"),
        ("现场照片.jpg", jpeg_bytes(), "image/jpeg"),
        ("现场照片.jpeg", jpeg_bytes(), "image/jpeg"),
        ("动图.gif", gif_bytes(), "image/gif"),
        ("照片.webp", webp_bytes(), "image/webp"),
        ("情况说明.docx", docx_bytes(), DOCX),
        ("电费明细.xlsx", xlsx_bytes(), XLSX),
        ("情况说明.doc", ole_bytes(), "application/msword"),
        ("电费明细.xls", ole_bytes(), "application/vnd.ms-excel"),
    ],
)
def test_it_accepts_an_allowed_file(name, content, content_type):
    checked = attachments.check_upload(upload(name, content))

    assert checked.original_name == name
    assert checked.content_type == content_type
    assert checked.size == len(content)


def test_it_accepts_a_file_of_exactly_the_maximum_size():
    file = upload("扫描件.pdf", pdf_bytes())
    file.size = 20 * MB  # the check trusts the size the upload handler counted

    assert attachments.check_upload(file).size == 20 * MB


@pytest.mark.parametrize(
    "name, content, size, code",
    [
        ("空白.pdf", b"", None, "empty"),
        ("扫描件.pdf", pdf_bytes(), 20 * MB + 1, "too_large"),
        ("setup.pdf", b"MZ\x90\x00\x03\x00\x00\x00" + b"\x00" * 56, None, "disguised"),
        ("照片.png", pdf_bytes(), None, "disguised"),
        ("照片.jpg", png_bytes(), None, "disguised"),
        (
            "情况说明.docx",
            zip_bytes({"[Content_Types].xml": b"<Types/>", "a.txt": b"x"}),
            None,
            "disguised",
        ),
        ("情况说明.docx", zip_bytes({"word/document.xml": b"<w:document/>"}), None, "disguised"),
        ("情况说明.docx", xlsx_bytes(), None, "disguised"),
        ("电费明细.xlsx", docx_bytes(), None, "disguised"),
        ("情况说明.docx", b"PK\x03\x04" + b"\x00" * 60, None, "disguised"),
        ("情况说明.doc", docx_bytes(), None, "disguised"),
        ("说明.txt", b"plain text", None, "type"),
        ("setup.exe", b"MZ\x90\x00" * 16, None, "type"),
        ("照片.svg", b"<svg xmlns='http://www.w3.org/2000/svg'/>", None, "type"),
        ("无扩展名", pdf_bytes(), None, "type"),
    ],
)
def test_it_refuses_a_file(name, content, size, code):
    file = upload(name, content)
    if size is not None:
        file.size = size  # no need to hold 20 MB in memory to test the limit

    with pytest.raises(ValidationError) as info:
        attachments.check_upload(file)

    assert info.value.code == code


def test_it_shortens_a_long_name_but_keeps_its_extension():
    name = "关于申请" * 60 + ".pdf"

    checked = attachments.check_upload(upload(name, pdf_bytes()))

    assert len(checked.original_name) == attachments.MAX_NAME_LENGTH
    assert checked.original_name.endswith("关于申请.pdf")


# --- storing ---------------------------------------------------------------------------


def test_it_stores_files_under_random_names(media_root, make_problem, enterprise_user):
    problem = make_problem(Status.IN_PROGRESS)
    content = pdf_bytes()

    created = problem_attach(
        problem_id=problem.pk,
        actor=enterprise_user,
        uploads=[upload("电费单.pdf", content), upload("电费单.pdf", content)],
    )

    assert [a.original_name for a in created] == ["电费单.pdf", "电费单.pdf"]
    names = {a.stored_name for a in created}
    assert len(names) == 2
    assert {p.name for p in stored_files(media_root)} == names
    for attachment in Attachment.objects.filter(problem=problem):
        path = attachments.path_of(attachment.stored_name)
        assert path.parent == media_root / "attachments"
        assert len(attachment.stored_name) == 40 and "电费单" not in attachment.stored_name
        assert path.read_bytes() == content
        assert attachment.sha256 == hashlib.sha256(content).hexdigest()
        assert attachment.size == len(content)
        assert attachment.content_type == "application/pdf"
        assert attachment.uploaded_by == enterprise_user
    event = problem.events.get(kind=EventKind.ATTACHMENT_ADDED)
    assert event.actor == enterprise_user
    assert set(event.attachments.all()) == set(created)


def test_it_refuses_the_eleventh_attachment(media_root, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)
    problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload(f"照片{i}.png", png_bytes()) for i in range(10)],
    )
    before, files = snapshot(problem), stored_files(media_root)

    with pytest.raises(TransitionError):
        problem_attach(
            problem_id=problem.pk, actor=lead_staff, uploads=[upload("照片.png", png_bytes())]
        )

    assert problem.attachments.count() == 10
    assert snapshot(problem) == before
    assert stored_files(media_root) == files


def test_it_stores_nothing_when_one_file_of_several_is_refused(
    media_root, make_problem, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)
    before = snapshot(problem)

    with pytest.raises(ValidationError):
        problem_attach(
            problem_id=problem.pk,
            actor=enterprise_user,
            uploads=[upload("a.pdf", pdf_bytes()), upload("b.png", pdf_bytes())],
        )

    assert snapshot(problem) == before
    assert stored_files(media_root) == []


def test_it_removes_a_half_written_file(media_root, monkeypatch):
    file = upload("a.pdf", pdf_bytes())

    def broken_chunks(chunk_size=None):
        yield b"%PDF-"
        raise OSError("No space left on device")

    monkeypatch.setattr(file, "chunks", broken_chunks)
    with pytest.raises(OSError):
        attachments.store(file)

    assert stored_files(media_root) == []


def test_it_makes_an_enterprise_users_attachment_public(media_root, make_problem, enterprise_user):
    problem = make_problem(Status.IN_PROGRESS)

    [attachment] = problem_attach(
        problem_id=problem.pk,
        actor=enterprise_user,
        uploads=[upload("a.pdf", pdf_bytes())],
        is_public=False,
    )

    assert attachment.is_public is True


def test_it_keeps_a_departments_internal_attachment_internal(media_root, make_problem, lead_staff):
    problem = make_problem(Status.IN_PROGRESS)

    [attachment] = problem_attach(
        problem_id=problem.pk,
        actor=lead_staff,
        uploads=[upload("内部记录.pdf", pdf_bytes())],
        is_public=False,
    )

    assert attachment.is_public is False
    assert problem.events.get(kind=EventKind.ATTACHMENT_ADDED).is_public is False


@pytest.mark.parametrize(
    "persona, state",
    [
        ("other_enterprise_user", Status.IN_PROGRESS),
        ("other_staff", Status.IN_PROGRESS),
        ("leader", Status.IN_PROGRESS),
        ("no_profile_user", Status.IN_PROGRESS),
        ("enterprise_user", Status.CLOSED),
        ("office", Status.CLOSED),
    ],
)
def test_it_refuses_an_attachment_from_outsiders_or_after_closing(
    request, persona, state, media_root, make_problem
):
    problem = make_problem(state)
    before = snapshot(problem)

    with pytest.raises(NotAllowed):
        problem_attach(
            problem_id=problem.pk,
            actor=request.getfixturevalue(persona),
            uploads=[upload("a.pdf", pdf_bytes())],
        )

    assert snapshot(problem) == before
    assert stored_files(media_root) == []


@pytest.mark.parametrize("persona", ["enterprise_user", "lead_staff", "co_staff", "office"])
def test_it_accepts_an_attachment_from_the_people_on_the_problem(
    request, persona, media_root, make_problem, co_department
):
    problem = make_problem(Status.IN_PROGRESS, co_departments=[co_department])

    problem_attach(
        problem_id=problem.pk,
        actor=request.getfixturevalue(persona),
        uploads=[upload("a.pdf", pdf_bytes())],
    )

    assert problem.attachments.count() == 1


def test_it_notifies_an_added_attachment_after_commit(
    django_capture_on_commit_callbacks, notified, media_root, make_problem, enterprise_user
):
    problem = make_problem(Status.IN_PROGRESS)

    with django_capture_on_commit_callbacks(execute=True):
        problem_attach(
            problem_id=problem.pk, actor=enterprise_user, uploads=[upload("a.pdf", pdf_bytes())]
        )

    assert notified == [problem.events.get(kind=EventKind.ATTACHMENT_ADDED).pk]


# --- Office files are zip archives: bounded before they are listed ----------------------


def many_parts(n: int) -> bytes:
    """A .docx of `n` parts (most of them empty), as a zip-bomb-like upload would be."""
    files = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    files.update({f"word/media/image{i}.png": b"" for i in range(n)})
    return zip_bytes(files)


def claiming(content: bytes, *, entries: int, zip64: bool = False) -> bytes:
    """`content` with an end record (or a zip64 end record) claiming `entries` entries."""
    end = content.rfind(b"PK\x05\x06")
    body, record = content[:end], bytearray(content[end:])
    if not zip64:
        struct.pack_into("<2H", record, 8, entries, entries)
        return body + bytes(record)
    directory_size, directory_offset = struct.unpack_from("<2L", record, 12)
    zip64_record = struct.pack(
        "<4sQ2H2L4Q",
        b"PK\x06\x06",
        44,
        45,
        45,
        0,
        0,
        entries,
        entries,
        directory_size,
        directory_offset,
    )
    locator = struct.pack("<4sLQL", b"PK\x06\x07", 0, len(body), 1)
    return body + zip64_record + locator + bytes(record)


@pytest.mark.parametrize(
    "build",
    [
        lambda: many_parts(2001),
        lambda: claiming(docx_bytes(), entries=60_000),
        lambda: claiming(docx_bytes(), entries=200_000, zip64=True),
        # 30 MB of zeros packed into 30 KB: a thousand times its size unpacked.
        lambda: zip_bytes(
            {"[Content_Types].xml": b"<Types/>", "word/document.xml": bytes(30_000_000)}
        ),
    ],
    ids=["2001-parts", "claims-60000-parts", "zip64-claims-200000-parts", "unpacks-1000-fold"],
)
def test_it_refuses_an_office_file_with_too_many_parts_or_too_much_inside(build):
    with pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("情况说明.docx", build()))

    assert info.value.code == "zip_too_large"
    with translation.override("en"):
        assert "has more parts, or unpacks to more, than a document has" in info.value.messages[0]


def test_it_accepts_an_office_file_with_many_parts():
    content = many_parts(1998)

    assert attachments.check_upload(upload("情况说明.docx", content)).content_type == DOCX


def test_it_does_not_list_the_parts_of_an_archive_that_claims_too_many(monkeypatch):
    content = claiming(docx_bytes(), entries=60_000)

    def listed(*args, **kwargs):
        raise AssertionError("the archive was opened")

    monkeypatch.setattr(attachments.zipfile, "ZipFile", listed)

    with pytest.raises(ValidationError) as info:
        attachments.check_upload(upload("情况说明.docx", content))

    assert info.value.code == "zip_too_large"
