"""Review of the Excel import (issue 14): a key that cannot be read is its row's error."""

from __future__ import annotations

import pytest
from django.utils import translation

from imports.exports import resource_headers
from imports.services import import_workbook
from liaison.models import Department

from .conftest import workbook

pytestmark = pytest.mark.django_db


def run(kind, rows):
    content = workbook({kind: (resource_headers(kind), rows)})
    return import_workbook(kind=kind, name="f.xlsx", content=content, actor=None, dry_run=False)


@pytest.mark.parametrize(("language", "text"), [("zh-hans", "最多允许150个"), ("en", "150")])
def test_a_username_too_long_is_its_rows_error_not_a_crash(language, text):
    rows = [
        ["office2", "金晓燕", "", "联络办", "", "", "主任", ""],
        ["a" * 200, "张三", "", "联络办", "", "", "", ""],
    ]
    with translation.override(language):
        report = run("officials", rows)
    assert not report.ok
    assert [error.row for error in report.errors] == [3]
    assert text in " ".join(report.errors[0].messages)


def test_a_department_name_too_long_is_its_rows_error_and_nothing_is_written():
    rows = [
        ["区经信商务局", "经信商务", "区级部门", "钟伟明", "0573-82000011", "", "", "", 1],
        ["部" * 300, "长", "区级部门", "头", "0573-82000012", "", "", "", 2],
    ]
    report = run("departments", rows)
    assert [error.row for error in report.errors] == [3]
    assert not Department.objects.filter(name="区经信商务局").exists()
