"""Demo key tasks (a step of seed_demo): last year's 29 tasks, all done, and this year's mix.

The tasks follow the report the programme comes from (attracting large investment
projects, phasing out water-jet looms, small-town environmental clean-up, upgrading the
sweater market, ...); the rest are invented, plausibly, for a Jiaxing district. Each
task has four milestones and progress reports from its lead department. This year:
most on track, some at risk or behind (their overdue milestones already flagged, as the
sweep would have), one done, one not started. A year that already has key tasks is
left as it is, so a second run adds nothing.
"""

# ruff: noqa: E501 - the data tables read one task per line

from __future__ import annotations

import datetime as dt
from typing import NamedTuple

from django.db import transaction
from django.utils import timezone

from liaison import workdays

from .models import KeyTask, Milestone, ProgressReport
from .services import status_from_milestones

Status = KeyTask.Status


class TaskRow(NamedTuple):
    title: str
    target: str
    leader: str  # username
    lead: str  # department code (liaison.demo_data)
    supporting: tuple[str, ...] = ()


# fmt: off
PAST_YEAR: tuple[TaskRow, ...] = (
    TaskRow("招引落地一批大项目好项目", "全年新引进总投资超10亿元项目3个、超亿元项目20个", "principal2", "jxsw", ("fgj", "zrzy", "xzsp")),
    TaskRow("喷水织机整治提升", "淘汰落后喷水织机1.2万台，整治后企业废水100%纳管", "leader5", "wjj", ("sthj", "jxsw", "gd")),
    TaskRow("小城镇环境综合整治", "6个镇（街道）全部通过省级考核验收", "leader4", "zjj", ("xc", "wjj", "ycg", "wd", "hh")),
    TaskRow("洪合毛衫市场转型升级", "毛衫市场完成改造提升，电商交易额增长20%", "leader3", "hh", ("jxsw", "scjg")),
    TaskRow("“低散乱”企业（作坊）整治", "整治“低散乱”企业（作坊）800家", "leader3", "jxsw", ("sthj", "yjj", "scjg")),
    TaskRow("“三改一拆”攻坚", "完成“三改”120万平方米，拆除违法建筑100万平方米", "leader4", "zjj", ("zrzy", "jb", "gz", "th")),
    TaskRow("“五水共治”剿灭劣V类水", "全区劣V类小微水体全部销号", "leader5", "sthj", ("nync", "zjj")),
    TaskRow("高新区光伏产业园建设", "光伏产业园一期建成投产", "leader3", "kjj", ("fgj", "zrzy")),
    TaskRow("王店集成吊顶产业提升", "集成吊顶产业园二期开工，规上企业新增10家", "leader3", "wd", ("jxsw", "scjg")),
    TaskRow("工业园区“腾笼换鸟”", "盘活低效工业用地2000亩", "leader2", "zrzy", ("jxsw", "fgj")),
    TaskRow("企业减负降本专项行动", "全年为企业减负5亿元以上", "leader2", "czj", ("sw", "rlsb", "gd")),
    TaskRow("“最多跑一次”改革深化", "企业投资项目审批“最多100天”全面落地", "leader6", "xzsp", ("fgj", "zrzy", "zjj")),
    TaskRow("企业上市培育", "新增上市企业1家、股改企业5家", "leader2", "jrb", ("czj", "scjg")),
    TaskRow("科技型中小企业培育", "新增国家高新技术企业30家", "leader3", "kjj", ("czj",)),
    TaskRow("重点工程“百日攻坚”", "12项省市重点工程年度投资完成率100%", "leader2", "fgj", ("zrzy", "zjj", "jtj")),
    TaskRow("城乡交通路网完善", "新建改建农村公路50公里", "leader4", "jtj", ("zrzy", "nync")),
    TaskRow("美丽乡村精品线建设", "建成美丽乡村精品线2条", "leader1", "nync", ("xc", "ycg")),
    TaskRow("土地整治与耕地保护", "完成垦造耕地1500亩", "leader4", "zrzy", ("nync",)),
    TaskRow("安全生产大排查大整治", "重点行业隐患整改率100%", "leader5", "yjj", ("sthj", "scjg")),
    TaskRow("危险废物规范化处置", "小微企业危废统一收运体系覆盖全区", "leader5", "sthj", ("yjj", "jxsw")),
    TaskRow("企业用工保障", "举办定制招聘会20场，帮助企业招工5000人", "leader6", "rlsb", ("jxsw",)),
    TaskRow("人才新政落地", "引进高层次人才团队10个", "leader6", "rlsb", ("kjj", "czj")),
    TaskRow("新塍古镇保护开发", "古镇核心区一期改造完成", "leader1", "xc", ("zjj", "zrzy")),
    TaskRow("油车港湿地生态保护", "湿地公园创建省级验收", "leader1", "ycg", ("sthj", "nync")),
    TaskRow("嘉北老旧小区改造", "完成老旧小区改造12个", "leader4", "jb", ("zjj",)),
    TaskRow("电力保障与增容", "新增变电容量30万千伏安，重点企业增容“零等待”", "leader3", "gd", ("fgj", "zrzy")),
    TaskRow("市场主体信用体系建设", "企业信用信息归集率100%", "leader3", "scjg", ("sw",)),
    TaskRow("农村生活垃圾分类", "垃圾分类行政村全覆盖", "leader1", "nync", ("zjj", "sthj")),
    TaskRow("金融服务实体经济", "小微企业贷款余额增长15%，续贷“无缝对接”", "leader2", "jrb", ("czj",)),
)

# This year: (row, profile). Profiles: on_track, at_risk, behind, done, not_started.
CURRENT_YEAR: tuple[tuple[TaskRow, str], ...] = (
    (TaskRow("招引落地大项目好项目", "新引进总投资超10亿元项目4个", "principal2", "jxsw", ("fgj", "zrzy", "xzsp")), "on_track"),
    (TaskRow("喷水织机整治“回头看”", "整治后喷水织机企业废水100%纳管、零反弹", "leader5", "wjj", ("sthj", "gd")), "at_risk"),
    (TaskRow("小城镇环境综合整治长效管理", "6个镇（街道）长效管理考核全部达标", "leader4", "zjj", ("xc", "wjj", "hh")), "on_track"),
    (TaskRow("洪合毛衫市场数字化提升", "毛衫市场直播基地建成，线上交易额增长30%", "leader3", "hh", ("jxsw", "scjg")), "behind"),
    (TaskRow("低效工业用地再开发", "盘活低效工业用地1500亩", "leader2", "zrzy", ("jxsw",)), "at_risk"),
    (TaskRow("光伏产业园二期建设", "二期主体完工", "leader3", "kjj", ("fgj", "zrzy")), "on_track"),
    (TaskRow("企业减负降本", "全年为企业减负6亿元以上", "leader2", "czj", ("sw", "gd")), "done"),
    (TaskRow("企业用工保障", "定制招聘会25场，帮助企业招工6000人", "leader6", "rlsb", ("jxsw",)), "on_track"),
    (TaskRow("危险废物集中收运扩面", "小微企业危废收运覆盖率100%", "leader5", "sthj", ("yjj",)), "behind"),
    (TaskRow("新塍古镇二期开发", "古镇核心区二期改造开工", "leader1", "xc", ("zjj",)), "not_started"),
    (TaskRow("重点工程年度攻坚", "省市重点工程年度投资完成率100%", "leader2", "fgj", ("zrzy", "jtj")), "on_track"),
    (TaskRow("美丽城镇创建", "2个镇通过省级美丽城镇样板镇验收", "leader1", "nync", ("xc", "ycg")), "on_track"),
)
# fmt: on

MILESTONES = ("工作方案制定并印发", "年中推进过半", "主体工作基本完成", "验收与年度总结")
REPORT_TEXTS = (
    "已召开专题部署会，细化任务清单和责任分工，各协办单位明确联系人。",
    "按节点推进，完成年度目标过半；对企业反映的难点逐一对接，已协调解决3项。",
    "主体工作基本完成，正在组织自查，查漏补缺。",
    "全面完成年度目标，已通过验收，形成总结报告报区领导小组办公室。",
)


def _at(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=workdays.SHANGHAI)


def _clamp(day: dt.date, year: int) -> dt.date:
    return min(max(day, dt.date(year, 1, 10)), dt.date(year, 12, 31))


def _create_task(district, year: int, number: int, row: TaskRow, created: dt.datetime) -> KeyTask:
    task = KeyTask.objects.create(
        year=year,
        number=number,
        title=row.title,
        target=row.target,
        description=f"{row.title}：由区领导挂帅、一线指挥，主办单位牵头，协办单位合力推进。",
        leader=district.users[row.leader],
        lead_department=district.departments[row.lead],
        created_at=created,
        updated_at=created,
    )
    task.supporting_departments.add(*[district.departments[code] for code in row.supporting])
    district.created["keytask"] += 1
    return task


def _report(district, task: KeyTask, row: TaskRow, when: dt.datetime, n: int, percent: int):
    ProgressReport.objects.create(
        task=task,
        department=district.departments[row.lead],
        reported_by=district.users[f"{row.lead}_staff"],
        reported_at=when,
        text=REPORT_TEXTS[n],
        percent=percent,
    )


def _seed_past_year(district, year: int) -> None:
    quarter_ends = [dt.date(year, 3, 31), dt.date(year, 6, 30), dt.date(year, 9, 30)]
    for number, row in enumerate(PAST_YEAR, start=1):
        task = _create_task(district, year, number, row, _at(dt.date(year, 1, 20)))
        dues = [*quarter_ends, dt.date(year, 12, 15 - number % 10)]
        Milestone.objects.bulk_create(
            Milestone(
                task=task,
                title=title,
                due_date=due,
                done_date=due - dt.timedelta(days=(number + i) % 6),
                evidence=f"{REPORT_TEXTS[i][:20]}……（佐证材料已存档）",
                created_at=task.created_at,
            )
            for i, (title, due) in enumerate(zip(MILESTONES, dues, strict=True))
        )
        for i, percent in enumerate((25, 55, 85, 100)):
            _report(district, task, row, _at(dues[i] - dt.timedelta(days=3), 15), i, percent)
        done_at = _at(dues[-1] + dt.timedelta(days=2), 17)
        KeyTask.objects.filter(pk=task.pk).update(
            status=Status.DONE, percent=100, done_at=done_at, updated_at=done_at
        )


def _seed_current_year(district, year: int, today: dt.date, now: dt.datetime) -> None:
    for number, (row, profile) in enumerate(CURRENT_YEAR, start=1):
        task = _create_task(district, year, number, row, _at(dt.date(year, 1, 20)))
        dues = [
            _clamp(dt.date(year, 3, 31), year),
            _clamp(dt.date(year, 6, 30), year),
            _clamp(
                {
                    "at_risk": today - dt.timedelta(days=6),
                    "behind": dt.date(year, 9, 30),
                }.get(profile, dt.date(year, 9, 30)),
                year,
            ),
            _clamp(max(dt.date(year, 12, 20), today + dt.timedelta(days=7)), year),
        ]
        if profile == "not_started":
            dues = [_clamp(today + dt.timedelta(days=10 + 5 * i), year) for i in range(4)]
        milestones = []
        for i, (title, due) in enumerate(zip(MILESTONES, dues, strict=True)):
            done = due < today and not (profile in ("at_risk", "behind") and i == 2)
            if profile == "behind" and i == 1:
                done = False  # two overdue milestones: behind
            if profile == "done":
                done = True
            milestones.append(
                Milestone(
                    task=task,
                    title=title,
                    due_date=due,
                    done_date=min(due, today) if done else None,
                    evidence="佐证材料已上传" if done else "",
                    # Overdue ones were flagged when they passed, as the sweep would have.
                    flagged_at=now if not done and due < today else None,
                    behind_at=now if not done and due < today - dt.timedelta(days=14) else None,
                    created_at=task.created_at,
                )
            )
        Milestone.objects.bulk_create(milestones)
        percent = 0
        if profile != "not_started":
            steps = {"done": 4, "behind": 1, "at_risk": 2}.get(profile, 3)
            for i in range(steps):
                percent = (25, 55, 80, 100)[i]
                when = min(_at(dues[i] - dt.timedelta(days=2), 15), now)
                _report(district, task, row, when, i, percent)
        if profile == "done":
            KeyTask.objects.filter(pk=task.pk).update(
                status=Status.DONE, percent=100, done_at=now, updated_at=now
            )
            continue
        task.status = Status.ON_TRACK if profile != "not_started" else Status.NOT_STARTED
        status = status_from_milestones(task, today)
        KeyTask.objects.filter(pk=task.pk).update(status=status, percent=percent)


def seed_key_tasks(district) -> None:
    """Last year's 29 key tasks (all done) and this year's; a year that has tasks is kept."""
    now = timezone.now()
    today = workdays.local_date(now)
    with transaction.atomic():
        if not KeyTask.objects.filter(year=today.year - 1).exists():
            _seed_past_year(district, today.year - 1)
        if not KeyTask.objects.filter(year=today.year).exists():
            _seed_current_year(district, today.year, today, now)
