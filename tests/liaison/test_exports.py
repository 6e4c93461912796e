"""Every .xlsx download, through its HTTP view: user text stays text (never a formula),
dates are dates, rates carry no float noise, every sheet prints on A4 with its header row
repeated and filters on, file names say what the file is.

The data set is written directly, in 2025, with hostile text (a formula after each of the
prefixes a spreadsheet acts on) in every user-written field that reaches an export.
"""

from __future__ import annotations

import datetime as dt
import io
import re
from urllib.parse import unquote

import openpyxl
import pytest
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from openpyxl.utils import get_column_letter

from dashboard.bulletin.services import bulletin_generate
from issues.models import Category, Problem, Status
from keytasks.models import KeyTask, Milestone
from liaison import workdays
from liaison.models import Department, Role
from liaison.templatetags.liaison_tags import person_name
from meetings.models import ActionItem, CoordinationMeeting, Invitation, Meeting

YEAR = 2025
# Each one makes Excel or LibreOffice read what follows as a formula when it is typed in
# (tab and CR when pasted from a CSV).
PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def at(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).replace(tzinfo=workdays.SHANGHAI)


def hostile(prefix: str, tag: str) -> str:
    """A live link in a formula, 30 characters at most (it fits a short name or a phone)."""
    formula = f'HYPERLINK("//e.x","{tag}")'
    return prefix + formula if prefix not in "\t\r" else f"{prefix}={formula}"


def export_urls(meeting_pk: int) -> dict[str, str]:
    """Every .xlsx download, by URL name, for the data set's year and meeting."""
    year = f"?year={YEAR}"
    return {
        "meetings:handling_list_xlsx": reverse("meetings:handling_list_xlsx", args=[meeting_pk]),
        "meetings:contacts_xlsx": reverse("meetings:contacts_xlsx"),
        "meetings:guidance_xlsx": reverse("meetings:guidance_xlsx"),
        "meetings:statistics_xlsx": reverse("meetings:statistics_xlsx") + year,
        "keytasks:year_xlsx": reverse("keytasks:year_xlsx") + year,
        "dashboard_xlsx": reverse("dashboard_xlsx") + year,
        # The admin's import page: the two-sheet template, and an export of user text.
        "admin:imports_template": reverse("admin:imports_template", args=["history"]),
        "admin:imports_export": reverse("admin:imports_export", args=["departments"]),
        # The audit trail's export (the office's reads and exports: the file names).
        "audit:xlsx": reverse("audit:xlsx"),
        # The department assessment's month and the monthly bulletin (March).
        "assessment:xlsx": reverse("assessment:xlsx") + f"?month={YEAR}-03",
        "bulletin_xlsx": reverse("bulletin_xlsx", args=[f"{YEAR}-03"]),
    }


def xlsx_url_names(patterns=None, namespace: str = "") -> set[str]:
    """The names of every URL pattern of the site that ends in .xlsx."""
    names = set()
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            names |= xlsx_url_names(pattern.url_patterns, inner)
        elif isinstance(pattern, URLPattern) and str(pattern.pattern).endswith(".xlsx"):
            names.add(f"{namespace}{pattern.name}")
    return names


def build_world(district, prefix: str) -> dict:
    """The data set, each user-written text a formula after `prefix`; `texts` holds what
    each export should show of it (names and list lines as the app trims them)."""
    texts: dict[str, str] = {}

    def plant(tag: str) -> str:
        texts[tag] = hostile(prefix, tag)
        return texts[tag]

    users = district.users
    office, leader = users[Role.OFFICE], users[Role.LEADER]
    leader.last_name, leader.first_name = plant("leader"), ""
    leader.save(update_fields=["last_name", "first_name"])
    texts["leader"] = person_name(leader)
    department, town = district.department, district.town
    for dept, tag in ((department, "d"), (town, "t")):
        dept.name = plant(f"{tag}name")
        dept.short_name = plant(f"{tag}short")
        dept.head_name = plant(f"{tag}head")
        dept.head_phone = plant(f"{tag}hph")
        dept.office_phone = plant(f"{tag}oph")
        dept.guidance_services = plant(f"{tag}gs") + "\n危险废物处置咨询"
        texts[f"{tag}gs"] = dept.guidance_service_list()[0]
        dept.save()
    enterprise = district.enterprise
    enterprise.name = plant("ent")
    enterprise.save(update_fields=["name"])
    category = Category.objects.create(name_zh=plant("catzh"), name_en=plant("caten"))
    meeting = Meeting.objects.create(
        year=YEAR,
        number=4,
        theme=plant("theme"),
        starts_at=at("2025-03-03 09:00"),
        venue="区行政中心",
        status=Meeting.Status.HELD,
        held_at=at("2025-03-03 12:00"),
        created_by=office,
    )
    Invitation.objects.create(meeting=meeting, enterprise=enterprise, attended=True)

    def problem(n: int, status: str, **fields) -> Problem:
        values = {
            "reference": f"{YEAR}-{n:05d}",
            "enterprise": enterprise,
            "submitted_by": office,
            "title": plant(f"title{n}"),
            "description": "漆渣无处处置。",
            "category": category,
            "status": status,
            "created_at": at("2025-03-03 10:00"),
            "meeting": meeting,
        }
        if status != Status.REJECTED:
            due = workdays.deadline_after(at("2025-03-03 10:00"), 10).value
            values.update(
                lead_department=department,
                responsible_leader=leader,
                clock_started_at=at("2025-03-03 10:00"),
                due_at=due,
                original_due_at=due,
            )
        values.update(fields)
        made = Problem.objects.create(**values)
        made.co_departments.set([town] if status != Status.REJECTED else [])
        return made

    for n in (1, 5, 6, 7):
        problem(
            n,
            Status.CLOSED,
            answer=plant("answer") if n == 1 else "已协调处置单位收运。",
            first_resolved_at=at("2025-03-10 10:00"),
            last_resolved_at=at("2025-03-10 10:00"),
            closed_at=at("2025-03-12 10:00"),
            satisfaction="satisfied",
        )
    problem(2, Status.REJECTED, rejection_reason=plant("reason"), closed_at=at("2025-03-04 10:00"))
    escalated = problem(3, Status.IN_PROGRESS, escalation_level=1, escalated_at=at("2025-03-20"))
    problem(4, Status.DISPATCHED)
    problem(8, Status.DISPATCHED)  # 4 of the 7 accepted are concluded: 57.1%
    coordination = CoordinationMeeting.objects.create(
        title=plant("coord"),
        convened_by=leader,
        starts_at=at("2025-03-25 09:00"),
        venue="区行政中心",
    )
    coordination.problems.set([escalated])
    ActionItem.objects.create(
        meeting=coordination,
        problem=escalated,
        department=department,
        task=plant("action"),
        due_date=dt.date(YEAR, 4, 1),
        created_by=office,
    )
    task = KeyTask.objects.create(
        year=YEAR,
        number=1,
        title=plant("ktitle"),
        target=plant("ktarget"),
        leader=leader,
        lead_department=department,
    )
    task.supporting_departments.set([town])
    Milestone.objects.create(task=task, title=plant("mtitle"), due_date=dt.date(YEAR, 3, 1))
    # March's monthly bulletin (its key-task section names the task).
    bulletin_generate(month=dt.date(YEAR, 3, 1))
    return {"district": district, "texts": texts, "meeting": meeting, "task": task}


@pytest.fixture(params=PREFIXES, ids=["equals", "plus", "minus", "at", "tab", "cr"])
def each_prefix_world(request, district):
    return build_world(district, request.param)


@pytest.fixture
def world(district):
    return build_world(district, "=")


def workbook_of(response):
    assert response.status_code == 200, response
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    return openpyxl.load_workbook(io.BytesIO(response.content))


def as_written(text: str) -> str:
    """A cell's line breaks are LF: XML reads a CR as LF, so the export writes LF."""
    return text.replace("\r\n", "\n").replace("\r", "\n")


def test_every_xlsx_download_is_tested():
    assert xlsx_url_names() == set(export_urls(meeting_pk=1))


def downloads(client, world, languages=("zh-hans", "en")):
    """(URL name, response) of every export in each language, downloaded by the office."""
    client.force_login(world["district"].users[Role.OFFICE])
    for language in languages:
        for name, url in export_urls(world["meeting"].pk).items():
            yield name, client.get(url, HTTP_ACCEPT_LANGUAGE=language)


def test_no_export_holds_a_formula_and_each_shows_the_text_as_written(client, each_prefix_world):
    world = each_prefix_world
    strings = []
    for name, response in downloads(client, world):
        workbook = workbook_of(response)
        for sheet in workbook.worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    assert cell.data_type != "f", (name, sheet.title, cell.coordinate, cell.value)
                    if isinstance(cell.value, str):
                        strings.append(cell.value)
                        if cell.value[:1] in ("=", "+", "-", "@", "\t", "\n"):
                            # Kept as text by Excel when someone edits the cell, too.
                            assert cell.quotePrefix, (name, sheet.title, cell.coordinate)
    every_string = "\n".join(strings)
    missing = {
        tag: text for tag, text in world["texts"].items() if as_written(text) not in every_string
    }
    assert not missing


def test_every_sheet_prints_on_a4_with_its_header_row_repeated_and_filtered(client, world):
    checked = 0
    per_export: dict[str, int] = {}
    for name, response in downloads(client, world):
        for sheet in workbook_of(response).worksheets:
            per_export[name] = per_export.get(name, 0) + 1
            where = (name, sheet.title)
            header = int(sheet.freeze_panes[1:]) - 1  # the rows above the frozen pane
            last = f"{get_column_letter(sheet.max_column)}{sheet.max_row}"
            assert sheet.auto_filter.ref == f"A{header}:{last}", where
            assert sheet.print_title_rows == f"${header}:${header}", where
            assert int(sheet.page_setup.paperSize) == int(sheet.PAPERSIZE_A4), where
            assert sheet.page_setup.orientation in ("portrait", "landscape"), where
            assert (sheet.page_setup.fitToWidth, sheet.page_setup.fitToHeight) == (1, 0), where
            assert sheet.sheet_properties.pageSetUpPr.fitToPage, where
            assert "&P" in sheet.oddFooter.center.text, where  # page numbers
            for row in sheet.iter_rows(min_row=header + 1):
                for cell in row:
                    if isinstance(cell.value, str):
                        assert cell.alignment.wrap_text, (*where, cell.coordinate)
            checked += 1
    # Sheets of each export, in two languages: the dashboard's 10 (summary, departments,
    # categories, appeal types, towns, meetings, months, escalated, action items, burden
    # relief), the assessment's 2 (ranking, weights), the bulletin's 11 (cover, sections).
    assert per_export == {
        "meetings:handling_list_xlsx": 2 * 1,
        "meetings:contacts_xlsx": 2 * 1,
        "meetings:guidance_xlsx": 2 * 1,
        "meetings:statistics_xlsx": 2 * 2,
        "keytasks:year_xlsx": 2 * 1,
        "dashboard_xlsx": 2 * 10,
        "admin:imports_template": 2 * 2,
        "admin:imports_export": 2 * 1,
        "audit:xlsx": 2 * 1,
        "assessment:xlsx": 2 * 2,
        "bulletin_xlsx": 2 * 11,
    }
    assert checked == sum(per_export.values())


# The dashboard workbook's sheet of overdue action items (burden relief follows it).
ACTION_ITEMS_SHEET = -2


def test_dates_are_dates_in_a_format_for_the_language(client, world):
    client.force_login(world["district"].users[Role.OFFICE])
    urls = export_urls(world["meeting"].pk)
    deadline = workdays.local_date(workdays.deadline_after(at("2025-03-03 10:00"), 10).value)
    for language, date_format in (("zh-hans", 'yyyy"年"m"月"d"日"'), ("en", "yyyy-mm-dd")):

        def sheet(name: str, index: int = 0, language: str = language):
            response = client.get(urls[name], HTTP_ACCEPT_LANGUAGE=language)
            return workbook_of(response).worksheets[index]

        cells = {
            "handling list: deadline": (sheet("meetings:handling_list_xlsx")["I3"], deadline),
            "statistics: meeting date": (
                sheet("meetings:statistics_xlsx", 1)["B2"],
                dt.date(YEAR, 3, 3),
            ),
            "dashboard: action item due": (
                sheet("dashboard_xlsx", ACTION_ITEMS_SHEET)["D2"],
                dt.date(YEAR, 4, 1),
            ),
        }
        for what, (cell, day) in cells.items():
            assert cell.is_date and cell.value.date() == day, (language, what, cell.value)
            assert cell.number_format == date_format, (language, what)


def test_rates_are_exact_percentages(client, world):
    """4 of 7 (57.1%) was written as 0.5710000000000001; now 0.571, shown as 57.1%."""
    client.force_login(world["district"].users[Role.OFFICE])
    statistics = client.get(reverse("meetings:statistics_xlsx"), {"year": YEAR})
    dashboard = client.get(reverse("dashboard_xlsx"), {"year": YEAR})

    meetings = workbook_of(statistics).worksheets[1]
    assert meetings["J2"].value == 0.571
    assert meetings["J2"].number_format == "0.0%"
    summary = workbook_of(dashboard).worksheets[0]
    assert summary["B5"].value == 0.571
    assert summary["B5"].number_format == "0.0%"
    for response in (statistics, dashboard):
        for sheet in workbook_of(response).worksheets:
            for row in sheet.iter_rows():
                for cell in row:
                    if cell.number_format == "0.0%" and cell.value is not None:
                        assert cell.value == round(cell.value, 3), (sheet.title, cell.value)


@pytest.mark.parametrize(
    "name, language, filename",
    [
        ("meetings:handling_list_xlsx", "zh-hans", "2025年第4期面对面联系会议问题办理清单.xlsx"),
        (
            "meetings:handling_list_xlsx",
            "en",
            "Handling list of face-to-face meeting No. 4 of 2025.xlsx",
        ),
        ("keytasks:year_xlsx", "zh-hans", "2025年重点难点工作.xlsx"),
        ("keytasks:year_xlsx", "en", "Key tasks 2025.xlsx"),
        ("dashboard_xlsx", "zh-hans", "数据看板（2025-01-01至2025-12-31）.xlsx"),
        ("dashboard_xlsx", "en", "Dashboard 2025-01-01 to 2025-12-31.xlsx"),
        ("admin:imports_template", "zh-hans", "往年会议及问题导入模板.xlsx"),
        ("admin:imports_template", "en", "Past meetings and problems import template.xlsx"),
    ],
)
def test_downloads_are_named_as_the_page_names_them(client, world, name, language, filename):
    client.force_login(world["district"].users[Role.OFFICE])

    response = client.get(export_urls(world["meeting"].pk)[name], HTTP_ACCEPT_LANGUAGE=language)

    assert downloaded_name(response) == filename


def downloaded_name(response) -> str:
    disposition = response["Content-Disposition"]
    encoded = re.search(r"filename\*=utf-8''(.+)$", disposition, re.IGNORECASE)
    if encoded:
        return unquote(encoded.group(1))
    return re.search(r'filename="(.+)"$', disposition).group(1)


def test_characters_a_cell_cannot_hold_are_left_out(client, district):
    """XML 1.0 has no place for most control characters: a name holding one still exports."""
    Department.objects.filter(pk=district.department.pk).update(head_name="陈\x01立\x0b新\x1f")
    client.force_login(district.users[Role.OFFICE])

    response = client.get(reverse("meetings:contacts_xlsx"))

    heads = [row[2] for row in workbook_of(response).active.iter_rows(values_only=True)]
    assert "陈立新" in heads
