"""The admin's "Import from Excel" page: who reaches it, downloads, dry run, confirm."""

from __future__ import annotations

import io
from urllib.parse import unquote

import pytest
from django.contrib.auth import get_user_model
from django.contrib.messages import get_messages
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import resolve, reverse
from django.utils import timezone
from openpyxl import load_workbook

from imports import admin_views, pending
from imports.exports import resource_headers
from liaison.models import Department, Enterprise, Role
from tests.liaison.conftest import USERNAMES, build_district

from .conftest import credit_code, history_xlsx, workbook

pytestmark = pytest.mark.django_db

User = get_user_model()
PAGE = "admin:imports_import"
ROLES_REFUSED = [
    None,
    Role.ENTERPRISE,
    Role.DEPARTMENT_STAFF,
    Role.DEPARTMENT_HEAD,
    Role.LEADER,
    Role.PRINCIPAL,
]
ROLES_ALLOWED = [Role.OFFICE, Role.ADMIN]


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


@pytest.fixture
def district():
    return build_district()


@pytest.fixture
def office(district):
    return district.user(Role.OFFICE)


@pytest.fixture
def office_client(client, office):
    client.force_login(office)
    return client


def enterprises_file(rows, name="企业.xlsx"):
    content = workbook({"enterprises": (resource_headers("enterprises"), rows)})
    return SimpleUploadedFile(name, content)


def good_rows(n=3):
    return [
        [credit_code(i), f"导入企业{i}", "纺织", "梅湾街道", "", "", "", ""]
        for i in range(1, n + 1)
    ]


def wrong_check_digit(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


def dry_run(client, upload, kind="enterprises", language="en"):
    return client.post(
        reverse(PAGE), {"kind": kind, "file": upload}, headers={"accept-language": language}
    )


def confirm(client, token, language="en", **extra):
    return client.post(
        reverse("admin:imports_confirm"),
        {"token": token, **extra},
        headers={"accept-language": language},
    )


def messages_of(response) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def urls():
    return [
        ("get", reverse(PAGE)),
        ("post", reverse(PAGE)),
        ("post", reverse("admin:imports_confirm")),
        ("get", reverse("admin:imports_template", args=["enterprises"])),
        ("get", reverse("admin:imports_export", args=["history"])),
    ]


# Who gets in.


@pytest.mark.parametrize("role", ROLES_REFUSED)
def test_other_roles_are_sent_to_the_admin_login_like_elsewhere_in_it(client, district, role):
    user = User.objects.get(username=USERNAMES[role])
    client.force_login(user)
    for method, url in urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302, url
        assert response.url.startswith(reverse("admin:login")), url
    assert not pending.pending_dir().exists()


def test_anonymous_visitors_are_sent_to_the_admin_login(client):
    for method, url in urls():
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith(reverse("admin:login"))


def test_a_staff_flag_without_the_office_role_does_not_open_it(client, district):
    user = district.user(Role.ENTERPRISE)
    User.objects.filter(pk=user.pk).update(is_staff=True)
    client.force_login(user)
    assert client.get(reverse(PAGE)).status_code == 302


@pytest.mark.parametrize("role", ROLES_ALLOWED)
def test_the_office_and_admins_open_it(client, district, role):
    client.force_login(district.user(role))
    for method, url in urls():
        if method == "get":
            assert client.get(url).status_code == 200, url


def test_a_superuser_without_a_profile_opens_it(client, district):
    client.force_login(User.objects.create_superuser("root", email="root@example.com"))
    assert client.get(reverse(PAGE)).status_code == 200


def test_an_unknown_kind_is_not_found(office_client):
    assert office_client.get("/admin/imports/nothing/template.xlsx").status_code == 404
    assert office_client.get("/admin/imports/nothing/export.xlsx").status_code == 404


def test_the_index_and_the_changelists_link_to_it(office_client):
    page = reverse(PAGE)
    index = office_client.get(reverse("admin:index"))
    assert f'href="{page}"' in index.text
    for changelist, kind in [
        ("admin:liaison_enterprise_changelist", "enterprises"),
        ("admin:liaison_department_changelist", "departments"),
        ("admin:auth_user_changelist", "officials"),
    ]:
        assert f'href="{page}?kind={kind}"' in office_client.get(reverse(changelist)).text


def test_the_kind_comes_chosen_from_a_changelist(office_client):
    response = office_client.get(reverse(PAGE), {"kind": "departments"})
    assert response.context["form"].initial == {"kind": "departments"}


def test_the_page_is_in_chinese_for_a_chinese_browser(office_client):
    response = office_client.get(reverse(PAGE), headers={"accept-language": "zh-hans"})
    assert "从 Excel 导入" in response.text
    assert "检查文件（试导入）" in response.text


# Downloads.


def test_a_template_has_chinese_headers_and_a_chinese_file_name(office_client):
    response = office_client.get(
        reverse("admin:imports_template", args=["enterprises"]),
        headers={"accept-language": "zh-hans"},
    )

    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    disposition = response["Content-Disposition"]
    assert disposition.startswith("attachment;")
    assert "企业导入模板.xlsx" in unquote(disposition.split("filename*=utf-8''")[-1])
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    assert [c.value for c in sheet[1]] == resource_headers("enterprises")


def test_the_history_template_has_both_sheets(office_client):
    response = office_client.get(reverse("admin:imports_template", args=["history"]))
    assert load_workbook(io.BytesIO(response.content)).sheetnames == ["会议", "问题"]


def test_an_export_keeps_formula_looking_text_as_text(office_client, district):
    Enterprise.objects.filter(pk=district.enterprise.pk).update(
        name='=HYPERLINK("http://evil.example","请点击")'
    )
    response = office_client.get(
        reverse("admin:imports_export", args=["enterprises"]),
        headers={"accept-language": "zh-hans"},
    )

    today = timezone.localdate().isoformat()
    assert f"企业导出{today}.xlsx" in unquote(response["Content-Disposition"])
    sheet = load_workbook(io.BytesIO(response.content)).worksheets[0]
    cell = next(c for c in sheet["B"] if str(c.value).startswith("=HYPERLINK"))
    assert cell.data_type == "s"
    assert cell.quotePrefix


# The dry run.


def test_a_dry_run_lists_each_rows_errors_in_chinese_and_writes_nothing(office_client):
    rows = good_rows(2) + [
        [wrong_check_digit(credit_code(3)), "校验位错", "", "", "", "", "", ""],
        [credit_code(4), "镇不存在", "", "不存在的镇", "", "", "", ""],
    ]
    response = dry_run(office_client, enterprises_file(rows), language="zh-hans")

    assert response.status_code == 200
    lines = response.context["error_lines"]
    assert [(e.sheet, e.row, e.column) for e in lines] == [
        ("enterprises", 4, "统一社会信用代码"),
        ("enterprises", 5, "所在镇街"),
    ]
    assert "未知部门“不存在的镇”" in lines[1].message
    assert "2 行有错误" in response.text
    assert 'id="import-confirm"' not in response.text
    assert Enterprise.objects.count() == 1
    assert not list(pending.pending_dir().glob("*"))


def test_a_good_file_shows_what_would_happen_and_writes_nothing(office_client, district):
    rows = good_rows(3) + [
        [district.enterprise.credit_code, district.enterprise.name, "金属表面处理", "梅湾街道",
         "梅湾街道工业园区 8 号", "刘洋", "13900000001", "liuyang@hefeng.example"],
    ]  # fmt: skip
    response = dry_run(office_client, enterprises_file(rows))

    report = response.context["report"]
    assert (report.rows, report.created, report.updated, report.skipped) == (4, 3, 0, 1)
    assert "Would be created" in response.text
    assert 'id="import-confirm"' in response.text
    assert response.context["token"]
    assert Enterprise.objects.count() == 1
    assert len(list(pending.pending_dir().glob("*.xlsx"))) == 1


def test_a_file_that_is_not_a_workbook_is_refused_with_the_reason(office_client):
    response = dry_run(office_client, SimpleUploadedFile("e.csv", b"a,b\n1,2\n"))
    assert "Upload an Excel workbook (.xlsx)" in response.text
    response = dry_run(office_client, SimpleUploadedFile("e.xlsx", b"not a zip"))
    assert response.context["report"].file_error
    assert not list(pending.pending_dir().glob("*"))


def test_a_file_too_large_is_refused(office_client, monkeypatch):
    monkeypatch.setattr(admin_views, "MAX_FILE_SIZE", 100)
    response = dry_run(office_client, enterprises_file(good_rows()))
    assert "an import file may be at most 100" in response.text
    assert response.context["report"] is None


# The confirm.


def test_confirm_imports_the_file_once(office_client):
    token = dry_run(office_client, enterprises_file(good_rows(3))).context["token"]

    response = confirm(office_client, token)
    assert response.status_code == 302
    assert "3 new, 0 changed, 0 unchanged" in " ".join(messages_of(response))
    assert Enterprise.objects.count() == 4
    assert not list(pending.pending_dir().glob("*"))

    again = confirm(office_client, token)  # a double click, or the back button
    assert "already been imported" in " ".join(messages_of(again))
    assert Enterprise.objects.count() == 4


def test_confirm_validates_again(office_client, district):
    token = dry_run(office_client, enterprises_file(good_rows(2))).context["token"]
    Department.objects.filter(pk=district.town.pk).update(name="改名街道", short_name="改名")

    response = confirm(office_client, token, language="zh-hans")

    assert response.status_code == 200
    assert "没有导入任何内容" in " ".join(messages_of(response))
    assert {e.row for e in response.context["error_lines"]} == {2, 3}
    assert Enterprise.objects.count() == 1


def test_a_tampered_token_is_refused_with_a_clear_message(office_client):
    token = dry_run(office_client, enterprises_file(good_rows())).context["token"]
    response = confirm(office_client, token[:-2] + ("AA" if token[-2:] != "AA" else "BB"))
    assert "This confirmation is not valid: upload the file again." in messages_of(response)
    assert Enterprise.objects.count() == 1


def test_a_stale_token_is_refused_with_a_clear_message(office_client, monkeypatch):
    token = dry_run(office_client, enterprises_file(good_rows())).context["token"]
    monkeypatch.setattr(pending, "PENDING_MAX_AGE", -1)
    response = confirm(office_client, token)
    assert "The dry run is more than an hour old: upload the file again." in messages_of(response)
    assert Enterprise.objects.count() == 1


def test_another_users_token_is_refused(client, district):
    client.force_login(district.user(Role.OFFICE))
    token = dry_run(client, enterprises_file(good_rows())).context["token"]
    client.force_login(district.user(Role.ADMIN))
    response = confirm(client, token)
    assert "This confirmation is not valid: upload the file again." in messages_of(response)
    assert Enterprise.objects.count() == 1


def test_cancel_forgets_the_file(office_client):
    token = dry_run(office_client, enterprises_file(good_rows())).context["token"]
    response = confirm(office_client, token, cancel="1")
    assert "The import was cancelled: nothing was written." in messages_of(response)
    assert not list(pending.pending_dir().glob("*"))
    assert Enterprise.objects.count() == 1


def test_a_new_upload_replaces_the_users_pending_file(office_client):
    first = dry_run(office_client, enterprises_file(good_rows(1))).context["token"]
    dry_run(office_client, enterprises_file(good_rows(2)))
    assert len(list(pending.pending_dir().glob("*.xlsx"))) == 1
    assert "already been imported" in " ".join(messages_of(confirm(office_client, first)))


def test_a_history_dry_run_names_the_sheet_and_column_of_each_error(
    office_client, calendar, categories, monkeypatch
):
    monkeypatch.setattr(admin_views, "ERRORS_SHOWN", 5)
    upload = SimpleUploadedFile("2025.xlsx", history_xlsx())
    response = dry_run(office_client, upload, kind="history", language="zh-hans")

    lines = response.context["error_lines"]
    assert len(lines) == 5
    assert response.context["error_count"] > 5
    assert "另有" in response.text
    every = admin_views.error_lines(response.context["report"])
    meeting = next(line for line in every if line.sheet == "会议")
    problem = next(line for line in every if line.sheet == "问题")
    assert meeting.column == "主持区领导（用户名）"
    assert problem.column == "统一社会信用代码"
    assert "请先导入企业" in problem.message
    assert 'id="import-confirm"' not in response.text


def test_the_upload_accepts_a_body_as_large_as_an_import_file():
    view = resolve(reverse(PAGE)).func
    assert view.request_body_limit > admin_views.MAX_FILE_SIZE
    assert not hasattr(resolve(reverse("admin:imports_confirm")).func, "request_body_limit")
