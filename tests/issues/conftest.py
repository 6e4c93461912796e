"""Personas and problems for the issues tests.

Two departments that lead problems (`lead_department`, `other_department`) and one that
helps (`co_department`), a head and a staff member for each; the liaison office; a
district and a principal leader; two enterprises with a user each; and a user who has
logged in but has no profile. `make_problem` brings a problem to any state through the
workflow itself, with explicit times in Asia/Shanghai.
"""

from __future__ import annotations

import base64
import datetime as dt
import io
import itertools
import struct
import zipfile
import zlib
from zoneinfo import ZoneInfo

import pytest
from django.contrib.auth import get_user_model
from django.core.files.uploadedfile import SimpleUploadedFile

from issues import notifications, workflow
from issues.models import Category, Problem, ProblemEvent, Satisfaction, Status
from liaison.models import Department, Enterprise, Role
from liaison.services import profile_set_role
from liaison.validators import credit_code_check_char

SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(text: str) -> dt.datetime:
    """An aware datetime in Asia/Shanghai from "YYYY-MM-DD HH:MM[:SS]"."""
    return dt.datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


# A Friday; dispatched now, a problem is due Thu 2025-10-16 (National Day week off).
NOW = at("2025-09-26 10:00")

_serial = itertools.count(1)


def credit_code(n: int) -> str:
    first17 = f"91330400{n:09d}"
    return first17 + credit_code_check_char(first17)


def make_user(username: str, role: str | None = None, **organisation):
    user = get_user_model().objects.create_user(username=username, password=None)
    if role is not None:
        profile_set_role(user=user, role=role, **organisation)
    return user


# --- organisations ---------------------------------------------------------------------


@pytest.fixture
def leader(db):
    return make_user("leader", Role.LEADER)


@pytest.fixture
def principal(db):
    return make_user("principal", Role.PRINCIPAL)


@pytest.fixture
def office(db):
    return make_user("office", Role.OFFICE)


@pytest.fixture
def lead_department(leader):
    return Department.objects.create(
        name="区生态环境分局", short_name="生态环境", supervising_leader=leader
    )


@pytest.fixture
def other_department(leader):
    return Department.objects.create(
        name="区人力资源和社会保障局", short_name="人社", supervising_leader=leader
    )


@pytest.fixture
def co_department(leader):
    return Department.objects.create(
        name="区发展和改革局", short_name="发改", supervising_leader=leader
    )


@pytest.fixture
def enterprise(db):
    return Enterprise.objects.create(name="嘉禾精密机械有限公司", credit_code=credit_code(1))


@pytest.fixture
def other_enterprise(db):
    return Enterprise.objects.create(name="南湖新材料科技有限公司", credit_code=credit_code(2))


@pytest.fixture
def category(lead_department):
    return Category.objects.create(
        name_zh="环保", name_en="Environment", default_lead_department=lead_department
    )


# --- people ----------------------------------------------------------------------------


@pytest.fixture
def lead_head(lead_department):
    return make_user("lead_head", Role.DEPARTMENT_HEAD, department=lead_department)


@pytest.fixture
def lead_staff(lead_department):
    return make_user("lead_staff", Role.DEPARTMENT_STAFF, department=lead_department)


@pytest.fixture
def other_head(other_department):
    return make_user("other_head", Role.DEPARTMENT_HEAD, department=other_department)


@pytest.fixture
def other_staff(other_department):
    return make_user("other_staff", Role.DEPARTMENT_STAFF, department=other_department)


@pytest.fixture
def co_head(co_department):
    return make_user("co_head", Role.DEPARTMENT_HEAD, department=co_department)


@pytest.fixture
def co_staff(co_department):
    return make_user("co_staff", Role.DEPARTMENT_STAFF, department=co_department)


@pytest.fixture
def enterprise_user(enterprise):
    return make_user("enterprise_user", Role.ENTERPRISE, enterprise=enterprise)


@pytest.fixture
def other_enterprise_user(other_enterprise):
    return make_user("other_enterprise_user", Role.ENTERPRISE, enterprise=other_enterprise)


@pytest.fixture
def no_profile_user(db):
    return make_user("no_profile")


# --- problems --------------------------------------------------------------------------

STATES = (
    Status.SUBMITTED,
    Status.DISPATCHED,
    Status.IN_PROGRESS,
    Status.RESOLVED,
    Status.CLOSED,
)


@pytest.fixture
def make_problem(enterprise_user, office, lead_staff, category):
    """Bring a new problem to `state` through the workflow.

    submit and dispatch happen at `now`; acknowledge, resolve and evaluate one, two and
    three hours later. `submitter` and `lead` are users: the problem's enterprise and
    lead department are theirs.
    """

    def make(
        state: str = Status.SUBMITTED,
        *,
        now: dt.datetime = NOW,
        submitter=None,
        lead=None,
        co_departments=(),
        title: str | None = None,
    ) -> Problem:
        submitter = submitter or enterprise_user
        lead = lead or lead_staff
        problem = workflow.problem_submit(
            actor=submitter,
            enterprise=submitter.profile.enterprise,
            title=title or f"危废处置渠道不畅 {next(_serial)}",
            description="喷漆车间产生的漆渣无处处置，库存已近上限。",
            category=category,
            now=now,
        )
        if state == Status.REJECTED:
            return workflow.problem_reject(
                problem_id=problem.pk, actor=office, reason="不属于政府职能范围", now=now
            )
        steps = STATES[1 : STATES.index(state) + 1]
        if Status.DISPATCHED in steps:
            problem = workflow.problem_dispatch(
                problem_id=problem.pk,
                actor=office,
                lead_department=lead.profile.department,
                co_departments=co_departments,
                now=now,
            )
        if Status.IN_PROGRESS in steps:
            problem = workflow.problem_acknowledge(
                problem_id=problem.pk, actor=lead, now=now + dt.timedelta(hours=1)
            )
        if Status.RESOLVED in steps:
            problem = workflow.problem_resolve(
                problem_id=problem.pk,
                actor=lead,
                answer="已联系有资质的处置单位上门收运。",
                now=now + dt.timedelta(hours=2),
            )
        if Status.CLOSED in steps:
            problem = workflow.problem_evaluate(
                problem_id=problem.pk,
                actor=submitter,
                satisfaction=Satisfaction.SATISFIED,
                now=now + dt.timedelta(hours=3),
            )
        return Problem.objects.get(pk=problem.pk)

    return make


def snapshot(problem: Problem) -> dict:
    """Everything a transition could change, read afresh from the database."""
    return {
        "problem": Problem.objects.filter(pk=problem.pk).values().get(),
        "co_departments": sorted(problem.co_departments.values_list("pk", flat=True)),
        "events": list(ProblemEvent.objects.filter(problem=problem).values_list("pk", flat=True)),
        "extensions": list(problem.extensions.order_by("pk").values()),
        "attachments": list(problem.attachments.values_list("pk", flat=True)),
    }


@pytest.fixture
def notified():
    """Ids of the events `notifications.event_committed` handed to handlers, in order."""
    received: list[int] = []
    notifications.register(received.append)
    yield received
    notifications.unregister(received.append)


# --- files -----------------------------------------------------------------------------


def pdf_bytes() -> bytes:
    return (
        b"%PDF-1.4\n"
        b"1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n"
        b"2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )


def png_bytes() -> bytes:
    """A 1x1 grey PNG."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0)  # 1x1, 8-bit greyscale
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x80"))
        + chunk(b"IEND", b"")
    )


def jpeg_bytes() -> bytes:
    """A 1x1 grey baseline JPEG: one DC and one AC Huffman code, both '0'."""

    def segment(marker: int, data: bytes) -> bytes:
        return struct.pack(">BBH", 0xFF, marker, len(data) + 2) + data

    jfif = b"JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00"
    quant = b"\x00" + bytes([1] * 64)
    frame = b"\x08" + struct.pack(">HH", 1, 1) + b"\x01" + b"\x01\x11\x00"
    dc_table = b"\x00" + bytes([1] + [0] * 15) + b"\x00"  # category 0
    ac_table = b"\x10" + bytes([1] + [0] * 15) + b"\x00"  # end of block
    scan = b"\x01" + b"\x01\x00" + b"\x00\x3f\x00"
    return (
        b"\xff\xd8"
        + segment(0xE0, jfif)
        + segment(0xDB, quant)
        + segment(0xC0, frame)
        + segment(0xC4, dc_table)
        + segment(0xC4, ac_table)
        + segment(0xDA, scan)
        + b"\x3f"  # DC diff 0 ("0"), EOB ("0"), padded with ones
        + b"\xff\xd9"
    )


def gif_bytes() -> bytes:
    """A 1x1 transparent GIF."""
    return base64.b64decode("R0lGODlhAQABAIAAAP///wAAACH5BAEAAAAALAAAAAABAAEAAAICRAEAOw==")


def webp_bytes() -> bytes:
    """A 1x1 lossless WebP."""
    return base64.b64decode("UklGRhoAAABXRUJQVlA4TA0AAAAvAAAAEAcQERGIiP4HAA==")


def zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return buffer.getvalue()


def docx_bytes() -> bytes:
    return zip_bytes(
        {
            "[Content_Types].xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                b'<Default Extension="xml" ContentType="application/xml"/>'
                b'<Override PartName="/word/document.xml" ContentType="application/'
                b'vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/>'
                b"</Types>"
            ),
            "word/document.xml": (
                b'<?xml version="1.0" encoding="UTF-8"?>'
                b'<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
                b"<w:body><w:p><w:r><w:t>\xe6\x83\x85\xe5\x86\xb5\xe8\xaf\xb4\xe6\x98\x8e</w:t>"
                b"</w:r></w:p></w:body></w:document>"
            ),
        }
    )


def xlsx_bytes() -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.append(["月份", "电费（元）"])
    workbook.active.append(["2025-08", 182000])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def ole_bytes() -> bytes:
    """The header of a legacy .doc/.xls compound file."""
    return b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 504


def upload(name: str, content: bytes) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


# --- pages (the view tests) ------------------------------------------------------------


@pytest.fixture
def superuser(db):
    """An administrator: a Django superuser with no profile (role "admin")."""
    user = make_user("superuser")
    user.is_superuser = user.is_staff = True
    user.save(update_fields=["is_superuser", "is_staff"])
    return user


@pytest.fixture
def warm_calendar(db):
    """Load the working-day calendar into the process cache, so a page count excludes it."""
    from django.utils import timezone

    from liaison import workdays

    workdays.is_working_day(timezone.localdate())


@pytest.fixture
def media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def client_as(client):
    """The test client logged in as `user` (None: anonymous), reading pages in English."""

    def login(user):
        client.logout()
        if user is not None:
            client.force_login(user)
        client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
        return client

    return login


def messages_of(response) -> list[tuple[str, str]]:
    """(level tag, text) of the messages a followed response shows."""
    return [(m.level_tag, str(m.message)) for m in response.context["messages"]]


_copy_serial = itertools.count(1)


def copy_problems(problem: Problem, n: int, **changes) -> list[Problem]:
    """`n` copies of `problem` (state, deadlines, co-departments), written in three queries.

    For lists that must show many rows cheaply; their references are 2024-NNNNN, which
    `make_problem` (2025) never hands out.
    """
    fields = {
        f.attname: getattr(problem, f.attname)
        for f in Problem._meta.concrete_fields
        if not f.primary_key
    }
    copies = []
    for _ in range(n):
        fields.update(reference=f"2024-{next(_copy_serial):05d}", submission_key=None)
        copies.append(Problem(**{**fields, **changes}))
    created = Problem.objects.bulk_create(copies)
    co_department_ids = list(problem.co_departments.values_list("pk", flat=True))
    through = Problem.co_departments.through
    through.objects.bulk_create(
        through(problem_id=copy.pk, department_id=department_id)
        for copy in created
        for department_id in co_department_ids
    )
    return created
