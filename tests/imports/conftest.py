"""A district's past year as the import templates hold it: 9 meetings, 73 enterprises, 180 problems.

Workbooks are built in memory with liaison.xlsx, as an office would fill in the
templates. The departments, categories and people are few; the year is last year, so
every date is in the past and on the official working-day calendar.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.management import call_command
from django.utils import timezone

from imports.exports import resource_headers
from imports.history import MEETING_COLUMNS, MEETING_SHEET, PROBLEM_COLUMNS, PROBLEM_SHEET
from issues.models import Category
from liaison import workdays, xlsx
from liaison.validators import credit_code_check_char

DEPARTMENTS = [
    # name, short, kind, head, phone, code
    ("区经信商务局", "经信商务", "区级部门", "钟伟明", "0573-82000011", "jxsw"),
    ("区生态环境分局", "生态环境", "区级部门", "莫振宇", "0573-82000012", "sthj"),
    ("区人力社保局", "人力社保", "区级部门", "何丽娟", "13800000013", "rlsb"),
    ("王江泾镇", "王江泾", "镇（街道）", "李国华", "0573-82000014", "wjj"),
]
MEETINGS = 9
ENTERPRISES = 73
PROBLEMS = 180


def credit_code(serial: int) -> str:
    first17 = f"91330411MA{serial:07d}"
    return first17 + credit_code_check_char(first17)


def workbook(sheets: dict[str, tuple[list[str], list[list]]]) -> bytes:
    book = xlsx.new_workbook()
    for name, (headers, rows) in sheets.items():
        xlsx.add_table(
            book, sheet_name=name, title=None, columns=[(h, 12) for h in headers], rows=rows
        )
    return xlsx.workbook_bytes(book)


def departments_xlsx() -> bytes:
    rows = [
        [name, short, kind, head, phone, "", "leader1", "政策咨询；上门服务", i]
        for i, (name, short, kind, head, phone, _code) in enumerate(DEPARTMENTS)
    ]
    return workbook({"departments": (resource_headers("departments"), rows)})


def enterprises_xlsx(n: int = ENTERPRISES) -> bytes:
    rows = [
        [credit_code(i), f"嘉兴导入测试{i:03d}有限公司", "纺织", "王江泾镇", f"工业园区{i}号",
         f"联系人{i}", f"1390000{i:04d}", ""]
        for i in range(1, n + 1)
    ]  # fmt: skip
    return workbook({"enterprises": (resource_headers("enterprises"), rows)})


def officials_xlsx(*, leaders_only: bool = False) -> bytes:
    rows = [
        ["leader1", "顾晓明", "", "区领导", "", "", "副区长", "13800000101"],
        ["office1", "金晓燕", "", "联络办", "", "", "主任", ""],
    ]
    if leaders_only:
        return workbook({"officials": (resource_headers("officials"), rows)})
    rows += [
        [f"{code}_head", head, "", "部门负责人", name, "", "局长", ""]
        for name, _short, _kind, head, _phone, code in DEPARTMENTS
    ]
    rows += [
        [f"ent{i:03d}", f"企业用户{i}", "", "企业用户", "", credit_code(i), "总经理", ""]
        for i in range(1, ENTERPRISES + 1)
    ]
    return workbook({"officials": (resource_headers("officials"), rows)})


def past_meeting_days(year: int) -> list[dt.date]:
    days = []
    for month in range(2, 2 + MEETINGS):
        day = dt.date(year, month, 10)
        while not workdays.is_working_day(day):
            day += dt.timedelta(days=1)
        days.append(day)
    return days


def history_xlsx(year: int | None = None) -> bytes:
    """9 meetings; 73 enterprises attend (8 or 9 each); 180 problems, 20 a meeting,
    each answered 2-9 working days after its meeting. Appeal types (诉求类型) by the
    problem's number p in its meeting: p % 7 == 1 咨询, 3 投诉, 5 "suggestion" (the value
    as the API writes it), else empty (求决)."""
    year = year or timezone.localdate().year - 1
    days = past_meeting_days(year)
    codes = [credit_code(i) for i in range(1, ENTERPRISES + 1)]
    groups = [codes[i::MEETINGS] for i in range(MEETINGS)]
    meetings, problems = [], []
    leads = [d[0] for d in DEPARTMENTS]
    for m, day in enumerate(days):
        theme = f"第{m + 1}期 面对面 主题{m + 1}"
        attending = groups[m]
        meetings.append(
            [day, "09:00", theme, "区行政中心一号会议室", "leader1", "、".join(leads),
             "、".join(attending), "、".join(attending), f"会议纪要{m + 1}",
             workdays.add_working_days(day, 15).value]
        )  # fmt: skip
        for p in range(PROBLEMS // MEETINGS):
            answered = workdays.add_working_days(day, 2 + (p * 3) % 8).value
            problems.append(
                ["", attending[p % len(attending)], day, theme, f"问题{m + 1}-{p + 1}",
                 f"企业反映的问题{m + 1}-{p + 1}", "环保", leads[p % len(leads)], "",
                 "leader1" if p % 5 == 0 else "", day, day, answered, f"答复{m + 1}-{p + 1}",
                 "基本满意" if p % 11 == 7 else "满意",
                 workdays.add_working_days(answered, 1).value,
                 {1: "咨询", 3: "投诉", 5: "suggestion"}.get(p % 7, "")]
            )  # fmt: skip
    return workbook(
        {
            MEETING_SHEET: ([c[0] for c in MEETING_COLUMNS], meetings),
            PROBLEM_SHEET: ([c[0] for c in PROBLEM_COLUMNS], problems),
        }
    )


@pytest.fixture
def calendar(db):
    call_command("load_calendar", verbosity=0)


@pytest.fixture
def categories(db):
    return Category.objects.create(name_zh="环保", name_en="Environment")
