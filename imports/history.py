"""Importing a past year: face-to-face meetings (sheet 会议) and the problems raised (sheet 问题).

Everything is written through the services a person's actions go through, with the
past times the file gives, so the records are what they would be had the year been
run in Liaison: a meeting is entered afterwards (补录), invited, marked held with its
attendance and closed with its minutes (meetings.services); each problem is registered
by the office, dispatched (its deadline computed on the working-day calendar, from the
meeting's date for a meeting's problem), acknowledged and answered by the lead
department, and evaluated by the enterprise or closed without evaluation
(issues.workflow), each step on its timeline. So the dashboard, the meeting statistics
and the problem pages count them by the one definition of each metric, and the
deadline sweep has nothing to do with them: they are closed.

Keys: a meeting is its date and theme; a problem its reference, else its enterprise,
title and submission date. A row whose key is already stored is left as it is.
"""

from __future__ import annotations

import datetime as dt
import re

from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_date
from django.utils.translation import gettext_lazy as _

from issues import workflow
from issues.models import AppealType, Category, Channel, Problem, ReferenceCounter, Satisfaction
from liaison import permissions, workdays
from liaison.models import Department, Enterprise, Profile, Role
from liaison.validators import normalise_credit_code, validate_date_window
from meetings import services as meeting_services
from meetings.models import Meeting

from .files import Sheet, text_problem

User = get_user_model()

MEETING_SHEET = "会议"
PROBLEM_SHEET = "问题"
SHEET_ALIASES = {"meetings": MEETING_SHEET, "problems": PROBLEM_SHEET}

# (header, English alias, required)
MEETING_COLUMNS = (
    ("会议日期", "date", True),
    ("开始时间", "time", False),
    ("会议主题", "theme", True),
    ("会议地点", "venue", True),
    ("主持区领导（用户名）", "presiding leaders", False),
    ("参会部门", "departments", False),
    ("邀请企业信用代码", "invited enterprises", False),
    ("出席企业信用代码", "attending enterprises", False),
    ("会议纪要", "minutes", False),
    ("关闭日期", "closed on", False),
)
PROBLEM_COLUMNS = (
    ("编号", "reference", False),
    ("统一社会信用代码", "credit code", True),
    ("会议日期", "meeting date", False),
    ("会议主题", "meeting theme", False),
    ("问题标题", "title", True),
    ("问题描述", "description", True),
    ("问题类别", "category", True),
    ("主办单位", "lead department", True),
    ("协办单位", "co-departments", False),
    ("责任区领导（用户名）", "responsible leader", False),
    ("提交日期", "submitted on", True),
    ("交办日期", "dispatched on", False),
    ("答复日期", "answered on", True),
    ("答复内容", "answer", True),
    ("评价", "evaluation", True),
    ("评价日期", "evaluated on", False),
    # Optional (older files lack it): 咨询、求决、建议、投诉; empty: 求决 (DEFAULT_APPEAL_TYPE).
    ("诉求类型", "appeal type", False),
)
# The appeal types as the sheets write them (exports.history_rows), and the values too.
APPEAL_TYPE_NAMES = {
    "咨询": AppealType.CONSULTATION,
    "求决": AppealType.REQUEST,
    "建议": AppealType.SUGGESTION,
    "投诉": AppealType.COMPLAINT,
    **{value: AppealType(value) for value in AppealType.values},
}
_SEPARATORS = re.compile(r"[、,，;；\n]+")
_CHINESE_DATE = re.compile(r"^(\d{4})\s*[年/.-]\s*(\d{1,2})\s*[月/.-]\s*(\d{1,2})\s*日?$")
_TIME = re.compile(r"^(\d{1,2})[:：](\d{2})(?::\d{2})?$")


class RowInvalid(Exception):
    def __init__(self, messages) -> None:
        super().__init__("; ".join(str(m) for m in messages))
        self.messages = [str(m) for m in messages]


def _headers(sheet: Sheet, columns) -> list[str]:
    aliases = {alias: header for header, alias, _required in columns}
    lowered = {alias.lower(): header for alias, header in aliases.items()}
    return [lowered.get(h.strip().lower(), h.strip()) for h in sheet.headers]


def _records(sheet: Sheet, columns):
    headers = _headers(sheet, columns)
    for number, values in enumerate(sheet.rows, start=2):
        yield number, dict(zip(headers, values, strict=True))


def _sheet(sheets: list[Sheet], title: str) -> Sheet | None:
    for sheet in sheets:
        name = sheet.title.strip()
        if name == title or SHEET_ALIASES.get(name.lower()) == title:
            return sheet
    return None


# --- cells -----------------------------------------------------------------------------


def _text(row: dict, header: str, errors: list, *, max_length: int, required: bool = False):
    value = row.get(header, "")
    value = value.isoformat() if isinstance(value, dt.date) else str(value).strip()
    problem = text_problem(value, max_length)
    if problem:
        errors.append(f"{header}: {problem}")
        return ""
    if required and not value:
        errors.append(f"{header}: {_('This column is required.')}")
    return value


def _date(row: dict, header: str, errors: list, *, required: bool = False) -> dt.date | None:
    value = row.get(header, "")
    if isinstance(value, dt.datetime):
        value = value.date()
    if not isinstance(value, dt.date):
        text = str(value).strip()
        if not text:
            if required:
                errors.append(f"{header}: {_('This column is required.')}")
            return None
        match = _CHINESE_DATE.match(text)
        try:
            value = dt.date(*(int(g) for g in match.groups())) if match else parse_date(text)
        except ValueError:
            value = None
        if value is None:
            errors.append(
                f"{header}: "
                + str(_("“%(value)s” is not a date (write 2025-03-12).") % {"value": text[:40]})
            )
            return None
    try:
        validate_date_window(value)
    except ValidationError as error:
        errors.append(f"{header}: {' '.join(error.messages)}")
        return None
    if value > timezone.localdate():
        errors.append(f"{header}: {_('Only past meetings and problems can be imported.')}")
        return None
    return value


def _names(value) -> list[str]:
    return [part.strip() for part in _SEPARATORS.split(str(value or "")) if part.strip()]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


class _Lookups:
    """What the rows refer to, loaded once: departments, enterprises, categories, users."""

    def __init__(self) -> None:
        self.departments = {}
        for department in Department.objects.all():
            self.departments.setdefault(department.name, department)
            self.departments.setdefault(department.short_name, department)
        self.categories = {}
        for category in Category.objects.all():
            self.categories.setdefault(category.name_zh, category)
            self.categories.setdefault(category.name_en, category)
        self.enterprises: dict[str, Enterprise] = {}
        self.users = {u.username: u for u in User.objects.select_related("profile")}
        self.department_users: dict[int, User] = {}
        self.enterprise_users: dict[int, User] = {}
        profiles = Profile.objects.select_related("user").order_by("role", "user_id")
        for profile in profiles:
            if not profile.user.is_active:
                continue
            if profile.role == Role.DEPARTMENT_HEAD:
                self.department_users.setdefault(profile.department_id, profile.user)
            elif profile.role == Role.ENTERPRISE:
                self.enterprise_users.setdefault(profile.enterprise_id, profile.user)
        for profile in profiles.filter(role=Role.DEPARTMENT_STAFF):
            self.department_users.setdefault(profile.department_id, profile.user)

    def enterprise(self, code: str, header: str, errors: list) -> Enterprise | None:
        code = normalise_credit_code(code)
        if code not in self.enterprises:
            self.enterprises[code] = Enterprise.objects.filter(credit_code=code).first()
        enterprise = self.enterprises[code]
        if enterprise is None:
            errors.append(
                f"{header}: "
                + str(
                    _("No enterprise has the credit code %(code)s: import the enterprises first.")
                    % {"code": code}
                )
            )
        return enterprise

    def department(self, name: str, header: str, errors: list) -> Department | None:
        department = self.departments.get(name)
        if department is None:
            errors.append(
                f"{header}: "
                + str(
                    _("Unknown department “%(name)s”: import the departments first.")
                    % {"name": name}
                )
            )
        return department

    def leader(self, username: str, header: str, errors: list):
        user = self.users.get(username)
        if user is None or not permissions.is_leader(user):
            errors.append(
                f"{header}: " + str(_("“%(name)s” is not a district leader.") % {"name": username})
            )
            return None
        return user


# --- the import ------------------------------------------------------------------------


def import_history(sheets: list[Sheet], *, actor, report) -> None:
    """Validate and write both sheets into `report` (imports.services.Report)."""
    from .services import RowError

    meeting_sheet, problem_sheet = _sheet(sheets, MEETING_SHEET), _sheet(sheets, PROBLEM_SHEET)
    if problem_sheet is None:
        report.file_error = str(
            _("The workbook needs a sheet named “%(name)s”: start from the template.")
            % {"name": PROBLEM_SHEET}
        )
        return
    for sheet, columns in ((meeting_sheet, MEETING_COLUMNS), (problem_sheet, PROBLEM_COLUMNS)):
        if sheet is None:
            continue
        headers = _headers(sheet, columns)
        missing = [h for h, _alias, required in columns if required and h not in headers]
        if missing:
            report.file_error = str(
                _("The sheet “%(sheet)s” lacks the column(s) %(columns)s: start from the template.")
                % {"sheet": sheet.title, "columns": "、".join(missing)}
            )
            return
    if not permissions.can_manage_meetings(actor):
        report.file_error = str(_("Only the liaison office may import meetings and problems."))
        return
    lookups = _Lookups()
    meetings: dict[tuple[dt.date, str], Meeting] = {
        (m.local_date, m.theme): m for m in Meeting.objects.all()
    }
    to_close: list[tuple[Meeting, dt.date, str]] = []
    if meeting_sheet is not None:
        for number, row in _records(meeting_sheet, MEETING_COLUMNS):
            report.rows += 1
            try:
                with transaction.atomic():
                    _meeting_row(row, actor, lookups, meetings, to_close, report)
            except RowInvalid as invalid:
                report.errors.append(RowError(meeting_sheet.title, number, invalid.messages))
            except workflow.TransitionError as error:
                report.errors.append(RowError(meeting_sheet.title, number, [str(error.message)]))
    _reserve_references(problem_sheet)
    seen: dict[tuple, int] = {}
    for number, row in _records(problem_sheet, PROBLEM_COLUMNS):
        report.rows += 1
        try:
            with transaction.atomic():
                _problem_row(row, number, actor, lookups, meetings, seen, report)
        except RowInvalid as invalid:
            report.errors.append(RowError(problem_sheet.title, number, invalid.messages))
        except workflow.TransitionError as error:
            report.errors.append(RowError(problem_sheet.title, number, [str(error.message)]))
    for meeting, closed_on, minutes in to_close:
        meeting_services.meeting_close(
            meeting_id=meeting.pk, actor=actor, minutes=minutes, now=_at(closed_on, 17)
        )


REFERENCE_RE = re.compile(r"^(\d{4})-(\d{5})$")


def _reserve_references(problem_sheet: Sheet) -> None:
    """Move each year's reference counter past the numbers the file carries, so that a
    problem given a new number in this import never takes one a later row keeps."""
    highest: dict[int, int] = {}
    for _number, row in _records(problem_sheet, PROBLEM_COLUMNS):
        match = REFERENCE_RE.match(str(row.get("编号") or "").strip())
        if match and 2000 <= int(match[1]) <= 2100:
            year, number = int(match[1]), int(match[2])
            highest[year] = max(highest.get(year, 0), number)
    for year, number in highest.items():
        ReferenceCounter.objects.bulk_create(
            [ReferenceCounter(year=year, last_number=0)], ignore_conflicts=True
        )
        ReferenceCounter.objects.filter(year=year, last_number__lt=number).update(
            last_number=number
        )


def _meeting_row(row, actor, lookups: _Lookups, meetings, to_close, report) -> None:
    errors: list = []
    day = _date(row, "会议日期", errors, required=True)
    theme = _text(row, "会议主题", errors, max_length=200, required=True)
    venue = _text(row, "会议地点", errors, max_length=200, required=True)
    minutes = _text(row, "会议纪要", errors, max_length=20000)
    closed_on = _date(row, "关闭日期", errors)
    start = dt.time(9)
    time_text = str(row.get("开始时间", "")).strip()
    if isinstance(row.get("开始时间"), dt.datetime):
        start = row["开始时间"].time()
    elif time_text:
        match = _TIME.match(time_text)
        if match and int(match[1]) < 24 and int(match[2]) < 60:
            start = dt.time(int(match[1]), int(match[2]))
        else:
            errors.append(
                "开始时间: "
                + str(_("“%(value)s” is not a time (write 09:30).") % {"value": time_text[:20]})
            )
    leaders = [
        lookups.leader(n, "主持区领导（用户名）", errors)
        for n in _names(row.get("主持区领导（用户名）"))
    ]
    departments = [lookups.department(n, "参会部门", errors) for n in _names(row.get("参会部门"))]
    invited = [
        lookups.enterprise(c, "邀请企业信用代码", errors)
        for c in _names(row.get("邀请企业信用代码"))
    ]
    attended = [
        lookups.enterprise(c, "出席企业信用代码", errors)
        for c in _names(row.get("出席企业信用代码"))
    ]
    if day and closed_on and closed_on < day:
        errors.append("关闭日期: " + str(_("A meeting cannot be closed before it was held.")))
    if closed_on and not minutes:
        errors.append("会议纪要: " + str(_("Write the minutes of a closed meeting.")))
    if errors:
        raise RowInvalid(errors)
    if (day, theme) in meetings:
        report.skipped += 1
        return
    invited = list(dict.fromkeys([*invited, *attended]))
    starts_at = dt.datetime.combine(day, start, tzinfo=workdays.SHANGHAI)
    meeting = meeting_services.meeting_create(
        actor=actor,
        theme=theme,
        starts_at=starts_at,
        venue=venue,
        presiding_leaders=leaders,
        departments=departments,
        enterprises=invited,
        now=starts_at,
    )
    held_at = starts_at + dt.timedelta(hours=2)
    meeting_services.meeting_mark_held(
        meeting_id=meeting.pk, actor=actor, attended=[e.pk for e in attended], now=held_at
    )
    if minutes and not closed_on:
        Meeting.objects.filter(pk=meeting.pk).update(minutes=minutes)
    meeting.refresh_from_db()
    meetings[(day, theme)] = meeting
    if closed_on:
        to_close.append((meeting, closed_on, minutes))
    report.created += 1


SATISFACTION_WORDS = {
    Satisfaction.SATISFIED: ("满意", "satisfied"),
    Satisfaction.BASICALLY: ("基本满意", "basically satisfied"),
    Satisfaction.NOT_EVALUATED: ("未评价", "not evaluated", ""),
    Satisfaction.UNSATISFIED: ("不满意", "unsatisfied"),
}


def _satisfaction(text: str, errors: list) -> str | None:
    for value, words in SATISFACTION_WORDS.items():
        if text.strip().lower() in words:
            if value == Satisfaction.UNSATISFIED:
                errors.append(
                    "评价: "
                    + str(
                        _(
                            "An unsatisfied evaluation reopens a problem: import concluded "
                            "problems only (satisfied, basically satisfied or not evaluated)."
                        )
                    )
                )
                return None
            return value
    errors.append(
        "评价: "
        + str(
            _(
                "“%(value)s” is not one of: 满意、基本满意、未评价 "
                "(satisfied, basically satisfied, not evaluated)."
            )
            % {"value": text[:40]}
        )
    )
    return None


def _appeal_type(row, errors) -> str:
    """The row's 诉求类型 as a value ("" when empty: the default), or an error."""
    text = str(row.get("诉求类型") or "").strip()
    if not text:
        return ""
    if text.lower() in APPEAL_TYPE_NAMES:
        return APPEAL_TYPE_NAMES[text.lower()].value
    errors.append(
        "诉求类型: "
        + str(
            _(
                "“%(value)s” is not one of: 咨询、求决、建议、投诉 "
                "(consultation, request for a solution, suggestion, complaint)."
            )
            % {"value": text[:40]}
        )
    )
    return ""


def _problem_row(row, number, actor, lookups: _Lookups, meetings, seen, report) -> None:
    errors: list = []
    reference = _text(row, "编号", errors, max_length=12)
    if reference and not (
        (match := REFERENCE_RE.match(reference)) and 2000 <= int(match[1]) <= 2100
    ):
        errors.append(
            "编号: "
            + str(
                _("“%(value)s” is not a reference like 2025-00012 (or leave it empty).")
                % {"value": reference}
            )
        )
        reference = ""
    enterprise = None
    code = _text(row, "统一社会信用代码", errors, max_length=72, required=True)
    if code:
        enterprise = lookups.enterprise(code, "统一社会信用代码", errors)
    title = _text(row, "问题标题", errors, max_length=120, required=True)
    description = _text(row, "问题描述", errors, max_length=5000, required=True)
    answer = _text(row, "答复内容", errors, max_length=5000, required=True)
    category_name = _text(row, "问题类别", errors, max_length=80, required=True)
    category = lookups.categories.get(category_name)
    if category_name and category is None:
        errors.append(
            "问题类别: " + str(_("Unknown category “%(name)s”.") % {"name": category_name})
        )
    lead_name = _text(row, "主办单位", errors, max_length=100, required=True)
    lead = lookups.department(lead_name, "主办单位", errors) if lead_name else None
    co = [lookups.department(n, "协办单位", errors) for n in _names(row.get("协办单位"))]
    leader_name = _text(row, "责任区领导（用户名）", errors, max_length=150)
    leader = lookups.leader(leader_name, "责任区领导（用户名）", errors) if leader_name else None
    submitted_on = _date(row, "提交日期", errors, required=True)
    dispatched_on = _date(row, "交办日期", errors) or submitted_on
    answered_on = _date(row, "答复日期", errors, required=True)
    evaluated_on = _date(row, "评价日期", errors) or answered_on
    satisfaction = _satisfaction(str(row.get("评价", "")), errors)
    appeal_type = _appeal_type(row, errors)
    meeting = None
    meeting_day = _date(row, "会议日期", errors)
    meeting_theme = _text(row, "会议主题", errors, max_length=200)
    if meeting_day or meeting_theme:
        meeting = meetings.get((meeting_day, meeting_theme))
        if meeting is None:
            errors.append(
                "会议主题: "
                + str(
                    _("No meeting on %(date)s with the theme “%(theme)s” (sheet 会议).")
                    % {"date": meeting_day, "theme": meeting_theme}
                )
            )
    dates = [submitted_on, dispatched_on, answered_on, evaluated_on]
    if all(dates) and not dates == sorted(dates):
        errors.append(
            str(
                _(
                    "The dates must follow each other: "
                    "submitted ≤ dispatched ≤ answered ≤ evaluated."
                )
            )
        )
    if meeting is not None and all(dates) and answered_on < meeting.local_date:
        errors.append(str(_("A meeting's problem cannot be answered before the meeting.")))
    head = lookups.department_users.get(lead.pk) if lead else None
    if lead is not None and head is None:
        errors.append(
            "主办单位: "
            + str(
                _("“%(name)s” has no head or staff user to answer: import the officials first.")
                % {"name": lead.name}
            )
        )
    evaluator = lookups.enterprise_users.get(enterprise.pk) if enterprise else None
    if (
        enterprise
        and satisfaction in (Satisfaction.SATISFIED, Satisfaction.BASICALLY)
        and not evaluator
    ):
        errors.append(
            "评价: "
            + str(
                _(
                    "%(name)s has no user to evaluate: import its user (officials), or write "
                    "未评价 (not evaluated)."
                )
                % {"name": enterprise.name}
            )
        )
    if errors:
        raise RowInvalid(errors)
    key = (enterprise.pk, title, submitted_on)
    if key in seen:
        raise RowInvalid([_("The same problem is already on row %(row)s.") % {"row": seen[key]}])
    seen[key] = number
    if reference:
        same = Problem.objects.filter(reference=reference).first()
        if same is not None and (same.enterprise_id, same.title) != (enterprise.pk, title):
            raise RowInvalid(
                [
                    "编号: "
                    + str(
                        _("The reference %(reference)s is another problem's: “%(title)s”.")
                        % {"reference": reference, "title": same.title}
                    )
                ]
            )
    existing = Problem.objects.filter(reference=reference) if reference else Problem.objects.none()
    if not existing.exists():
        existing = Problem.objects.filter(
            enterprise=enterprise,
            title=title,
            created_at__gte=_at(submitted_on, 0),
            created_at__lt=_at(submitted_on + dt.timedelta(days=1), 0),
        )
    if existing.exists():
        report.skipped += 1
        return
    on_meeting_day = meeting is not None and submitted_on == meeting.local_date
    submitted_at = _at(submitted_on, 13 if on_meeting_day else 10, number % 60)
    problem = workflow.problem_submit(
        actor=actor,
        enterprise=enterprise,
        title=title,
        description=description,
        category=category,
        channel=Channel.MEETING if meeting else Channel.WEB,
        meeting=meeting,
        reference=reference or None,
        now=submitted_at,
    )
    dispatched_at = max(_at(dispatched_on, 15, number % 50), submitted_at + dt.timedelta(minutes=1))
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=actor,
        lead_department=lead,
        co_departments=[d for d in co if d is not None],
        responsible_leader=leader,
        appeal_type=appeal_type,
        now=dispatched_at,
    )
    workflow.problem_acknowledge(
        problem_id=problem.pk, actor=head, now=dispatched_at + dt.timedelta(minutes=30)
    )
    answered_at = max(_at(answered_on, 16), dispatched_at + dt.timedelta(hours=1))
    workflow.problem_resolve(problem_id=problem.pk, actor=head, answer=answer, now=answered_at)
    evaluated_at = max(_at(evaluated_on, 17), answered_at + dt.timedelta(minutes=30))
    if satisfaction == Satisfaction.NOT_EVALUATED:
        workflow.problem_auto_close(problem_id=problem.pk, now=evaluated_at)
    else:
        workflow.problem_evaluate(
            problem_id=problem.pk, actor=evaluator, satisfaction=satisfaction, now=evaluated_at
        )
    report.created += 1
    report.months.add(submitted_at.astimezone(workdays.SHANGHAI).date().replace(day=1))
