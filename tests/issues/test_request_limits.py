"""Request bodies are refused by their declared size before anything reads them
(liaison.middleware), and an Office file is bounded before it is listed (issues.attachments)."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from issues.models import Problem, Status

from .conftest import pdf_bytes, snapshot, upload, zip_bytes

pytestmark = pytest.mark.django_db

MB = 1024 * 1024
# A problem's ten attachments of 20 MB and a megabyte of form (the reverse proxy's limit).
UPLOAD_LIMIT = 10 * 20 * MB + MB


class Unreadable:
    """A request body that fails the test if anything reads it."""

    def read(self, *args):
        raise AssertionError("the request body was read")

    readline = read


@pytest.fixture
def strict_client():
    """A client whose requests pass the CSRF check, which reads the form, as browsers' do."""
    return Client(enforce_csrf_checks=True, HTTP_ACCEPT_LANGUAGE="en")


def send(client, url: str, length: int, **extra):
    return client.generic(
        "POST",
        url,
        content_type="multipart/form-data; boundary=liaison",
        CONTENT_LENGTH=str(length),
        **{"wsgi.input": Unreadable()},
        **extra,
    )


def test_a_body_larger_than_ten_attachments_is_refused_unread(strict_client, enterprise_user):
    strict_client.force_login(enterprise_user)

    just_over = send(strict_client, reverse("issues:submit"), UPLOAD_LIMIT + 1)
    response = send(strict_client, reverse("issues:submit"), 250 * MB)

    assert just_over.status_code == 413
    assert response.status_code == 413
    html = response.content.decode()
    assert "What you sent (250.0\xa0MB) is more than this page accepts (201.0\xa0MB)" in html
    assert not Problem.objects.exists()


def test_a_60_mb_body_to_a_form_without_files_is_refused_unread(
    strict_client, lead_staff, make_problem
):
    problem = make_problem(Status.IN_PROGRESS)
    before = snapshot(problem)
    strict_client.force_login(lead_staff)

    response = send(strict_client, reverse("issues:progress", args=[problem.reference]), 60 * MB)

    assert response.status_code == 413
    assert "more than this page accepts (2.5\xa0MB)" in response.content.decode()
    assert snapshot(problem) == before


def test_a_60_mb_login_is_refused_unread(strict_client, db):
    response = send(strict_client, reverse("login"), 60 * MB)

    assert response.status_code == 413


def test_a_body_without_a_length_is_refused(strict_client, enterprise_user):
    strict_client.force_login(enterprise_user)

    response = strict_client.generic(
        "POST",
        reverse("issues:submit"),
        HTTP_TRANSFER_ENCODING="chunked",
        **{"wsgi.input": Unreadable()},
    )

    assert response.status_code == 411


def test_the_refusal_is_in_the_users_language(enterprise_user):
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(enterprise_user)

    response = send(client, reverse("issues:submit"), 250 * MB)

    assert "您发送的内容（250.0\xa0MB）超过了本页面可接收的上限（201.0\xa0MB）" in (
        response.content.decode()
    )


def test_a_three_megabyte_attachment_still_reaches_the_form(
    client_as, enterprise_user, category, media_root
):
    # Larger than a form without files may send, within what a page with files accepts.
    big_pdf = pdf_bytes() + b"%" * (3 * MB)

    response = client_as(enterprise_user).post(
        reverse("issues:submit"),
        {
            "submission_key": "8a0f1f4e-6a57-4c1d-9d3e-2b7f9c0f5a11",
            "title": "用电成本偏高",
            "category": category.pk,
            "description": "峰谷电价调整后每月电费增加约三万元。",
            "files": [upload("电费单.pdf", big_pdf)],
        },
    )

    assert response.status_code == 302
    assert Problem.objects.get().attachments.get().size == len(big_pdf)


def test_a_zip_bomb_docx_is_refused_with_a_message(
    client_as, enterprise_user, category, media_root
):
    parts = {"[Content_Types].xml": b"<Types/>", "word/document.xml": b"<w:document/>"}
    parts.update({f"word/media/image{i}.png": b"" for i in range(5000)})

    response = client_as(enterprise_user).post(
        reverse("issues:submit"),
        {
            "submission_key": "8a0f1f4e-6a57-4c1d-9d3e-2b7f9c0f5a11",
            "title": "用电成本偏高",
            "category": category.pk,
            "description": "峰谷电价调整后每月电费增加约三万元。",
            "files": [upload("情况说明.docx", zip_bytes(parts))],
        },
    )

    assert response.status_code == 200
    [error] = response.context["form"].errors["files"]
    assert error.startswith("“情况说明.docx” has more parts, or unpacks to more, than a document")
    assert not Problem.objects.exists()
