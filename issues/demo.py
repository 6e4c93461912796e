"""Demo problems: categories and about 200 problems in every state, made through the workflow.

Each problem is driven through `issues.workflow` with explicit past times, so its
timeline, deadlines and reference numbers are exactly what real use would leave.
A step of `seed_demo`; it does nothing when problems already exist.
"""

from __future__ import annotations

import datetime as dt
import random
from dataclasses import dataclass

from django.utils import timezone

from liaison import workdays

from . import notifications, workflow
from .models import Category, Channel, Problem, Satisfaction

# (Chinese name, English name, demo code of the default lead department)
CATEGORIES = (
    ("环保与危废处置", "Environment and hazardous waste", "sthj"),
    ("用工招聘", "Recruitment and labour", "rlsb"),
    ("用电用能", "Electricity and energy", "gd"),
    ("土地与规划", "Land and planning", "zrzy"),
    ("项目审批", "Project approval", "xzsp"),
    ("融资与金融", "Finance and credit", "jrb"),
    ("税费政策", "Taxes and fees", "sw"),
    ("惠企政策兑现", "Business support policies", "jxsw"),
    ("科技创新", "Technology and innovation", "kjj"),
    ("市场监管与准入", "Market regulation and licences", "scjg"),
    ("交通物流", "Transport and logistics", "jtj"),
    ("安全生产", "Work safety", "yjj"),
    ("基础设施配套", "Infrastructure and utilities", "zjj"),
    ("其他", "Other", None),
)


@dataclass(frozen=True)
class DemoProblem:
    category: str  # Chinese category name
    title: str
    description: str
    answer: str


PROBLEMS = (
    DemoProblem(
        "环保与危废处置",
        "油漆渣等危险废物无处处置",
        "我司喷涂车间每月产生约3吨油漆渣，原合作处置单位停产，厂内暂存已接近上限，请求协调有资质的处置单位。",
        "区生态环境分局已对接市内两家持证处置单位，并协助签订处置合同，首批2.8吨已于本周转运完毕。",
    ),
    DemoProblem(
        "环保与危废处置",
        "技改项目环评审批进度慢",
        "新建印染废水预处理设施的环评报告已提交一个月，尚未进入审查，影响设备安装。",
        "已开通环评审批绿色通道，组织专家现场踏勘，报告书已于本周通过技术评估并出具批复。",
    ),
    DemoProblem(
        "用工招聘",
        "旺季一线挡车工招工难",
        "毛衫订单旺季需新增挡车工约60人，本地招聘会效果不佳，希望政府帮助拓宽招工渠道。",
        "区人力社保局为企业举办定制专场招聘会，并联系对口劳务协作地区，已到岗42人，其余岗位持续推送。",
    ),
    DemoProblem(
        "用工招聘",
        "技术工人子女入学问题",
        "公司引进的3名高级技师子女需就近入学，希望协调学位。",
        "已会同区教育局按人才子女入学政策安排就近学校，三名学生均已办理入学手续。",
    ),
    DemoProblem(
        "用电用能",
        "新增生产线用电增容",
        "新上两条生产线需增容800千伏安，申请已提交，希望加快供电方案答复和施工。",
        "供电公司已出具供电方案并开辟绿色通道，增容工程已完工送电，较常规流程提前15天。",
    ),
    DemoProblem(
        "用电用能",
        "电费成本过高希望享受减免政策",
        "企业用电量大、电费负担重，咨询是否可以享受阶段性电费减免政策。",
        "已为企业核定符合条件的电费减免，合计减免电费约12.6万元，将在下期电费中直接抵扣。",
    ),
    DemoProblem(
        "土地与规划",
        "扩建用地指标不足",
        "企业计划扩建厂房约20亩，周边有闲置地块，希望协调用地指标和出让时序。",
        "已将地块纳入年度供地计划，预计下季度挂牌出让，并指导企业做好前期准备。",
    ),
    DemoProblem(
        "土地与规划",
        "厂区规划调整手续咨询",
        "厂区内需新建一栋仓库，不清楚是否需要调整规划条件及办理流程。",
        "已上门讲解规划条件核实流程，企业所需仓库在现有规划许可范围内，可直接办理建设工程规划许可。",
    ),
    DemoProblem(
        "项目审批",
        "项目施工许可办理时间长",
        "新厂房项目已拿地，施工图审查和施工许可办理时间较长，影响年底开工。",
        "行政审批局实行容缺受理和并联审批，施工许可证已于三个工作日内核发。",
    ),
    DemoProblem(
        "项目审批",
        "从注册到投产希望全程代办",
        "外地企业新落户秀洲，对审批流程不熟悉，希望提供从注册到投产的全程代办服务。",
        "已指定专人全程代办，工商注册、立项、规划、施工许可等17项事项已全部办结，项目已投产。",
    ),
    DemoProblem(
        "融资与金融",
        "流动资金贷款到期续贷困难",
        "一笔800万元流动资金贷款下月到期，银行收紧授信，希望协调续贷或转贷。",
        "区金融办协调合作银行办理无还本续贷，并纳入应急转贷资金支持名单，贷款已顺利续期。",
    ),
    DemoProblem(
        "融资与金融",
        "科技型企业知识产权质押融资",
        "公司拥有12项发明专利，希望了解知识产权质押融资渠道。",
        "已对接两家银行的知识产权质押产品，企业获得授信500万元，享受贴息政策。",
    ),
    DemoProblem(
        "税费政策",
        "研发费用加计扣除政策咨询",
        "公司今年研发投入较大，想了解研发费用加计扣除的口径和申报方式。",
        "税务局安排专管员上门辅导，企业已在预缴申报中享受加计扣除，减少税款约36万元。",
    ),
    DemoProblem(
        "税费政策",
        "出口退税进度慢",
        "近两个月出口退税尚未到账，资金周转压力大。",
        "已为企业开通出口退税快速通道，两笔退税共计218万元已在5个工作日内到账。",
    ),
    DemoProblem(
        "惠企政策兑现",
        "技改补助资金迟迟未拨付",
        "去年完成的智能化技改项目已验收，补助资金尚未拨付。",
        "经信商务局会同财政局完成审核，补助资金86万元已拨付到企业账户。",
    ),
    DemoProblem(
        "惠企政策兑现",
        "喷水织机淘汰补助申请",
        "我司计划淘汰喷水织机120台，希望了解补助标准并尽快申请。",
        "已指导企业完成淘汰申报，经现场核验后按标准兑现补助，织机已全部拆除。",
    ),
    DemoProblem(
        "科技创新",
        "申报高新技术企业需要辅导",
        "公司今年拟申报高新技术企业，对知识产权和研发费用归集要求不熟悉。",
        "区科技局安排专家一对一辅导，企业已按时提交申报材料并通过形式审查。",
    ),
    DemoProblem(
        "科技创新",
        "希望与高校共建研发中心",
        "企业希望与省内高校合作建立研发中心，请求牵线搭桥。",
        "已促成企业与浙江某高校签订产学研合作协议，共建联合研发中心。",
    ),
    DemoProblem(
        "市场监管与准入",
        "食品生产许可证延续",
        "食品生产许可证即将到期，需要办理延续并增加品种。",
        "市场监管分局上门指导，许可延续和增项已一次性办结。",
    ),
    DemoProblem(
        "市场监管与准入",
        "商标被恶意抢注",
        "公司主打产品商标被他人抢注，影响产品销售，希望得到维权指导。",
        "已指导企业提出商标无效宣告申请，并协助收集使用证据，案件已受理。",
    ),
    DemoProblem(
        "交通物流",
        "厂区门口道路拥堵货车难进出",
        "厂区门前道路狭窄，上下班高峰期货车进出困难，存在安全隐患。",
        "交通运输局会同镇政府拓宽路口、增设临时停车区并调整信号灯配时，拥堵明显缓解。",
    ),
    DemoProblem(
        "交通物流",
        "希望增开公交线路方便员工通勤",
        "园区员工多来自镇区，现有公交班次少，通勤不便。",
        "已在高峰时段增开园区定制公交两班，员工通勤时间缩短约20分钟。",
    ),
    DemoProblem(
        "安全生产",
        "安全生产标准化创建指导",
        "企业拟开展安全生产标准化三级达标创建，希望得到专业指导。",
        "应急管理局组织专家上门诊断，提出整改建议19条，企业已完成整改并通过评审。",
    ),
    DemoProblem(
        "基础设施配套",
        "园区污水管网未接通",
        "新厂房已建成，但园区污水管网尚未接通，无法正常投产。",
        "住建局协调施工单位加快管网建设，污水管网已接通并通过验收。",
    ),
    DemoProblem(
        "基础设施配套",
        "天然气管道接入",
        "企业计划将燃煤锅炉改为燃气锅炉，需要接入天然气管道。",
        "已协调燃气公司完成管道勘察设计和施工，燃气已通气。",
    ),
    DemoProblem(
        "其他",
        "毛衫市场综合体招商运营",
        "毛衫市场综合体空置率较高，商户希望政府在招商和运营上给予支持。",
        "已会同洪合镇制定招商扶持办法，引入电商直播基地，新增入驻商户36家。",
    ),
)

# How many problems of each final state (about 200 in all).
PLAN = (
    ("submitted", 16),
    ("returned", 4),
    ("dispatched", 22),
    ("in_progress", 48),
    ("resolved", 24),
    ("closed", 72),
    ("rejected", 10),
)


def _user(district, username):
    return district.users[username]


def _at(day: dt.date, hour: int, minute: int = 0) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour, minute), tzinfo=workdays.SHANGHAI)


def _wd(day: dt.date, n: int) -> dt.date:
    return workdays.add_working_days(day, n).value


def seed_categories(district) -> dict[str, Category]:
    categories = {}
    for order, (name_zh, name_en, code) in enumerate(CATEGORIES, start=1):
        category, created = Category.objects.get_or_create(
            name_zh=name_zh,
            defaults={
                "name_en": name_en,
                "default_lead_department": district.departments.get(code) if code else None,
                "display_order": order * 10,
            },
        )
        if created:
            district.created["category"] += 1
        categories[name_zh] = category
    return categories


def seed_problems(district) -> None:
    """About 200 problems in every state: some overdue, some due soon, some reopened."""
    categories = seed_categories(district)
    if Problem.objects.exists():
        return
    rng = random.Random(20171)
    today = timezone.localdate()
    office = _user(district, "office1")
    leaders = [u for name, u in district.users.items() if name.startswith("leader")]
    enterprise_users = [u for name, u in district.users.items() if name.startswith("ent")]
    by_department = {code: d for code, d in district.departments.items()}
    heads = {code: district.users[f"{code}_head"] for code in by_department}
    staff = {code: district.users[f"{code}_staff"] for code in by_department}
    department_codes = list(by_department)

    plan = [state for state, count in PLAN for _ in range(count)]
    rng.shuffle(plan)
    # Open problems must be young enough to have a live or recently missed deadline;
    # concluded ones go back about three months.
    ages = {
        "submitted": lambda: rng.randint(0, 4),
        "returned": lambda: rng.randint(0, 4),
        "dispatched": lambda: rng.choice([1, 1, 2, 3, 4, 5, 8, 12]),
        "in_progress": lambda: rng.choice([2, 3, 4, 5, 6, 7, 8, 9, 9, 11, 14]),
        # Answered recently enough to be still waiting for the enterprise's evaluation.
        "resolved": lambda: rng.randint(2, 7),
    }
    aged = [(ages.get(state, lambda: rng.randint(1, 65))(), state) for state in plan]
    # Oldest first, so that reference numbers rise with the submission date.
    aged.sort(key=lambda pair: -pair[0])
    with notifications.suppressed():
        for index, (age, state) in enumerate(aged):
            template = PROBLEMS[index % len(PROBLEMS)]
            enterprise_user = enterprise_users[(index * 7) % len(enterprise_users)]
            enterprise = enterprise_user.profile.enterprise
            category = categories[template.category]
            submitted_day = _wd(today, -age) if age else today
            submitted_at = _at(submitted_day, 9 + index % 8, (index * 13) % 60)
            now = timezone.now()
            if submitted_at > now:
                submitted_at = now - dt.timedelta(minutes=30 + index)
            channel = Channel.WEB if index % 5 else rng.choice([Channel.VISIT, Channel.PHONE])
            actor = enterprise_user if channel == Channel.WEB else office
            problem = workflow.problem_submit(
                actor=actor,
                enterprise=enterprise,
                title=template.title,
                description=template.description,
                category=category,
                channel=channel,
                now=submitted_at,
            )
            district.created["problem"] += 1
            if state == "submitted":
                continue
            if state == "rejected":
                workflow.problem_reject(
                    problem_id=problem.pk,
                    actor=office,
                    reason="该事项属于企业间商业纠纷，建议通过司法途径解决；如需法律援助可联系区司法局。"
                    if index % 2
                    else "与本企业此前反映的问题重复，已合并办理。",
                    now=submitted_at + dt.timedelta(hours=3),
                )
                continue
            code = (
                _code_of(category, by_department)
                if category.default_lead_department_id
                else rng.choice(department_codes)
            )
            lead = by_department[code]
            co = [by_department[c] for c in rng.sample(department_codes, 2) if c != code][
                : (1 if index % 3 == 0 else 0)
            ]
            leader = leaders[index % len(leaders)] if index % 4 == 0 else None
            dispatched_at = min(submitted_at + dt.timedelta(hours=4), timezone.now())
            problem = workflow.problem_dispatch(
                problem_id=problem.pk,
                actor=office,
                lead_department=lead,
                co_departments=co,
                responsible_leader=leader,
                now=dispatched_at,
            )
            if state == "returned":
                workflow.problem_return(
                    problem_id=problem.pk,
                    actor=heads[code],
                    reason="该事项不属于本单位职责范围，建议改派相关部门。",
                    now=dispatched_at + dt.timedelta(hours=2),
                )
                continue
            if state == "dispatched":
                continue
            _handle(problem, state, template, heads[code], staff[code], office, leaders, rng, index)


def _code_of(category: Category, by_department) -> str:
    for code, department in by_department.items():
        if department.pk == category.default_lead_department_id:
            return code
    raise KeyError(category)


def _handle(problem, state, template, head, staff_user, office, leaders, rng, index) -> None:
    """Drive a dispatched problem on to in_progress, resolved or closed, with past times."""
    now = timezone.now()
    start_day = workdays.local_date(problem.clock_started_at)
    acknowledged_at = min(_at(_wd(start_day, 1), 9, 30), now - dt.timedelta(minutes=20))
    workflow.problem_acknowledge(problem_id=problem.pk, actor=head, now=acknowledged_at)
    if index % 3 == 0:
        workflow.problem_assign_handler(
            problem_id=problem.pk, actor=head, handler=staff_user, now=acknowledged_at
        )
    progress_at = min(_at(_wd(start_day, 3), 15), now - dt.timedelta(minutes=10))
    if progress_at > acknowledged_at:
        workflow.problem_add_progress(
            problem_id=problem.pk,
            actor=staff_user,
            text="已与企业负责人电话沟通，了解具体情况，正在会同相关单位研究解决方案。",
            is_public=True,
            now=progress_at,
        )
        if index % 4 == 1:
            workflow.problem_add_progress(
                problem_id=problem.pk,
                actor=head,
                text="内部说明：需协调上级部门意见，预计本周内明确。",
                is_public=False,
                now=progress_at + dt.timedelta(minutes=5),
            )
    if index % 9 == 0 and leaders:
        workflow.problem_instruct(
            problem_id=problem.pk,
            actor=leaders[index % len(leaders)],
            text="请主办单位加快办理，确保按期办结，办理结果及时报送。",
            now=progress_at + dt.timedelta(minutes=8),
        )
    if state == "in_progress":
        if index % 6 == 0 and progress_at < now - dt.timedelta(minutes=2):
            request = workflow.problem_request_extension(
                problem_id=problem.pk,
                actor=head,
                days=5,
                reason="涉及跨部门协调和上级审批，需延长办理时限。",
                now=progress_at + dt.timedelta(minutes=10),
            )
            if index % 12 == 0:
                workflow.problem_decide_extension(
                    extension_id=request.pk,
                    actor=office,
                    approve=True,
                    note="同意延期5个工作日。",
                    now=progress_at + dt.timedelta(minutes=15),
                )
        return
    # Mostly on time, a few late: answered 3 to 9 working days after the start, or 12.
    answer_day = _wd(start_day, 12 if index % 11 == 0 else rng.randint(3, 9))
    resolved_at = min(_at(answer_day, 16), now - dt.timedelta(minutes=5))
    resolved_at = max(resolved_at, progress_at + dt.timedelta(minutes=20))
    if resolved_at >= now:
        return
    workflow.problem_resolve(
        problem_id=problem.pk, actor=head, answer=template.answer, now=resolved_at
    )
    if state == "resolved":
        return
    evaluated_at = min(resolved_at + dt.timedelta(days=1), now - dt.timedelta(minutes=1))
    if index % 10 == 3:
        # Unsatisfied once, handled again, then satisfied.
        workflow.problem_evaluate(
            problem_id=problem.pk,
            actor=problem.submitted_by
            if problem.submitted_by.profile.enterprise_id
            else problem.enterprise.profiles.first().user,
            satisfaction=Satisfaction.UNSATISFIED,
            reason="答复内容与实际情况不符，问题仍未解决。",
            now=evaluated_at,
        )
        second_at = min(evaluated_at + dt.timedelta(days=2), now - dt.timedelta(seconds=30))
        workflow.problem_resolve(
            problem_id=problem.pk,
            actor=head,
            answer=template.answer + "（重办后已现场核实并解决。）",
            now=second_at,
        )
        evaluated_at = min(second_at + dt.timedelta(hours=5), now - dt.timedelta(seconds=10))
    enterprise_user = problem.enterprise.profiles.select_related("user").first().user
    workflow.problem_evaluate(
        problem_id=problem.pk,
        actor=enterprise_user,
        satisfaction=Satisfaction.BASICALLY if index % 7 == 0 else Satisfaction.SATISFIED,
        reason="感谢相关部门的高效服务！" if index % 2 else "",
        now=evaluated_at,
    )
