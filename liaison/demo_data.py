"""The invented demo district (Xiuzhou-like): data tables and deterministic identifiers.

Everything here is made up: people, companies, phone numbers and credit codes. Names
follow the news report (shared/seed/ beside DESIGN.md: water-jet looms in 王江泾, sweaters in 洪合,
integrated ceilings in 王店, photovoltaics in the high-tech zone). E-mail addresses use
reserved domains (RFC 2606), so a demo notification can never reach a real mailbox.
"""

from __future__ import annotations

import hashlib
from typing import NamedTuple

from .validators import credit_code_check_char

DEMO_PASSWORD = "liaison-demo"
OFFICIAL_EMAIL_DOMAIN = "xiuzhou.example"
# 嘉兴市秀洲区: the administrative division code in positions 3-8 of a credit code.
REGION_CODE = "330411"


class Official(NamedTuple):
    username: str
    name: str
    role: str
    title: str
    supervises: tuple[str, ...] = ()  # department codes (district leaders only)


class DepartmentRow(NamedTuple):
    code: str  # ASCII, used in the head's and staff member's usernames
    name: str
    short_name: str
    kind: str
    head_name: str
    head_title: str
    staff_name: str
    staff_title: str
    services: tuple[str, ...]


class EnterpriseRow(NamedTuple):
    slug: str  # ASCII, used in the e-mail address
    name: str
    industry: str
    town: str  # a department code of kind "town"
    address: str
    contact_person: str
    contact_title: str


# Usernames are fixed by role: principal1-2, leader1-6, office1-2, admin.
OFFICIALS: tuple[Official, ...] = (
    Official("admin", "周明轩", "admin", "系统管理员（区大数据中心）"),
    Official("principal1", "姚振华", "principal", "区委书记"),
    Official("principal2", "褚志刚", "principal", "区委副书记、区长"),
    Official("leader1", "沈卫东", "leader", "区委副书记", ("xc", "wjj", "ycg", "nync")),
    Official("leader2", "钱立新", "leader", "区委常委、常务副区长", ("fgj", "czj", "sw", "jrb")),
    Official("leader3", "顾晓明", "leader", "副区长（工业经济）", ("jxsw", "kjj", "scjg", "gd")),
    Official("leader4", "陆建平", "leader", "副区长（城建交通）", ("zrzy", "zjj", "jtj", "jb")),
    Official(
        "leader5", "徐丽华", "leader", "副区长（生态环境、安全生产）", ("sthj", "yjj", "wd", "hh")
    ),
    Official("leader6", "朱海峰", "leader", "副区长（社会事业）", ("rlsb", "xzsp", "gz", "th")),
    Official("office1", "金晓燕", "office", "“面对面”领导小组办公室主任"),
    Official("office2", "屠佳琪", "office", "“面对面”领导小组办公室联络员"),
)

_D, _T, _O = "district", "town", "other"

# fmt: off
DEPARTMENTS: tuple[DepartmentRow, ...] = (
    DepartmentRow("fgj", "区发改局", "发改局", _D,
        "杨志强", "局长", "王静怡", "投资科科员", (
            "企业投资项目核准备案咨询与赋码指导",
            "省市县长项目工程申报辅导",
            "节能审查政策咨询与用能指标协调",
            "服务业发展引导资金申报",
        )),
    DepartmentRow("jxsw", "区经信商务局", "经信商务局", _D,
        "钟伟明", "局长", "陆佳慧", "企业服务科科员", (
            "工业企业技术改造项目备案与补助申报",
            "喷水织机淘汰与产能置换政策咨询",
            "“亩均论英雄”评价结果解读与提档升级指导",
            "外贸企业出口信用保险与境外展会补助申报",
            "小微企业上规升级培育辅导",
        )),
    DepartmentRow("kjj", "区科技局", "科技局", _D,
        "孙海燕", "局长", "范哲", "高新科科员", (
            "高新技术企业认定申报辅导",
            "科技型中小企业评价入库",
            "省级企业研发中心与企业研究院创建指导",
            "科技成果转化与产学研合作对接",
        )),
    DepartmentRow("czj", "区财政局", "财政局", _D,
        "蒋永明", "局长", "许婷", "经建科科员", (
            "产业扶持政策资金兑现",
            "惠企资金“直达快享”办理指导",
            "政府采购中小企业预留份额政策咨询",
            "政策性融资担保费补助申报",
        )),
    DepartmentRow("sw", "区税务局", "税务局", _D,
        "戴国良", "局长", "钱晓敏", "纳税服务科科员", (
            "增值税留抵退税政策辅导",
            "高新技术企业所得税优惠享受指导",
            "研发费用加计扣除申报辅导",
            "出口退税“一站式”办理",
            "纳税信用修复咨询",
        )),
    DepartmentRow("jrb", "区金融办", "金融办", _D,
        "俞晓峰", "主任", "胡梦婷", "综合科科员", (
            "银企对接与融资需求撮合",
            "企业股改与上市辅导",
            "应急转贷资金申请",
            "政策性融资担保对接",
        )),
    DepartmentRow("scjg", "区市场监管分局", "市场监管分局", _D,
        "潘志良", "局长", "金思远", "登记注册科科员", (
            "企业开办“一日办结”指导",
            "商标注册与品牌培育指导",
            "特种设备使用登记与定期检验对接",
            "食品生产许可申办辅导",
            "计量器具检定与标准化服务",
        )),
    DepartmentRow("xzsp", "区行政审批局", "行政审批局", _D,
        "冯雪梅", "局长", "曹宇航", "投资项目审批科科员", (
            "工业项目“拿地即开工”全程代办",
            "投资项目审批“最多跑一次”帮办",
            "施工许可并联审批指导",
            "竣工联合验收协调",
        )),
    DepartmentRow("zrzy", "区自然资源和规划分局", "自然资源和规划分局", _D,
        "褚建新", "局长", "施雨婷", "用地科科员", (
            "工业用地“标准地”出让政策咨询",
            "低效用地再开发与厂房加层审批指导",
            "不动产登记“一窗受理”",
            "规划条件与设计方案审查指导",
            "用地指标统筹与供地进度协调",
        )),
    DepartmentRow("zjj", "区住建局", "住建局", _D,
        "沈国强", "局长", "吴佳琪", "建管科科员", (
            "施工图审查与建筑工程施工许可指导",
            "厂房消防设计审查与验收咨询",
            "建筑业企业资质申报辅导",
            "企业员工公租房与人才房申请",
        )),
    DepartmentRow("jtj", "区交通运输局", "交通运输局", _D,
        "徐斌", "局长", "邹雨萱", "运输科科员", (
            "企业周边道路与公交线路优化协调",
            "大件运输许可办理指导",
            "道路货运经营许可办理",
            "内河航道与码头装卸协调",
        )),
    DepartmentRow("sthj", "区生态环境分局", "生态环境分局", _D,
        "莫振宇", "局长", "姚欣怡", "环评科科员", (
            "危险废物处置政策咨询与转运对接",
            "建设项目环评审批与“区域环评+环境标准”改革指导",
            "排污许可申领与排污权交易",
            "喷水织机废水纳管与印染整治指导",
            "“环保管家”环保设施运行帮扶",
        )),
    DepartmentRow("yjj", "区应急管理局", "应急管理局", _D,
        "郑卫国", "局长", "邵晨", "安全生产科科员", (
            "安全生产标准化创建指导",
            "危险化学品经营许可办理",
            "企业安全隐患“体检”与整改帮扶",
            "应急预案编制与备案指导",
        )),
    DepartmentRow("rlsb", "区人力社保局", "人力社保局", _D,
        "何丽娟", "局长", "方嘉豪", "就业科科员", (
            "定制专场招聘会",
            "外出定制式招聘与劳务协作对接",
            "稳岗返还与社保费减免政策兑现",
            "职业技能培训补贴与技能人才自主评价",
            "劳动用工指导与劳动关系调解",
        )),
    DepartmentRow("nync", "区农业农村局", "农业农村局", _D,
        "吕建明", "局长", "谢宇", "产业科科员", (
            "农业龙头企业认定与项目申报",
            "设施农用地备案指导",
            "农产品品牌与绿色食品认证辅导",
            "农业保险与贷款贴息政策咨询",
        )),
    DepartmentRow("gd", "区供电公司", "供电公司", _O,
        "任志军", "总经理", "韩晓雯", "客户服务中心专员", (
            "电费减免政策兑现",
            "电力直接交易政策咨询与交易组织",
            "新装增容“三零”“三省”服务",
            "分布式光伏并网接入服务",
            "计划停电提前告知与用电安全检查",
        )),
    DepartmentRow("xc", "新塍镇", "新塍", _T,
        "陆明华", "镇党委书记", "张晓丽", "镇企业服务中心主任", (
            "纺织服装企业转型升级帮扶",
            "闲置厂房盘活与招商对接",
            "小微企业园入园服务",
            "企业周边道路与路灯维护协调",
        )),
    DepartmentRow("wjj", "王江泾镇", "王江泾", _T,
        "李国华", "镇党委书记", "沈佳怡", "镇经济发展办公室科员", (
            "喷水织机整治提升与淘汰补助对接",
            "织造企业入园集聚服务",
            "运河文化旅游项目招商服务",
            "企业外来员工住宿协调",
        )),
    DepartmentRow("ycg", "油车港镇", "油车港", _T,
        "陈建峰", "镇党委书记", "刘欣然", "镇企业服务中心科员", (
            "智能制造产业园项目落地代办",
            "湿地旅游与农旅融合项目服务",
            "企业用水用气接入协调",
            "镇级惠企政策兑现",
        )),
    DepartmentRow("wd", "王店镇", "王店", _T,
        "孔德明", "镇党委书记", "黄诗涵", "镇企业服务中心科员", (
            "集成吊顶产业专项扶持政策咨询",
            "小城镇环境综合整治配合指导",
            "企业停车与物流通道协调",
            "小微企业园入园服务",
        )),
    DepartmentRow("hh", "洪合镇", "洪合", _T,
        "吴志华", "镇党委书记", "蔡梦洁", "镇毛衫产业服务中心科员", (
            "毛衫市场综合体商户服务",
            "毛衫产业转型升级与设计研发对接",
            "毛衫企业水洗废水集中处理协调",
            "外来务工人员子女入学协调",
        )),
    DepartmentRow("jb", "嘉北街道", "嘉北", _T,
        "杜文斌", "街道党工委书记", "马晓琳", "街道经济服务中心科员", (
            "商务楼宇企业入驻与税源服务",
            "企业开办与变更登记代办",
            "楼宇停车与生活配套协调",
        )),
    DepartmentRow("gz", "高照街道", "高照", _T,
        "汪志远", "街道党工委书记", "唐雨欣", "街道经济服务中心科员", (
            "光伏企业项目落地服务",
            "人才公寓申请协调",
            "企业周边交通秩序协调",
        )),
    DepartmentRow("th", "塘汇街道", "塘汇", _T,
        "龚晓东", "街道党工委书记", "严婧", "街道经济服务中心科员", (
            "食品企业证照办理指导",
            "老旧工业区改造与企业搬迁协调",
            "物流企业车辆通行协调",
        )),
)

ENTERPRISES: tuple[EnterpriseRow, ...] = (
    EnterpriseRow("hexin", "嘉兴市禾新纺织有限公司", "纺织（喷水织造）", "wjj",
                  "嘉兴市秀洲区王江泾镇南汇路58号", "沈建明", "总经理"),
    EnterpriseRow("xiuyuan", "浙江秀源智能装备股份有限公司", "智能装备", "ycg",
                  "嘉兴市秀洲区油车港镇正阳东路1288号", "陈立", "董事长"),
    EnterpriseRow("yunhe", "嘉兴运河织造有限公司", "纺织（喷水织造）", "wjj",
                  "嘉兴市秀洲区王江泾镇长虹路66号", "王雪芬", "办公室主任"),
    EnterpriseRow("henghe", "嘉兴恒禾化纤有限公司", "化纤", "wjj",
                  "嘉兴市秀洲区王江泾镇工业园区振兴路18号", "钱宏伟", "副总经理"),
    EnterpriseRow("bairui", "嘉兴百瑞纺织印染有限公司", "纺织印染", "wjj",
                  "嘉兴市秀洲区王江泾镇虹阳路299号", "徐建新", "厂长"),
    EnterpriseRow("hongxiu", "嘉兴市鸿秀毛衫有限公司", "毛衫", "hh",
                  "嘉兴市秀洲区洪合镇洪福路208号", "朱美玲", "总经理"),
    EnterpriseRow("meiyang", "嘉兴美洋针织服饰有限公司", "毛衫", "hh",
                  "嘉兴市秀洲区洪合镇毛衫城大道99号", "顾志强", "董事长"),
    EnterpriseRow("jiaxin", "浙江嘉馨羊绒制品有限公司", "毛衫（羊绒）", "hh",
                  "嘉兴市秀洲区洪合镇新洪路36号", "陆秀英", "财务总监"),
    EnterpriseRow("hehe", "嘉兴和合针织有限公司", "毛衫", "hh",
                  "嘉兴市秀洲区洪合镇洪兴西路155号", "张海林", "总经理"),
    EnterpriseRow("yifan", "嘉兴逸帆服饰有限公司", "服装", "hh",
                  "嘉兴市秀洲区洪合镇泰石路77号", "李婷婷", "人事经理"),
    EnterpriseRow("guangyao", "嘉兴光耀新能源科技有限公司", "光伏新能源", "gz",
                  "嘉兴市秀洲区高照街道八字路1666号", "周建军", "总经理"),
    EnterpriseRow("ritai", "浙江日泰光伏科技股份有限公司", "光伏新能源", "gz",
                  "嘉兴市秀洲区高照街道康和路1288号", "潘晓东", "董事长"),
    EnterpriseRow("kanghe", "浙江康禾生物医药有限公司", "生物医药", "gz",
                  "嘉兴市秀洲区高照街道中山西路3339号", "蒋丽君", "行政总监"),
    EnterpriseRow("xiuzhi", "浙江秀智数控科技有限公司", "智能装备（数控机床）", "gz",
                  "嘉兴市秀洲区高照街道秀园路568号", "冯伟", "总经理"),
    EnterpriseRow("changxin", "嘉兴长欣汽车内饰有限公司", "汽车零部件", "gz",
                  "嘉兴市秀洲区高照街道新洲路882号", "孙国平", "副总经理"),
    EnterpriseRow("lanhai", "嘉兴蓝海储能技术有限公司", "新能源储能", "jb",
                  "嘉兴市秀洲区嘉北街道洪兴路1001号", "何晓峰", "总经理"),
    EnterpriseRow("xinchen", "嘉兴芯辰电子科技有限公司", "电子信息", "jb",
                  "嘉兴市秀洲区嘉北街道秀洲大道2288号", "姚静", "办公室主任"),
    EnterpriseRow("ruiguang", "嘉兴睿光光学仪器有限公司", "光学元件", "jb",
                  "嘉兴市秀洲区嘉北街道昌盛路777号", "邵建华", "董事长"),
    EnterpriseRow("huineng", "嘉兴汇能电气设备有限公司", "电气设备", "jb",
                  "嘉兴市秀洲区嘉北街道加创路105号", "曹丽萍", "总经理"),
    EnterpriseRow("tengda", "嘉兴腾达汽车部件有限公司", "汽车零部件", "wd",
                  "嘉兴市秀洲区王店镇工业园区庆丰路88号", "吕志刚", "总经理"),
    EnterpriseRow("meixi", "嘉兴梅溪集成吊顶有限公司", "集成吊顶", "wd",
                  "嘉兴市秀洲区王店镇梅溪路128号", "沈丽华", "董事长"),
    EnterpriseRow("jinding", "浙江锦鼎家居科技有限公司", "集成家居", "wd",
                  "嘉兴市秀洲区王店镇建设街66号", "褚国庆", "副总经理"),
    EnterpriseRow("shumian", "嘉兴舒眠智能家居有限公司", "智能家居", "wd",
                  "嘉兴市秀洲区王店镇新南路1699号", "金晓东", "总经理"),
    EnterpriseRow("dingxin", "嘉兴鼎新环保科技有限公司", "环保设备", "wd",
                  "嘉兴市秀洲区王店镇王新路218号", "陈慧敏", "行政经理"),
    EnterpriseRow("heguang", "嘉兴禾光照明电器有限公司", "照明电器", "wd",
                  "嘉兴市秀洲区王店镇镇北路35号", "戴永强", "厂长"),
    EnterpriseRow("huachi", "浙江华驰汽车零部件有限公司", "汽车零部件", "ycg",
                  "嘉兴市秀洲区油车港镇银杏路999号", "许建平", "董事长"),
    EnterpriseRow("kaiyue", "嘉兴凯越机器人科技有限公司", "智能装备（工业机器人）", "ycg",
                  "嘉兴市秀洲区油车港镇麟溪路500号", "杨帆", "总经理"),
    EnterpriseRow("shunyun", "嘉兴顺运供应链管理有限公司", "物流", "ycg",
                  "嘉兴市秀洲区油车港镇智慧物流园区物流大道8号", "郑晓红", "运营经理"),
    EnterpriseRow("zhongtian", "嘉兴中田农业科技有限公司", "农产品加工", "ycg",
                  "嘉兴市秀洲区油车港镇马厍村南汇港路12号", "王建林", "总经理"),
    EnterpriseRow("jiecheng", "嘉兴杰诚精密机械有限公司", "智能装备（精密机械）", "xc",
                  "嘉兴市秀洲区新塍镇工业园区新杭路318号", "范志勇", "总经理"),
    EnterpriseRow("mingguang", "嘉兴明光涂料有限公司", "化工涂料", "xc",
                  "嘉兴市秀洲区新塍镇北环路88号", "胡丽娜", "安环部经理"),
    EnterpriseRow("cailan", "浙江彩澜新材料股份有限公司", "化工涂料", "xc",
                  "嘉兴市秀洲区新塍镇新西路1066号", "俞国华", "副总经理"),
    EnterpriseRow("xinsheng", "嘉兴新塍丝绸有限公司", "纺织（丝绸）", "xc",
                  "嘉兴市秀洲区新塍镇东环路19号", "施美娟", "总经理"),
    EnterpriseRow("qiangsheng", "嘉兴强盛包装材料有限公司", "包装材料", "xc",
                  "嘉兴市秀洲区新塍镇洛东路256号", "谢明", "厂长"),
    EnterpriseRow("tianyuan", "嘉兴田园乳业有限公司", "食品（乳制品）", "xc",
                  "嘉兴市秀洲区新塍镇潘家浜路9号", "马俊杰", "质量总监"),
    EnterpriseRow("lvyuan", "嘉兴绿源再生资源有限公司", "再生资源", "xc",
                  "嘉兴市秀洲区新塍镇永安路120号", "黄伟", "总经理"),
    EnterpriseRow("wanjia", "嘉兴万嘉食品有限公司", "食品", "th",
                  "嘉兴市秀洲区塘汇街道富强路366号", "刘芳", "总经理"),
    EnterpriseRow("hewei", "嘉兴禾味食品有限公司", "食品（粽子、糕点）", "th",
                  "嘉兴市秀洲区塘汇街道塘汇路150号", "赵志明", "董事长"),
    EnterpriseRow("jiahang", "嘉兴嘉航物流有限公司", "物流", "th",
                  "嘉兴市秀洲区塘汇街道洪波路600号", "韩磊", "运营总监"),
    EnterpriseRow("xinyuan", "嘉兴新元纸业有限公司", "造纸包装", "th",
                  "嘉兴市秀洲区塘汇街道新气象路45号", "唐雪琴", "办公室主任"),
    # Enterprises of the past year's face-to-face meetings (meetings.demo): 73 attended.
    EnterpriseRow("huake", "浙江华科新材料有限公司", "新材料（落户新项目）", "gz",
                  "嘉兴市秀洲区高照街道秀新路2099号", "林国栋", "总经理"),
    EnterpriseRow("jiangnan", "嘉兴江南织造有限公司", "纺织（喷水织造）", "wjj",
                  "嘉兴市秀洲区王江泾镇市泾路128号", "沈海明", "总经理"),
    EnterpriseRow("yongxing", "嘉兴永兴化纤织造有限公司", "化纤", "wjj",
                  "嘉兴市秀洲区王江泾镇龙泾路36号", "钱志华", "副总经理"),
    EnterpriseRow("jiahua", "嘉兴佳华丝绸织造有限公司", "纺织（丝绸）", "wjj",
                  "嘉兴市秀洲区王江泾镇新塘路77号", "吴美华", "厂长"),
    EnterpriseRow("haochen", "嘉兴昊晨纺织科技有限公司", "纺织（功能面料）", "wjj",
                  "嘉兴市秀洲区王江泾镇虹阳路501号", "褚晓峰", "总经理"),
    EnterpriseRow("ruiyang", "嘉兴瑞洋羊毛衫有限公司", "毛衫", "hh",
                  "嘉兴市秀洲区洪合镇洪福路318号", "陈秀芳", "总经理"),
    EnterpriseRow("meirong", "嘉兴美蓉针纺有限公司", "毛衫", "hh",
                  "嘉兴市秀洲区洪合镇新洪路108号", "姚建国", "董事长"),
    EnterpriseRow("shangyi", "嘉兴尚衣电子商务有限公司", "毛衫（电商）", "hh",
                  "嘉兴市秀洲区洪合镇毛衫城大道166号", "周晓雯", "运营总监"),
    EnterpriseRow("zhixiu", "嘉兴织秀服饰有限公司", "服装", "hh",
                  "嘉兴市秀洲区洪合镇泰石路188号", "蒋立华", "总经理"),
    EnterpriseRow("xinguang", "嘉兴新光伏能源有限公司", "光伏新能源", "gz",
                  "嘉兴市秀洲区高照街道八字路888号", "邹建华", "总经理"),
    EnterpriseRow("boyuan", "嘉兴博远医疗器械有限公司", "医疗器械", "gz",
                  "嘉兴市秀洲区高照街道康和路366号", "许文杰", "行政总监"),
    EnterpriseRow("jingrui", "浙江晶锐半导体材料有限公司", "半导体材料", "gz",
                  "嘉兴市秀洲区高照街道中山西路2888号", "方宏亮", "副总经理"),
    EnterpriseRow("lianchuang", "嘉兴联创智能科技有限公司", "智能装备", "gz",
                  "嘉兴市秀洲区高照街道秀园路1000号", "宋凯", "总经理"),
    EnterpriseRow("yunshu", "嘉兴云数信息技术有限公司", "软件和信息服务", "jb",
                  "嘉兴市秀洲区嘉北街道秀洲大道1188号", "叶思远", "总经理"),
    EnterpriseRow("qiming", "嘉兴启明光电科技有限公司", "光电", "jb",
                  "嘉兴市秀洲区嘉北街道昌盛路366号", "唐晓军", "董事长"),
    EnterpriseRow("tianneng", "嘉兴天能动力电池有限公司", "新能源储能", "jb",
                  "嘉兴市秀洲区嘉北街道洪兴路588号", "谢宏伟", "总经理"),
    EnterpriseRow("hengtong", "嘉兴恒通电缆有限公司", "电线电缆", "jb",
                  "嘉兴市秀洲区嘉北街道加创路299号", "孟庆华", "副总经理"),
    EnterpriseRow("jiayi", "嘉兴嘉屹集成吊顶有限公司", "集成吊顶", "wd",
                  "嘉兴市秀洲区王店镇梅溪路366号", "沈国平", "总经理"),
    EnterpriseRow("aoke", "嘉兴奥科家居用品有限公司", "集成家居", "wd",
                  "嘉兴市秀洲区王店镇建设街188号", "金丽萍", "财务经理"),
    EnterpriseRow("lihe", "嘉兴利和五金制品有限公司", "五金制品", "wd",
                  "嘉兴市秀洲区王店镇庆丰路266号", "钟伟", "厂长"),
    EnterpriseRow("baisheng", "嘉兴百盛汽车配件有限公司", "汽车零部件", "wd",
                  "嘉兴市秀洲区王店镇镇北路168号", "黄志刚", "总经理"),
    EnterpriseRow("xinmiao", "嘉兴新苗农业发展有限公司", "现代农业", "wd",
                  "嘉兴市秀洲区王店镇建林村12号", "顾春林", "总经理"),
    EnterpriseRow("dongfang", "嘉兴东方精工机械有限公司", "智能装备（精密机械）", "ycg",
                  "嘉兴市秀洲区油车港镇正阳东路688号", "刘志远", "总经理"),
    EnterpriseRow("jiahe", "嘉兴嘉禾冷链物流有限公司", "物流（冷链）", "ycg",
                  "嘉兴市秀洲区油车港镇智慧物流园区物流大道18号", "陶明", "运营经理"),
    EnterpriseRow("huanyu", "嘉兴寰宇航空零部件有限公司", "航空零部件", "ycg",
                  "嘉兴市秀洲区油车港镇麟溪路288号", "韦建新", "董事长"),
    EnterpriseRow("shuixiang", "嘉兴水乡文旅发展有限公司", "文化旅游", "ycg",
                  "嘉兴市秀洲区油车港镇马厍村北路8号", "盛佳", "总经理"),
    EnterpriseRow("xingda", "嘉兴兴达塑业有限公司", "塑料制品", "xc",
                  "嘉兴市秀洲区新塍镇新杭路518号", "柴永明", "总经理"),
    EnterpriseRow("zhengtai", "嘉兴正泰纺织机械有限公司", "纺织机械", "xc",
                  "嘉兴市秀洲区新塍镇北环路266号", "卢建平", "副总经理"),
    EnterpriseRow("sitong", "嘉兴思通服饰辅料有限公司", "服装辅料", "xc",
                  "嘉兴市秀洲区新塍镇洛东路88号", "邱美玲", "总经理"),
    EnterpriseRow("baiwei", "嘉兴百味调味品有限公司", "食品（调味品）", "xc",
                  "嘉兴市秀洲区新塍镇东环路66号", "汤国强", "质量经理"),
    EnterpriseRow("huamei", "嘉兴华美印务有限公司", "印刷包装", "th",
                  "嘉兴市秀洲区塘汇街道富强路588号", "袁晓燕", "总经理"),
    EnterpriseRow("fengyuan", "嘉兴丰源粮油有限公司", "粮油加工", "th",
                  "嘉兴市秀洲区塘汇街道塘汇路388号", "潘建勇", "董事长"),
    EnterpriseRow("kuaiyun", "嘉兴快运速递有限公司", "物流（快递）", "th",
                  "嘉兴市秀洲区塘汇街道洪波路218号", "贺磊", "站点经理"),
    EnterpriseRow("ouya", "嘉兴欧亚建材有限公司", "建材", "th",
                  "嘉兴市秀洲区塘汇街道新气象路168号", "龙海涛", "总经理"),
    EnterpriseRow("yuanfang", "嘉兴远方电子商务有限公司", "电子商务", "jb",
                  "嘉兴市秀洲区嘉北街道秀洲大道3366号", "段晓丽", "运营总监"),
    EnterpriseRow("lvjia", "嘉兴绿嘉环境工程有限公司", "环保工程", "wjj",
                  "嘉兴市秀洲区王江泾镇工业园区振兴路88号", "江海波", "总经理"),
)
# fmt: on

# China Mobile, Unicom and Telecom prefixes (all match validate_phone's 1[3-9]).
_MOBILE_PREFIXES = (
    "134", "135", "136", "137", "138", "139", "150", "151", "152", "157", "158", "159",
    "182", "183", "187", "188", "130", "131", "132", "155", "156", "185", "186", "133",
    "153", "180", "181", "189", "177", "199",
)  # fmt: skip


def _digits(key: str) -> int:
    """A stable number for `key` (unlike hash(), the same in every process)."""
    return int(hashlib.sha256(key.encode()).hexdigest(), 16)


def mobile_for(key: str) -> str:
    n = _digits(key)
    return _MOBILE_PREFIXES[n % len(_MOBILE_PREFIXES)] + f"{n // 97 % 10**8:08d}"


def office_phone_for(key: str) -> str:
    """A Jiaxing landline, 0573-8xxxxxxx."""
    return f"0573-8{_digits('office:' + key) % 10**7:07d}"


# GB 11714 organisation code (positions 9-17 of a credit code): 8 characters and a
# check character; the credit code's own check character follows (GB 32100-2015).
_ORG_CODE_WEIGHTS = (3, 7, 9, 10, 5, 8, 4, 2)
_CODE_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"  # no I, O, S, V, Z: valid in both codes


def _org_code_check_char(body8: str) -> str:
    total = sum(int(c, 36) * w for c, w in zip(body8, _ORG_CODE_WEIGHTS, strict=True))
    check = 11 - total % 11
    return {10: "X", 11: "0"}.get(check, str(check))


def credit_code_for(seq: int) -> str:
    """The credit code of the `seq`-th demo enterprise: 91 (company) + region + org code."""
    n = _digits(f"enterprise:{seq}")
    if seq % 3:  # registered since 2015: the organisation code starts "MA2"
        tail = ""
        for _ in range(5):
            n, r = divmod(n, len(_CODE_CHARS))
            tail += _CODE_CHARS[r]
        body8 = "MA2" + tail
    else:  # older company with a numeric organisation code
        body8 = f"7{n % 10**7:07d}"
    first17 = "91" + REGION_CODE + body8 + _org_code_check_char(body8)
    return first17 + credit_code_check_char(first17)


def official_email(username: str) -> str:
    return f"{username}@{OFFICIAL_EMAIL_DOMAIN}"


def enterprise_email(slug: str) -> str:
    return f"contact@{slug}.example.com"


def enterprise_username(seq: int) -> str:
    return f"ent{seq:02d}"
