"""Word lists the synthetic bank builds its names and labels from.

Everything here is plain data. Every character is encodable in GBK, because the
generator can write GBK files and a character outside GBK would make it fail;
``tests/unit/test_synthetic.py`` checks that.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final


@dataclass(frozen=True)
class City:
    """A city with a branch of the bank, its districts and its division-code prefix."""

    code: str  # two or three letters, used in branch ids: BR-BJ, BR-BJ-01
    name: str  # 北京
    division_prefix: str  # first four digits of the GB/T 2260 code, 1101 for Beijing
    districts: tuple[str, ...]  # one sub-branch per district, in this order


#: Cities in the order branches are opened: a scale with n branches uses the first n.
BRANCH_CITIES: Final = (
    City("BJ", "北京", "1101", ("朝阳", "海淀", "西城", "东城", "丰台", "通州", "顺义", "昌平")),
    City("SH", "上海", "3101", ("浦东", "徐汇", "静安", "黄浦", "长宁", "闵行", "杨浦", "虹口")),
    City("GZ", "广州", "4401", ("天河", "越秀", "海珠", "番禺", "白云", "黄埔", "荔湾", "花都")),
    City("SZ", "深圳", "4403", ("福田", "南山", "罗湖", "宝安", "龙岗", "龙华", "光明", "坪山")),
    City("CD", "成都", "5101", ("锦江", "武侯", "青羊", "金牛", "成华", "双流", "郫都", "温江")),
    City("HZ", "杭州", "3301", ("西湖", "上城", "拱墅", "滨江", "余杭", "萧山", "临平", "钱塘")),
    City("NJ", "南京", "3201", ("鼓楼", "玄武", "建邺", "江宁", "秦淮", "栖霞", "浦口", "雨花")),
    City("WH", "武汉", "4201", ("江汉", "武昌", "洪山", "汉阳", "江岸", "硚口", "青山", "东湖")),
    City("TJ", "天津", "1201", ("和平", "河西", "南开", "河东", "河北", "滨海", "西青", "东丽")),
    City(
        "CQ", "重庆", "5001", ("渝中", "江北", "南岸", "渝北", "沙坪坝", "九龙坡", "北碚", "巴南")
    ),
    City("XA", "西安", "6101", ("雁塔", "碑林", "未央", "新城", "莲湖", "灞桥", "长安", "高陵")),
    City("SU", "苏州", "3205", ("姑苏", "虎丘", "吴中", "相城", "吴江", "工业园", "昆山", "常熟")),
)

#: Cities without a branch: home of suppliers, buyers and owners, never of customers.
OTHER_REGIONS: Final = (
    ("宁波", "3302"),
    ("青岛", "3702"),
    ("厦门", "3502"),
    ("长沙", "4301"),
    ("郑州", "4101"),
    ("合肥", "3401"),
    ("东莞", "4419"),
    ("佛山", "4406"),
    ("无锡", "3202"),
    ("济南", "3701"),
    ("福州", "3501"),
    ("昆明", "5301"),
)

#: Industry key (the ``industry`` column) → words used in company names.
INDUSTRY_WORDS: Final[dict[str, tuple[str, ...]]] = {
    "technology": ("科技", "信息技术", "智能科技", "网络科技", "软件"),
    "trading": ("贸易", "商贸", "国际贸易", "进出口"),
    "logistics": ("物流", "供应链管理", "国际货运代理", "仓储"),
    "manufacturing": ("制造", "精密制造", "工业"),
    "chemicals": ("化工", "精细化工", "化学"),
    "electronics": ("电子", "电子科技", "光电", "微电子"),
    "construction": ("建设", "建筑工程", "建工", "路桥"),
    "energy": ("能源", "新能源", "电力", "燃气"),
    "pharma": ("医药", "生物医药", "药业", "医疗器械"),
    "food": ("食品", "农产品", "粮油", "乳业"),
    "textiles": ("纺织", "服饰", "织造"),
    "machinery": ("机械", "重工", "装备", "机电"),
    "auto_parts": ("汽车零部件", "汽车配件", "车用电子"),
    "materials": ("新材料", "材料科技", "金属材料"),
    "environmental": ("环保科技", "环境工程", "水务"),
    "agriculture": ("农业发展", "农牧", "种业"),
    "real_estate": ("置业", "房地产开发", "物业管理"),
}
#: Industries whose customers need trade services (FX, letters of credit).
TRADE_INDUSTRIES: Final = frozenset(
    {"trading", "electronics", "logistics", "chemicals", "auto_parts", "textiles"}
)
#: Industries whose customers borrow for plant and projects (fixed-asset loans, guarantees).
CAPEX_INDUSTRIES: Final = frozenset(
    {"manufacturing", "construction", "machinery", "energy", "materials", "pharma", "real_estate"}
)
#: Industries a supply chain can be built around.
CHAIN_INDUSTRIES: Final = (
    "manufacturing",
    "electronics",
    "auto_parts",
    "machinery",
    "food",
    "chemicals",
    "pharma",
    "energy",
)
#: Words for holding companies at the top of a group.
HOLDING_PATTERNS: Final = (
    "{core}控股集团有限公司",
    "{region}{core}投资控股有限公司",
    "{core}集团股份有限公司",
)
INVESTMENT_WORDS: Final = ("投资", "创业投资", "股权投资", "资本管理")

#: Legal suffixes and how often they occur.
LEGAL_SUFFIXES: Final = (("有限公司", 65), ("股份有限公司", 20), ("有限责任公司", 15))

#: Characters of a 字号 (trade name): auspicious, common, and all in GBK.
TRADE_NAME_CHARS: Final = (
    "华信达盛鑫泰恒兴宏远嘉瑞德安丰源隆昌荣祥旭博创诚和联通瀚峰海天金银新富君正中永利万佳汇"
    "美明光辉耀腾飞龙凯越卓鼎尚雅舜禹宁康健福顺祺祯晟昊昕晨星辰宇宙广东南北西东方圆丹青云"
    "松柏林森桦梓楠竹兰菊梅禾谷穗粮田川江河湖泽润涛澜波沣鸿鹏翔鹰骏驰航远拓展志诚智慧睿哲"
    "启维纬经纶锦绣华章盈裕丰登"
)
LATIN_LETTERS: Final = "ABCDEFGHJKLMNPRSTWXYZ"

#: Foreign buyers are named in English; these are the building blocks.
FOREIGN_FIRST: Final = (
    "Pacific",
    "Golden",
    "Orient",
    "Silver",
    "Northern",
    "Summit",
    "Crown",
    "Evergreen",
    "Apex",
    "Lotus",
    "Jade",
    "Harbour",
    "Meridian",
    "Atlas",
    "Sterling",
    "Horizon",
)
FOREIGN_SECOND: Final = (
    "Trading",
    "Logistics",
    "Industries",
    "Electronics",
    "Chemicals",
    "Foods",
    "Components",
    "Resources",
)
FOREIGN_SUFFIXES: Final = ("Co., Ltd.", "Limited", "Inc.", "Corporation", "LLC")
FOREIGN_REGIONS: Final = ("香港", "新加坡", "美国", "德国", "日本")

SURNAMES: Final = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶"
    "程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾"
)
GIVEN_NAME_CHARS: Final = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建国文辉力春梅玲红云飞鹏宇浩然子轩欣怡"
    "思雨佳琪晓东海波志勇永健立新光荣庆林斌俊峰嘉敏丹阳雪梅婷凯旭东晨昊天一鸣"
)

#: Product catalogue: (code, name, category).
PRODUCTS: Final = (
    ("DEP-CUR", "单位活期存款", "deposit"),
    ("DEP-TIME", "单位定期存款", "deposit"),
    ("DEP-NOTICE", "单位通知存款", "deposit"),
    ("LN-WC", "流动资金贷款", "loan"),
    ("LN-FA", "固定资产贷款", "loan"),
    ("LN-SYN", "银团贷款", "loan"),
    ("TF-LC", "国际信用证", "trade_finance"),
    ("TF-BA", "银行承兑汇票", "trade_finance"),
    ("TF-FACT", "供应链保理", "trade_finance"),
    ("GT-LG", "非融资性保函", "trade_finance"),
    ("FX-SPOT", "即期结售汇", "fx"),
    ("FX-FWD", "远期结售汇", "fx"),
    ("CM-POOL", "现金管理资金池", "cash_management"),
    ("CM-PAYROLL", "代发工资", "cash_management"),
    ("BD-UW", "债券承销", "bonds"),
    ("IB-EBANK", "企业网上银行", "channel"),
)
#: Products that are credit: each one a customer holds is backed by a facility.
CREDIT_PRODUCTS: Final = frozenset(
    {"LN-WC", "LN-FA", "LN-SYN", "TF-LC", "TF-BA", "TF-FACT", "GT-LG"}
)
#: Products without a balance (services); their holdings carry balance 0.00.
SERVICE_PRODUCTS: Final = frozenset({"FX-SPOT", "FX-FWD", "CM-PAYROLL", "BD-UW", "IB-EBANK"})

SEGMENTS: Final = ("strategic", "core", "growth", "basic")  # highest first
CHANNELS: Final = (("网上银行", 45), ("银企直连", 30), ("柜面", 10), ("手机银行", 10), ("票据", 5))
#: Payment purposes, by the kind of relationship behind the payment.
PURPOSES_REGULAR: Final = ("货款", "服务费", "往来款", "租金", "运费", "咨询费", "设备款", "材料款")
PURPOSE_SUPPLY: Final = "货款"
PURPOSE_INTRAGROUP: Final = "内部往来款"
PURPOSES_ONE_OFF: Final = ("服务费", "会务费", "咨询费", "维修费", "办公用品", "差旅费", "广告费")
SUPPLY_CATEGORIES: Final[dict[str, tuple[str, ...]]] = {
    "manufacturing": ("原材料", "零部件", "设备"),
    "electronics": ("电子元器件", "芯片", "显示面板"),
    "auto_parts": ("零部件", "钢材", "橡胶制品"),
    "machinery": ("钢材", "液压件", "电机"),
    "food": ("农产品", "包装材料", "冷链物流"),
    "chemicals": ("基础化工原料", "催化剂", "包装材料"),
    "pharma": ("原料药", "医药中间体", "包装材料"),
    "energy": ("设备", "煤炭", "工程服务"),
}
DOWNSTREAM_CATEGORY: Final = "成品"
CONTROL_BASES: Final = ("agreement", "vie", "regulator_filing")
