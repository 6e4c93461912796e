"""Bad rows and bad files: each row's errors in the user's language, and nothing written."""

import pytest
from django.utils import translation

from imports.exports import resource_headers, template_xlsx
from imports.resources import EnterpriseResource
from imports.services import import_workbook
from liaison.models import ENTERPRISE_DETAILS, Enterprise

from .conftest import credit_code, workbook

pytestmark = pytest.mark.django_db


def enterprises(rows):
    return workbook({"enterprises": (resource_headers("enterprises"), rows)})


def run(content, kind="enterprises", name="e.xlsx", dry_run=False):
    return import_workbook(kind=kind, name=name, content=content, actor=None, dry_run=dry_run)


def wrong_check_digit(code: str) -> str:
    return code[:17] + ("1" if code[17] != "1" else "2")


BAD = [
    [credit_code(1), "好企业", "", "", "", "", "", ""],
    [wrong_check_digit(credit_code(2)), "校验位错", "", "", "", "", "", ""],
    [credit_code(3), "镇不存在", "", "不存在镇", "", "", "", ""],
]


@pytest.mark.parametrize(
    ("language", "check_digit", "unknown"),
    [
        ("zh-hans", "校验", "所在镇街: 未知部门“不存在镇”，请先导入部门。"),
        (
            "en",
            "check digit",
            "所在镇街: Unknown department “不存在镇”: import the departments first.",
        ),
    ],
)
def test_it_reports_each_rows_errors_in_the_users_language(language, check_digit, unknown):
    with translation.override(language):
        report = run(enterprises(BAD), dry_run=True)
    assert [e.row for e in report.errors] == [3, 4]
    assert check_digit in " ".join(report.errors[0].messages)
    assert unknown in " ".join(report.errors[1].messages)
    assert not Enterprise.objects.exists()


def test_it_writes_nothing_when_one_row_is_bad():
    report = run(enterprises(BAD))
    assert not report.ok
    assert not Enterprise.objects.exists()


def test_the_same_key_twice_in_a_file_is_an_error():
    row = [credit_code(1), "甲", "", "", "", "", "", ""]
    report = run(enterprises([row, row]))
    assert 3 in [e.row for e in report.errors]
    assert not Enterprise.objects.exists()


def test_it_refuses_nul_characters_and_overlong_text():
    from imports.resources import TextWidget

    with pytest.raises(ValueError, match="NUL"):
        TextWidget(200).clean("坏\x00名")
    report = run(enterprises([[credit_code(2), "长" * 201, "", "", "", "", "", ""]]))
    assert [e.row for e in report.errors] == [2]
    assert not Enterprise.objects.exists()


def test_it_refuses_what_is_not_an_xlsx():
    assert run(b"not a workbook", name="e.xlsx").file_error
    assert run(b"a,b", name="e.csv").file_error


def test_it_refuses_a_zip_bomb():
    import io
    import zipfile

    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("[Content_Types].xml", "<x/>")
        archive.writestr("xl/worksheets/sheet1.xml", "0" * 50_000_000)
    report = run(buffer.getvalue())
    assert report.file_error and not Enterprise.objects.exists()


def test_the_template_has_chinese_headers_and_english_aliases_are_accepted():
    from imports.files import read_workbook

    sheet = read_workbook("t.xlsx", template_xlsx("enterprises"))[0]
    assert sheet.headers[:2] == ["统一社会信用代码", "企业名称"]
    english = workbook({"e": (["Credit code", "Name"], [[credit_code(5), "英文表头企业"]])})
    assert run(english).created == 1


def test_every_enterprise_detail_has_its_column_and_an_english_alias():
    """The file's columns are the key and liaison.models.ENTERPRISE_DETAILS, each declared
    with a Chinese header (not the bare field name import-export makes up for a field in
    Meta.fields without a column) and an English alias."""
    resource = EnterpriseResource()
    names = ["credit_code", *ENTERPRISE_DETAILS]
    assert [field.attribute for field in resource.get_export_fields()] == names
    headers = [resource.header_of(name) for name in names]
    assert not set(headers) & set(names)
    assert set(EnterpriseResource.ALIASES.values()) == set(headers)


def test_formula_looking_text_stays_text_on_export():
    import io

    from openpyxl import load_workbook

    from imports.exports import export_xlsx

    Enterprise.objects.create(credit_code=credit_code(9), name='=HYPERLINK("http://x","y")')
    sheet = load_workbook(io.BytesIO(export_xlsx("enterprises"))).active
    cell = sheet["B2"]
    assert cell.data_type == "s" and cell.quotePrefix
