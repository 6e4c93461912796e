"""Demo face-to-face meetings (a step of seed_demo): the programme's past year, then this year.

The past year (the year before today's) reproduces the programme's real report: 9
meetings, 73 distinct enterprises attending, 180 problems raised at them, every one
concluded within 10 working days (one enterprise brought 17 problems to the second
meeting: its plant went from registration to production in 72 days). Each attendee
raises topics (issues.demo_topics) that fit its industry, on the meeting's theme where
it can. The meetings are written directly as closed; their problems go through
issues.workflow with explicit past times: registered by the office for the meeting on
the meeting day, dispatched that afternoon after it was held (so the clock starts
then), acknowledged, answered within the deadline and evaluated. Nothing is written if
the past year's meetings exist.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.db.models import Max
from django.utils import timezone

from issues import notifications, workflow
from issues.demo import demo_appeal_type, seed_categories
from issues.demo_topics import Raised, TopicPicker
from issues.demo_topics.topic import T
from issues.models import Channel, Satisfaction
from liaison import demo_data, workdays

from .demo_current import seed_current_year
from .models import Invitation, Meeting, MeetingCounter

# The 17 problems the newly settled plant raised at the second meeting, from
# registration to production.
# fmt: off
SEVENTEEN = (
    T("市场监管与准入", "新公司注册登记和名称核准", "newproject",
      "项目公司需尽快完成注册登记，希望一次办结。",
      "区市场监管分局于{d1}当天完成名称核准和设立登记，营业执照、印章和税务登记一窗领取。",
      lead="scjg"),
    T("项目审批", "投资项目备案赋码", "newproject",
      "新材料项目总投资5.2亿元，需办理企业投资项目备案。",
      "区发改局于{d1}在线办理项目备案并赋码，一个工作日办结。",
      lead="fgj"),
    T("土地与规划", "工业用地“标准地”出让", "newproject",
      "项目需用地86亩，希望按“标准地”方式尽快出让。",
      "区自然资源和规划分局按“标准地”挂牌出让，企业于{d2}竞得后当天签订出让合同。",
      lead="zrzy"),
    T("土地与规划", "建设用地规划许可和工程规划许可", "newproject",
      "拿地后需同步办理建设用地规划许可和工程规划许可。",
      "区自然资源和规划分局实行“拿地即开工”，{d2}两项规划许可与土地出让合同同步核发。",
      lead="zrzy"),
    T("项目审批", "施工图联合审查", "newproject",
      "施工图审查涉及多个专业，希望压缩审查时间。",
      "区住建局组织多图联审，{d1}受理，{d2}出具审查合格书。",
      lead="zjj"),
    T("项目审批", "建筑工程施工许可", "newproject",
      "施工图审查通过后希望尽快取得施工许可。",
      "区行政审批局容缺受理，施工许可证于{d2}当天核发。",
      lead="xzsp"),
    T("环保与危废处置", "项目环评审批", "newproject",
      "项目需编制环境影响报告表，希望加快审批。",
      "区生态环境分局提前介入指导编制，报告表{d1}受理，{d2}批复。",
      lead="sthj"),
    T("用电用能", "项目节能审查", "newproject",
      "项目年综合能耗较大，需通过节能审查。",
      "区发改局于{d1}组织专家预审，{d2}出具节能审查意见，用能指标在区内统筹解决。",
      lead="fgj"),
    T("基础设施配套", "厂房消防设计审查", "newproject",
      "厂房含甲类仓库，消防设计审查要求高。",
      "区住建局于{d1}安排专家上门预审，{d2}消防设计审查一次通过。",
      lead="zjj"),
    T("用电用能", "施工临时用电和正式供电接入", "newproject",
      "施工需临时用电，投产需10千伏双回路供电。",
      "区供电公司于{d1}接通施工临时用电，{d2}批复10千伏双回路供电方案，正式供电工程与厂房建设同步施工、同步投运。",
      lead="gd"),
    T("基础设施配套", "供水和污水纳管接入", "newproject",
      "厂区需接入市政供水和污水管网。",
      "区住建局协调水务集团同步设计施工，{d2}供水和污水纳管已接通。",
      lead="zjj"),
    T("基础设施配套", "天然气管道接入", "newproject",
      "生产线烘干工序需使用天然气，园区管道未到厂区。",
      "高照街道协调燃气公司于{d1}开工敷设管道600米，{d2}已通气。",
      lead="gz"),
    T("环保与危废处置", "排污许可证申领", "newproject",
      "投产前需取得排污许可证。",
      "区生态环境分局于{d1}指导企业在线申领，{d2}核发排污许可证，赶在试生产之前。",
      lead="sthj"),
    T("安全生产", "危险化学品仓库安全条件审查", "newproject",
      "原料中有危险化学品，仓库需通过安全条件审查。",
      "区应急管理局于{d1}组织专家审查并现场指导整改，{d2}安全条件审查通过。",
      lead="yjj"),
    T("用工招聘", "投产首批员工招聘", "newproject",
      "投产需招聘一线员工120人、技术人员20人。",
      "区人力社保局于{d1}举办企业专场招聘会并对接职业院校，{d2}首批140名员工已全部到岗。",
      lead="rlsb"),
    T("税费政策", "进口设备减免税办理", "newproject",
      "项目进口生产设备，咨询减免税政策及办理流程。",
      "区税务局会同海关于{d1}指导企业办理进口设备减免税确认，{d2}办结，节约税款约380万元。",
      lead="sw"),
    T("项目审批", "竣工联合验收", "newproject",
      "厂房建成后希望尽快完成竣工验收投产。",
      "区行政审批局于{d2}组织规划、消防、人防等联合验收，一次通过，项目于注册后第72天投产。",
      lead="xzsp"),
)
# fmt: on


@dataclass(frozen=True)
class PastMeeting:
    theme: str
    month: int
    venue: str
    leaders: tuple[str, ...]  # usernames of the presiding leaders
    attended: tuple[str, ...]  # enterprise slugs
    absent: tuple[str, ...]  # invited, did not come
    problems: int
    # Categories and industry traits (issues.demo_topics) of the meeting's theme: the
    # attendees raise topics of these first, as far as their industries allow.
    prefer: frozenset[str]


MAIN_HALL = "区行政中心一号会议室"
PAST_MEETINGS = (
    PastMeeting(
        "纺织产业转型升级与喷水织机整治提升", 2, "王江泾镇政府三楼会议室",
        ("principal2", "leader3", "leader5"),
        ("hexin", "yunhe", "henghe", "bairui", "jiangnan", "yongxing", "jiahua", "haochen",
         "xinsheng", "zhengtai"),
        (), 20, frozenset({"textile", "惠企政策兑现", "环保与危废处置"}),
    ),
    PastMeeting(
        "重大项目落地“拿地即开工”审批服务", 3, MAIN_HALL,
        ("principal1", "leader2", "leader4"),
        ("huake", "xiuyuan", "xiuzhi", "jingrui", "lianchuang", "huanyu", "dongfang", "boyuan"),
        ("jiecheng",), 30, frozenset({"项目审批", "土地与规划", "用电用能", "基础设施配套"}),
    ),
    PastMeeting(
        "危险废物处置与生态环境服务", 4, "区生态环境分局会议室",
        ("leader5",),
        ("mingguang", "cailan", "dingxin", "lvyuan", "lvjia", "xingda", "qiangsheng", "bairui"),
        ("henghe",), 18, frozenset({"环保与危废处置", "安全生产"}),
    ),
    PastMeeting(
        "企业用工与人才服务", 5, MAIN_HALL,
        ("principal2", "leader6"),
        ("hongxiu", "meiyang", "yifan", "zhixiu", "sitong", "changxin", "kanghe", "xinchen",
         "jiangnan"),
        ("hexin",), 19, frozenset({"用工招聘"}),
    ),
    PastMeeting(
        "用电用能保障与降本减负", 6, "区供电公司会议室",
        ("leader2", "leader3"),
        ("guangyao", "ritai", "xinguang", "lanhai", "tianneng", "huineng", "hengtong", "xinyuan",
         "yongxing"),
        (), 20, frozenset({"用电用能", "税费政策"}),
    ),
    PastMeeting(
        "毛衫产业转型与市场综合体运营", 7, "洪合镇毛衫城会议中心",
        ("leader5", "leader6"),
        ("jiaxin", "hehe", "ruiyang", "meirong", "shangyi", "yuanfang", "hongxiu", "meiyang"),
        (), 16, frozenset({"sweater", "garment", "ecommerce"}),
    ),
    PastMeeting(
        "科技创新与企业融资服务", 9, "秀洲国家高新区科创中心",
        ("principal1", "leader2", "leader3"),
        ("kaiyue", "ruiguang", "qiming", "yunshu", "heguang", "shumian", "xinchen", "jingrui"),
        ("lanhai",), 17, frozenset({"科技创新", "融资与金融"}),
    ),
    PastMeeting(
        "交通物流与基础设施配套", 10, MAIN_HALL,
        ("leader4",),
        ("shunyun", "jiahang", "jiahe", "kuaiyun", "tengda", "huachi", "baisheng", "ouya"),
        ("shuixiang",), 19, frozenset({"交通物流", "基础设施配套"}),
    ),
    PastMeeting(
        "食品农业与集成家居产业发展", 11, "王店镇政府会议室",
        ("principal2", "leader1", "leader5"),
        ("tianyuan", "wanjia", "hewei", "baiwei", "fengyuan", "zhongtian", "xinmiao", "meixi",
         "jinding", "jiayi", "aoke", "huamei"),
        (), 21, frozenset({"food", "agri", "ceiling", "home", "市场监管与准入"}),
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
    seed_past_year(district)
    seed_current_year(district)


def seed_past_year(district) -> None:
    """The programme's past year: nine closed meetings, 73 enterprises, 180 problems."""
    year = past_year()
    if Meeting.objects.filter(year=year).exists():
        return
    categories = seed_categories(district)
    office = district.users["office1"]
    enterprise_users = {
        row.slug: district.users[demo_data.enterprise_username(seq)]
        for seq, row in enumerate(demo_data.ENTERPRISES, start=1)
    }
    picker = TopicPicker.from_database(district, seed=year)
    with notifications.suppressed():
        for number, plan in enumerate(PAST_MEETINGS, start=1):
            raised = _who_raises_what(number, plan, picker, enterprise_users)
            _past_meeting(
                district, year, number, plan, raised, categories, office, enterprise_users
            )
    counter, _ = MeetingCounter.objects.get_or_create(year=year)
    last = Meeting.objects.filter(year=year).aggregate(n=Max("number"))["n"]
    if counter.last_number < last:
        counter.last_number = last
        counter.save(update_fields=["last_number"])


def _past_meeting(
    district, year, number, plan: PastMeeting, raised, categories, office, users
) -> None:
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

    lead_departments = set()
    last_evaluated = held_at
    for index, (slug, topic) in enumerate(raised):
        lead_departments.add(district.departments[topic.lead_code].pk)
        last_evaluated = max(
            last_evaluated,
            _past_problem(
                district,
                meeting=meeting,
                day=day,
                index=index,
                topic=topic,
                category=categories[topic.category],
                enterprise_user=users[slug],
                office=office,
                leader=district.users[plan.leaders[-1]] if index % 5 == 0 else None,
            ),
        )
    meeting.departments.set(lead_departments)
    closed_at = last_evaluated + dt.timedelta(days=1)
    Meeting.objects.filter(pk=meeting.pk).update(
        status=Meeting.Status.CLOSED, closed_at=closed_at, updated_at=closed_at
    )


def _who_raises_what(
    number: int, plan: PastMeeting, picker: TopicPicker, users
) -> list[tuple[str, Raised]]:
    """(enterprise slug, topic) of each problem of the meeting; every attendee raises some,
    on the meeting's theme as far as the enterprise's industry allows."""
    raised: list[tuple[str, Raised]] = []
    others = list(plan.attended)
    if number == SEVENTEEN_AT[0]:
        slug = SEVENTEEN_AT[1]
        raised += [(slug, picker.raise_topic(users[slug].profile.enterprise, t)) for t in SEVENTEEN]
        others.remove(slug)
    for i in range(plan.problems - len(raised)):
        slug = others[i % len(others)]
        raised.append((slug, picker.pick(users[slug].profile.enterprise, prefer=plan.prefer)))
    return raised


def _past_problem(
    district,
    *,
    meeting,
    day,
    index,
    topic: Raised,
    category,
    enterprise_user,
    office,
    leader,
) -> dt.datetime:
    """One problem of a past meeting, from collection to evaluation; returns when evaluated."""
    enterprise = enterprise_user.profile.enterprise
    lead_code = topic.lead_code
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
        appeal_type=demo_appeal_type(topic.title, topic.description, index),
        now=_at(day, 13, index % 60),
    )
    town = district.departments[topic.town_code]
    workflow.problem_dispatch(
        problem_id=problem.pk,
        actor=office,
        lead_department=district.departments[lead_code],
        co_departments=[town] if index % 4 == 1 and town.pk != head.profile.department_id else [],
        responsible_leader=leader,
        now=_at(day, 15, index % 50),
    )
    acknowledged_day = _wd(day, 1)
    workflow.problem_acknowledge(
        problem_id=problem.pk, actor=head, now=_at(acknowledged_day, 9, 30)
    )
    # Answered 2 to 9 working days after the meeting: all well within the 10.
    answered_day = _wd(day, 2 + (index * 3) % 8)
    workflow.problem_resolve(
        problem_id=problem.pk,
        actor=head,
        answer=topic.answer(begun=acknowledged_day, answered=answered_day),
        now=_at(answered_day, 16),
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
