"""Demo face-to-face meetings (a step of seed_demo): the programme's past year, then this year.

The past year (the year before today's) reproduces the programme's real report: 9
meetings, 73 distinct enterprises attending, 180 problems raised at them, every one
concluded within 10 working days (one enterprise brought 17 problems to the second
meeting: its plant went from registration to production in 72 days). The meetings are
written directly as closed; their problems go through issues.workflow with explicit
past times: registered by the office for the meeting on the meeting day, dispatched
that afternoon after it was held (so the clock starts then), acknowledged, answered
within the deadline and evaluated. Nothing is written if the past year's meetings exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from issues import notifications, workflow
from issues.demo import PROBLEMS, DemoProblem, seed_categories
from issues.models import Channel, Satisfaction
from liaison import demo_data, workdays

from .models import Invitation, Meeting, MeetingCounter


@dataclass(frozen=True)
class Topic:
    """A problem as raised at a meeting; `lead` names the lead department if not the category's."""

    category: str
    title: str
    description: str
    answer: str
    lead: str | None = None


def _topic(problem: DemoProblem) -> Topic:
    return Topic(problem.category, problem.title, problem.description, problem.answer)


def _reused(*categories: str) -> list[Topic]:
    return [_topic(p) for p in PROBLEMS if p.category in categories]


# The 17 problems the newly settled plant raised at the second meeting, from
# registration to production.
SEVENTEEN = (
    Topic(
        "市场监管与准入",
        "新公司注册登记和名称核准",
        "项目公司需尽快完成注册登记，希望一次办结。",
        "市场监管分局当天完成名称核准和设立登记，营业执照、印章和税务登记一窗领取。",
        "scjg",
    ),
    Topic(
        "项目审批",
        "投资项目备案赋码",
        "新材料项目总投资5.2亿元，需办理企业投资项目备案。",
        "发改局在线办理项目备案并赋码，一个工作日办结。",
        "fgj",
    ),
    Topic(
        "土地与规划",
        "工业用地“标准地”出让",
        "项目需用地86亩，希望按“标准地”方式尽快出让。",
        "自然资源和规划分局按“标准地”挂牌出让，企业竞得后当天签订出让合同。",
        "zrzy",
    ),
    Topic(
        "土地与规划",
        "建设用地规划许可和工程规划许可",
        "拿地后需同步办理建设用地规划许可和工程规划许可。",
        "实行“拿地即开工”，两项规划许可与土地出让合同同步核发。",
        "zrzy",
    ),
    Topic(
        "项目审批",
        "施工图联合审查",
        "施工图审查涉及多个专业，希望压缩审查时间。",
        "住建局组织多图联审，五个工作日出具审查合格书。",
        "zjj",
    ),
    Topic(
        "项目审批",
        "建筑工程施工许可",
        "施工图审查通过后希望尽快取得施工许可。",
        "行政审批局容缺受理，施工许可证当天核发。",
        "xzsp",
    ),
    Topic(
        "环保与危废处置",
        "项目环评审批",
        "项目需编制环境影响报告表，希望加快审批。",
        "生态环境分局提前介入指导编制，报告表受理后五个工作日批复。",
        "sthj",
    ),
    Topic(
        "用电用能",
        "项目节能审查",
        "项目年综合能耗较大，需通过节能审查。",
        "发改局组织专家预审，节能审查意见已出具，用能指标在区内统筹解决。",
        "fgj",
    ),
    Topic(
        "基础设施配套",
        "厂房消防设计审查",
        "厂房含甲类仓库，消防设计审查要求高。",
        "住建局安排专家上门预审，消防设计审查一次通过。",
        "zjj",
    ),
    Topic(
        "用电用能",
        "施工临时用电和正式供电接入",
        "施工需临时用电，投产需10千伏双回路供电。",
        "供电公司三天内接通临时用电，正式供电工程与厂房建设同步施工、同步投运。",
        "gd",
    ),
    Topic(
        "基础设施配套",
        "供水和污水纳管接入",
        "厂区需接入市政供水和污水管网。",
        "住建局协调水务集团同步设计施工，供水和污水纳管已接通。",
        "zjj",
    ),
    Topic(
        "基础设施配套",
        "天然气管道接入",
        "生产线烘干工序需使用天然气，园区管道未到厂区。",
        "高照街道协调燃气公司敷设管道600米，已通气。",
        "gz",
    ),
    Topic(
        "环保与危废处置",
        "排污许可证申领",
        "投产前需取得排污许可证。",
        "生态环境分局指导企业在线申领，排污许可证在试生产前核发。",
        "sthj",
    ),
    Topic(
        "安全生产",
        "危险化学品仓库安全条件审查",
        "原料中有危险化学品，仓库需通过安全条件审查。",
        "应急管理局组织专家审查并现场指导整改，安全条件审查已通过。",
        "yjj",
    ),
    Topic(
        "用工招聘",
        "投产首批员工招聘",
        "投产需招聘一线员工120人、技术人员20人。",
        "人力社保局举办企业专场招聘会并对接职业院校，首批员工已全部到岗。",
        "rlsb",
    ),
    Topic(
        "税费政策",
        "进口设备减免税办理",
        "项目进口生产设备，咨询减免税政策及办理流程。",
        "税务局会同海关指导企业办理进口设备减免税确认，节约税款约380万元。",
        "sw",
    ),
    Topic(
        "项目审批",
        "竣工联合验收",
        "厂房建成后希望尽快完成竣工验收投产。",
        "行政审批局组织规划、消防、人防等联合验收，一次通过，项目于注册后第72天投产。",
        "xzsp",
    ),
)

TEXTILE = [
    Topic(
        "环保与危废处置",
        "喷水织机废水纳管标准不明",
        "企业现有喷水织机86台，废水预处理后纳管，希望明确纳管标准和整治验收要求。",
        "生态环境分局上门讲解纳管标准，指导企业完成预处理设施提标改造，已通过验收。",
    ),
    Topic(
        "土地与规划",
        "淘汰织机后老厂房加层改造",
        "淘汰喷水织机后计划将老厂房改造为智能化车间并加层，不清楚审批流程。",
        "自然资源和规划分局按低效用地再开发政策指导办理加层审批，规划许可已核发。",
    ),
    Topic(
        "惠企政策兑现",
        "智能化织造设备技改补助",
        "企业购置剑杆织机和智能验布系统，希望了解技改补助标准。",
        "经信商务局指导企业完成技改项目备案和补助申报，补助资金已拨付。",
    ),
    Topic(
        "用电用能",
        "园区集中供热蒸汽价格偏高",
        "园区集中供热蒸汽价格上涨，印染企业成本明显增加。",
        "发改局会同供热企业落实煤热价格联动，蒸汽价格每吨下调12元。",
        "fgj",
    ),
    *_reused("环保与危废处置", "惠企政策兑现"),
]
PROJECTS = [
    # Not the issues demo's "whole way from registration to production": that is the 17 above.
    *[t for t in _reused("项目审批", "土地与规划") if t.title != "从注册到投产希望全程代办"],
    Topic(
        "用电用能",
        "新厂房双电源供电",
        "新建厂房生产线不能断电，需要双电源供电。",
        "供电公司优化供电方案，双电源工程已与厂房同步投运。",
    ),
]
WASTE = [
    Topic(
        "环保与危废处置",
        "废活性炭处置周期长",
        "废气处理产生的废活性炭每季度约5吨，处置单位排期长，厂内贮存压力大。",
        "生态环境分局协调持证单位开通小量危废收运专线，首批已转运。",
    ),
    Topic(
        "环保与危废处置",
        "新增生产线排污许可变更",
        "新增生产线后排污许可需要变更，企业对申报系统不熟悉。",
        "生态环境分局安排专人一对一指导填报，排污许可变更已办结。",
    ),
    Topic(
        "安全生产",
        "危险化学品安全生产许可延期",
        "危险化学品生产企业安全生产许可证即将到期，延期材料准备不足。",
        "应急管理局组织专家上门指导，延期申请一次通过审查，许可证已换发。",
    ),
    *_reused("环保与危废处置", "安全生产"),
]
LABOUR = [
    Topic(
        "用工招聘",
        "外省员工节后返岗交通",
        "春节后外省员工集中返岗，希望协调包车接返。",
        "人力社保局会同交通运输局组织“点对点”包车，接返员工126人。",
    ),
    Topic(
        "基础设施配套",
        "新招员工宿舍不足",
        "新招员工住宿缺口约80人，希望协调公租房或人才公寓。",
        "住建局安排公租房40套，镇政府协调闲置宿舍楼一栋，员工已入住。",
    ),
    Topic(
        "用工招聘",
        "技能人才自主评价",
        "企业希望开展技能人才自主评价，提升一线员工技能等级。",
        "人力社保局将企业纳入自主评价试点，首批58名员工取得职业技能等级证书。",
    ),
    *_reused("用工招聘"),
]
ENERGY = [
    Topic(
        "用电用能",
        "屋顶分布式光伏并网",
        "企业屋顶建设2兆瓦分布式光伏，希望加快并网验收。",
        "供电公司开辟并网绿色通道，已完成验收并网发电。",
    ),
    Topic(
        "用电用能",
        "储能项目电力接入方案",
        "储能项目需接入10千伏线路，供电方案尚未明确。",
        "供电公司现场勘察后出具接入方案，接入工程已纳入当月施工计划。",
    ),
    Topic(
        "用电用能",
        "参与电力直接交易",
        "企业年用电量超过500万千瓦时，希望参与电力直接交易降低成本。",
        "供电公司指导企业完成交易注册并参加月度交易，预计年节约电费约30万元。",
    ),
    *_reused("用电用能", "税费政策"),
]
SWEATERS = [
    Topic(
        "环保与危废处置",
        "毛衫水洗废水集中处理",
        "小型毛衫水洗企业废水处理难，希望建设集中处理设施。",
        "洪合镇会同生态环境分局建成水洗废水集中处理中心，32家企业已接入。",
        "hh",
    ),
    Topic(
        "其他",
        "入驻毛衫电商直播基地",
        "企业希望入驻毛衫电商直播基地，拓展线上销售。",
        "洪合镇安排企业入驻直播基地，并提供主播培训和流量扶持。",
        "hh",
    ),
    Topic(
        "用工招聘",
        "毛衫设计研发人才引进",
        "企业缺乏设计研发人才，希望对接服装院校。",
        "人力社保局牵线服装院校，企业已与学校签订设计人才定向培养协议。",
    ),
    *_reused("其他", "用工招聘"),
]
INNOVATION = [
    Topic(
        "科技创新",
        "首台（套）装备认定",
        "公司研制的工业机器人希望申报首台（套）装备认定。",
        "科技局会同经信商务局指导申报，产品已列入省首台（套）推广目录。",
    ),
    Topic(
        "融资与金融",
        "科创贷款贴息",
        "企业研发投入大，希望申请科技贷款并享受贴息。",
        "金融办对接科技支行，企业获得1000万元科创贷款并享受贴息。",
    ),
    Topic(
        "融资与金融",
        "股改上市辅导",
        "企业计划三年内上市，希望获得股改辅导。",
        "金融办安排券商、律所上门辅导，企业已完成股份制改造。",
    ),
    *_reused("科技创新", "融资与金融"),
]
LOGISTICS = [
    Topic(
        "交通物流",
        "冷链配送车辆通行证",
        "冷链配送车辆进城时段受限，影响配送效率。",
        "交通运输局会同交警部门为企业办理城市配送车辆通行证28张。",
    ),
    Topic(
        "基础设施配套",
        "园区主干道路面破损积水",
        "园区主干道路面破损严重，雨天积水，货车通行困难。",
        "住建局安排道路修复工程，路面已修复并新增排水管网。",
    ),
    *_reused("交通物流", "基础设施配套"),
]
FOOD_AND_HOME = [
    Topic(
        "市场监管与准入",
        "绿色食品认证申报",
        "企业希望申报绿色食品认证，提升产品附加值。",
        "农业农村局指导企业完成绿色食品认证申报，已通过现场检查。",
        "nync",
    ),
    Topic(
        "市场监管与准入",
        "集成吊顶出口检测周期长",
        "集成吊顶产品出口需要第三方检测，检测周期长。",
        "市场监管分局协调省级检测机构在王店设立服务站，检测周期缩短一半。",
    ),
    Topic(
        "项目审批",
        "食品冷库建设审批",
        "企业计划新建2000吨冷库，希望了解审批流程并加快办理。",
        "行政审批局全程代办，冷库项目审批在十个工作日内全部办结。",
    ),
    *_reused("市场监管与准入", "惠企政策兑现"),
]


@dataclass(frozen=True)
class PastMeeting:
    theme: str
    month: int
    venue: str
    leaders: tuple[str, ...]  # usernames of the presiding leaders
    attended: tuple[str, ...]  # enterprise slugs
    absent: tuple[str, ...]  # invited, did not come
    problems: int
    topics: list[Topic]


MAIN_HALL = "区行政中心一号会议室"
PAST_MEETINGS = (
    PastMeeting(
        "纺织产业转型升级与喷水织机整治提升", 2, "王江泾镇政府三楼会议室",
        ("principal2", "leader3", "leader5"),
        ("hexin", "yunhe", "henghe", "bairui", "jiangnan", "yongxing", "jiahua", "haochen",
         "xinsheng", "zhengtai"),
        (), 20, TEXTILE,
    ),
    PastMeeting(
        "重大项目落地“拿地即开工”审批服务", 3, MAIN_HALL,
        ("principal1", "leader2", "leader4"),
        ("huake", "xiuyuan", "xiuzhi", "jingrui", "lianchuang", "huanyu", "dongfang", "boyuan"),
        ("jiecheng",), 30, PROJECTS,
    ),
    PastMeeting(
        "危险废物处置与生态环境服务", 4, "区生态环境分局会议室",
        ("leader5",),
        ("mingguang", "cailan", "dingxin", "lvyuan", "lvjia", "xingda", "qiangsheng", "bairui"),
        ("henghe",), 18, WASTE,
    ),
    PastMeeting(
        "企业用工与人才服务", 5, MAIN_HALL,
        ("principal2", "leader6"),
        ("hongxiu", "meiyang", "yifan", "zhixiu", "sitong", "changxin", "kanghe", "xinchen",
         "jiangnan"),
        ("hexin",), 19, LABOUR,
    ),
    PastMeeting(
        "用电用能保障与降本减负", 6, "区供电公司会议室",
        ("leader2", "leader3"),
        ("guangyao", "ritai", "xinguang", "lanhai", "tianneng", "huineng", "hengtong", "xinyuan",
         "yongxing"),
        (), 20, ENERGY,
    ),
    PastMeeting(
        "毛衫产业转型与市场综合体运营", 7, "洪合镇毛衫城会议中心",
        ("leader5", "leader6"),
        ("jiaxin", "hehe", "ruiyang", "meirong", "shangyi", "yuanfang", "hongxiu", "meiyang"),
        (), 16, SWEATERS,
    ),
    PastMeeting(
        "科技创新与企业融资服务", 9, "秀洲国家高新区科创中心",
        ("principal1", "leader2", "leader3"),
        ("kaiyue", "ruiguang", "qiming", "yunshu", "heguang", "shumian", "xinchen", "jingrui"),
        ("lanhai",), 17, INNOVATION,
    ),
    PastMeeting(
        "交通物流与基础设施配套", 10, MAIN_HALL,
        ("leader4",),
        ("shunyun", "jiahang", "jiahe", "kuaiyun", "tengda", "huachi", "baisheng", "ouya"),
        ("shuixiang",), 19, LOGISTICS,
    ),
    PastMeeting(
        "食品农业与集成家居产业发展", 11, "王店镇政府会议室",
        ("principal2", "leader1", "leader5"),
        ("tianyuan", "wanjia", "hewei", "baiwei", "fengyuan", "zhongtian", "xinmiao", "meixi",
         "jinding", "jiayi", "aoke", "huamei"),
        (), 21, FOOD_AND_HOME,
    ),
)  # fmt: skip
# The enterprise that raised 17 problems at the second meeting.
SEVENTEEN_AT = (2, "huake")


def past_year() -> int:
    return timezone.localdate().year - 1


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


def _wd(day: dt.date, n: int) -> dt.date:
    return workdays.add_working_days(day, n).value


def _meeting_day(year: int, month: int) -> dt.date:
    """The first working Tuesday, Wednesday or Thursday from the 10th of the month."""
    day = dt.date(year, month, 10)
    while not (1 <= day.weekday() <= 3 and workdays.is_working_day(day)):
        day += dt.timedelta(days=1)
    return day


def seed_meetings(district) -> None:
    """The past year of the programme, then the current year (demo_current)."""
    _past_year(district)
    _current_year(district)


def _past_year(district) -> None:
    year = past_year()
    if Meeting.objects.filter(year=year).exists():
        return
    categories = seed_categories(district)
    office = district.users["office1"]
    enterprise_users = {
        row.slug: district.users[demo_data.enterprise_username(seq)]
        for seq, row in enumerate(demo_data.ENTERPRISES, start=1)
    }
    with notifications.suppressed():
        for number, plan in enumerate(PAST_MEETINGS, start=1):
            _past_meeting(district, year, number, plan, categories, office, enterprise_users)
    counter, _ = MeetingCounter.objects.get_or_create(year=year)
    last = Meeting.objects.filter(year=year).aggregate(n=Max("number"))["n"]
    if counter.last_number < last:
        counter.last_number = last
        counter.save(update_fields=["last_number"])


def _past_meeting(district, year, number, plan: PastMeeting, categories, office, users) -> None:
    day = _meeting_day(year, plan.month)
    starts_at, held_at = _at(day, 9), _at(day, 11, 30)
    # Written as held (problems raised at a held meeting may still be registered by the
    # office), closed below once every problem is concluded.
    meeting = Meeting.objects.create(
        year=year,
        number=number,
        theme=plan.theme,
        starts_at=starts_at,
        venue=plan.venue,
        status=Meeting.Status.HELD,
        held_at=held_at,
        held_by=office,
        created_by=office,
        created_at=_at(_wd(day, -15), 10),
        updated_at=held_at,
        minutes=(
            f"第{number}期“面对面”联系会议围绕“{plan.theme}”，{len(plan.attended)}家企业"
            f"现场反映问题{plan.problems}个，相关部门现场回应，会后逐项交办，"
            "明确主办单位和办结时限。"
        ),
    )
    meeting.presiding_leaders.set([district.users[name] for name in plan.leaders])
    invited_at = _at(_wd(day, -10), 15)
    Invitation.objects.bulk_create(
        [
            Invitation(
                meeting=meeting,
                enterprise=users[slug].profile.enterprise,
                invited_at=invited_at,
                attended=slug in plan.attended,
            )
            for slug in (*plan.attended, *plan.absent)
        ]
    )
    district.created["meeting"] += 1
    district.created["invitation"] += len(plan.attended) + len(plan.absent)

    raised = _who_raises_what(number, plan)
    lead_departments = set()
    last_evaluated = held_at
    for index, (slug, topic) in enumerate(raised):
        lead_code = (
            topic.lead
            or _default_lead_code(district, categories[topic.category])
            or _town_code(slug)  # "other": the enterprise's town leads
        )
        lead_departments.add(district.departments[lead_code].pk)
        last_evaluated = max(
            last_evaluated,
            _past_problem(
                district,
                meeting=meeting,
                day=day,
                index=index,
                topic=topic,
                category=categories[topic.category],
                lead_code=lead_code,
                enterprise_user=users[slug],
                town_code=_town_code(slug),
                office=office,
                leader=district.users[plan.leaders[-1]] if index % 5 == 0 else None,
            ),
        )
    meeting.departments.set(lead_departments)
    closed_at = last_evaluated + dt.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.CLOSED, closed_at=closed_at, updated_at=closed_at
    )


def _who_raises_what(number: int, plan: PastMeeting) -> list[tuple[str, Topic]]:
    """(enterprise slug, topic) of each problem of the meeting; every attendee raises some."""
    raised: list[tuple[str, Topic]] = []
    others = list(plan.attended)
    if number == SEVENTEEN_AT[0]:
        raised += [(SEVENTEEN_AT[1], topic) for topic in SEVENTEEN]
        others.remove(SEVENTEEN_AT[1])
    for i in range(plan.problems - len(raised)):
        raised.append((others[i % len(others)], plan.topics[(i * 5 + number) % len(plan.topics)]))
    return raised


def _default_lead_code(district, category) -> str | None:
    for code, department in district.departments.items():
        if department.pk == category.default_lead_department_id:
            return code
    return None


def _town_code(slug: str) -> str:
    return next(row.town for row in demo_data.ENTERPRISES if row.slug == slug)


def _past_problem(
    district,
    *,
    meeting,
    day,
    index,
    topic,
    category,
    lead_code,
    enterprise_user,
    town_code,
    office,
    leader,
) -> dt.datetime:
    """One problem of a past meeting, from collection to evaluation; returns when evaluated."""
    enterprise = enterprise_user.profile.enterprise
    head = district.users[f"{lead_code}_head"]
    # Registered by the office just after the meeting, from its record of what was raised.
    problem = workflow.problem_submit(
        actor=office,
        enterprise=enterprise,
        title=topic.title,
        description=topic.description,
        category=category,
        channel=Channel.MEETING,
        meeting=meeting,
        now=_at(day, 13, index % 60),
    )
    town = district.departments[town_code]
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=district.departments[lead_code],
        co_departments=[town] if index % 4 == 1 and town.pk != head.profile.department_id else [],
        responsible_leader=leader,
        now=_at(day, 15, index % 50),
    )
    workflow.problem_acknowledge(problem_id=problem.pk, actor=head, now=_at(_wd(day, 1), 9, 30))
    # Answered 2 to 9 working days after the meeting: all well within the 10.
    answered_day = _wd(day, 2 + (index * 3) % 8)
    workflow.problem_resolve(
        problem_id=problem.pk, actor=head, answer=topic.answer, now=_at(answered_day, 16)
    )
    evaluated_at = _at(_wd(answered_day, 1), 10, index % 60)
    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.BASICALLY if index % 11 == 7 else Satisfaction.SATISFIED,
        reason="感谢相关部门高效办理！" if index % 3 == 0 else "",
        now=evaluated_at,
    )
    district.created["problem"] += 1
    return evaluated_at


def _current_year(district) -> None:
    from .demo_current import seed_current_year

    seed_current_year(district)
