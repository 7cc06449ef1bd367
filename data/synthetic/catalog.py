"""Static knowledge the synthetic district generator draws from (Fengxian, Shanghai).

Towns and streets with approximate WGS84 centroids, GB/T 4754-2017 industry classes with
their share of the register and inherent risk, the departments and their inspection items,
and the rates that tie credit events, records and inspections to an enterprise's hidden
risk class. Everything here is plain data: the generator (``synthetic.py``) does the drawing.

The numbers are plausible, not official: shares follow the shape of a suburban Shanghai
district's register (many small service and trade businesses, a strong manufacturing base
with the 东方美谷 cosmetics cluster), rates follow the shape of public enforcement statistics.
"""

from dataclasses import dataclass

from jointinspect.models.enums import CreditEventKind, ItemMode

#: The hidden risk classes, best first, and the share of the register in each. A sensible
#: grader that sees the generated events should land near these shares.
LATENT_CLASSES = ("A", "B", "C", "D")
LATENT_SHARES = (0.65, 0.25, 0.08, 0.02)


@dataclass(frozen=True, slots=True)
class Town:
    name: str
    lat: float
    lon: float
    #: Standard deviation of enterprise positions around the centroid, in km.
    spread_km: float
    #: Share of the district's enterprises registered here (normalised by the generator).
    weight: float
    roads: tuple[str, ...]


TOWNS: tuple[Town, ...] = (
    Town(
        "南桥镇",
        30.918,
        121.470,
        2.6,
        0.20,
        ("环城东路", "解放东路", "南桥路", "百齐路", "江海路", "沪杭公路"),
    ),
    Town(
        "奉城镇",
        30.912,
        121.642,
        3.2,
        0.10,
        ("奉城大街", "城中路", "奉新公路", "新奉公路", "浦卫公路"),
    ),
    Town("庄行镇", 30.898, 121.384, 2.6, 0.05, ("庄良路", "浦卫公路", "南亭公路", "光明路")),
    Town(
        "金汇镇", 30.975, 121.540, 2.9, 0.09, ("金汇路", "大叶公路", "金斗路", "齐贤路", "浦星公路")
    ),
    Town("四团镇", 30.910, 121.730, 3.0, 0.06, ("四团大街", "平海公路", "团青公路", "川南奉公路")),
    Town(
        "青村镇",
        30.930,
        121.580,
        2.8,
        0.09,
        ("青村路", "钱桥路", "光明中路", "奉柘公路", "南奉公路"),
    ),
    Town(
        "柘林镇", 30.858, 121.506, 2.8, 0.07, ("柘林路", "胡桥路", "新寺路", "沪杭公路", "金钱公路")
    ),
    Town("海湾镇", 30.820, 121.590, 3.2, 0.05, ("海湾路", "五四公路", "星火路", "海兴路")),
    Town("西渡街道", 30.975, 121.440, 1.8, 0.07, ("西渡路", "沪闵路", "浦卫公路", "西闸公路")),
    Town("奉浦街道", 30.925, 121.505, 1.5, 0.08, ("奉浦大道", "环城北路", "肖塘路", "航南公路")),
    Town("金海街道", 30.945, 121.500, 1.5, 0.08, ("金海公路", "望园路", "八字桥路", "运河北路")),
    Town("海湾旅游区", 30.838, 121.480, 1.7, 0.06, ("海泉街", "海思路", "随塘河路", "海湾大道")),
)

#: Mean Earth radius used to turn kilometres into degrees.
EARTH_KM_PER_DEGREE = 111.32


@dataclass(frozen=True, slots=True)
class Industry:
    code: str  # GB/T 4754-2017 class
    name: str
    #: Share of the register (normalised by the generator).
    weight: float
    #: Inherent risk 0–1 of the trade (fire load, hygiene, product safety, hazards).
    risk: float
    #: Name endings of a company in this trade.
    company_suffixes: tuple[str, ...]
    #: Name endings of an individual business (个体工商户); empty: always a company.
    shop_suffixes: tuple[str, ...] = ()
    #: Share of individual businesses among the trade's entities.
    individual_share: float = 0.0


INDUSTRIES: tuple[Industry, ...] = (
    # Pilot trades of the cross-department "一业一查" reform.
    Industry(
        "9011",
        "歌舞厅娱乐活动",
        0.25,
        0.85,
        ("娱乐有限公司", "文化娱乐有限公司"),
        ("KTV", "歌舞厅"),
        0.2,
    ),
    Industry(
        "8051", "洗浴服务", 0.25, 0.8, ("洗浴有限公司", "休闲健身有限公司"), ("浴室", "汗蒸馆"), 0.3
    ),
    Industry(
        "1411", "糕点、面包制造", 0.5, 0.6, ("食品有限公司", "烘焙食品有限公司"), ("糕点坊",), 0.2
    ),
    Industry(
        "5222",
        "糕点、面包零售",
        1.2,
        0.5,
        ("食品有限公司", "烘焙有限公司"),
        ("面包房", "蛋糕店"),
        0.6,
    ),
    Industry(
        "5239",
        "其他日用品零售（母婴用品）",
        0.9,
        0.55,
        ("母婴用品有限公司", "婴童用品有限公司"),
        ("母婴店",),
        0.5,
    ),
    Industry(
        "2682", "化妆品制造", 0.9, 0.6, ("化妆品有限公司", "生物科技有限公司", "日用化学品有限公司")
    ),
    Industry("2684", "香料、香精制造", 0.15, 0.65, ("香料有限公司", "香精香料有限公司")),
    # Catering and accommodation.
    Industry(
        "6210",
        "正餐服务",
        4.0,
        0.6,
        ("餐饮有限公司", "餐饮管理有限公司"),
        ("饭店", "酒家", "菜馆"),
        0.55,
    ),
    Industry(
        "6220", "快餐服务", 3.0, 0.55, ("餐饮有限公司", "快餐有限公司"), ("快餐店", "面馆"), 0.6
    ),
    Industry(
        "6231", "茶馆服务", 0.5, 0.3, ("茶业有限公司", "茶文化有限公司"), ("茶楼", "茶室"), 0.5
    ),
    Industry("6232", "咖啡馆服务", 0.5, 0.3, ("咖啡有限公司",), ("咖啡馆",), 0.5),
    Industry("6241", "餐饮配送服务", 0.3, 0.65, ("餐饮配送有限公司", "团膳管理有限公司")),
    Industry("6291", "小吃服务", 2.0, 0.5, ("餐饮有限公司",), ("小吃店", "点心店", "包子铺"), 0.8),
    Industry("6110", "旅游饭店", 0.1, 0.5, ("大酒店有限公司", "酒店管理有限公司")),
    Industry("6121", "经济型连锁酒店", 0.3, 0.5, ("酒店管理有限公司", "酒店有限公司")),
    Industry(
        "6129", "其他一般旅馆", 0.4, 0.55, ("宾馆有限公司", "旅馆有限公司"), ("旅馆", "招待所"), 0.5
    ),
    Industry(
        "6130", "民宿服务", 0.3, 0.45, ("民宿有限公司", "乡村旅游发展有限公司"), ("民宿",), 0.5
    ),
    # Retail and wholesale.
    Industry("5211", "百货零售", 1.0, 0.35, ("百货有限公司", "商贸有限公司"), ("百货商店",), 0.4),
    Industry(
        "5212", "超级市场零售", 1.2, 0.45, ("超市有限公司", "超市连锁有限公司"), ("超市",), 0.5
    ),
    Industry("5213", "便利店零售", 2.0, 0.4, ("便利店有限公司", "商贸有限公司"), ("便利店",), 0.6),
    Industry(
        "5223",
        "果品、蔬菜零售",
        2.0,
        0.25,
        ("果蔬有限公司", "农产品有限公司"),
        ("水果店", "蔬菜店"),
        0.8,
    ),
    Industry(
        "5224",
        "肉、禽、蛋、奶及水产品零售",
        1.5,
        0.4,
        ("食品有限公司", "水产有限公司"),
        ("肉铺", "水产店"),
        0.8,
    ),
    Industry("5232", "服装零售", 2.0, 0.1, ("服饰有限公司", "服装有限公司"), ("服装店",), 0.6),
    Industry(
        "5234",
        "化妆品及卫生用品零售",
        1.0,
        0.35,
        ("化妆品有限公司", "日用品有限公司"),
        ("化妆品店",),
        0.4,
    ),
    Industry("5251", "西药零售", 0.6, 0.5, ("大药房有限公司", "医药有限公司")),
    Industry("5292", "互联网零售", 3.0, 0.15, ("电子商务有限公司", "网络科技有限公司")),
    Industry("5121", "米、面制品及食用油批发", 1.0, 0.4, ("粮油有限公司", "粮油贸易有限公司")),
    Industry("5134", "化妆品及卫生用品批发", 1.2, 0.3, ("日用品有限公司", "化妆品贸易有限公司")),
    Industry("5179", "其他机械设备及电子产品批发", 3.0, 0.1, ("机电设备有限公司", "贸易有限公司")),
    # Manufacturing (the district's industrial parks).
    Industry("1431", "米、面制品制造", 0.3, 0.55, ("食品有限公司",)),
    Industry("1810", "机织服装制造", 0.4, 0.3, ("服饰有限公司", "制衣有限公司")),
    Industry("2110", "木质家具制造", 0.3, 0.5, ("家具有限公司", "木业有限公司")),
    Industry("2231", "纸和纸板容器制造", 0.3, 0.4, ("包装材料有限公司", "纸制品有限公司")),
    Industry("2641", "涂料制造", 0.25, 0.75, ("涂料有限公司", "化工有限公司")),
    Industry("2710", "化学药品原料药制造", 0.1, 0.7, ("医药科技有限公司", "药业有限公司")),
    Industry("2720", "化学药品制剂制造", 0.1, 0.65, ("药业有限公司", "制药有限公司")),
    Industry("2927", "日用塑料制品制造", 0.8, 0.4, ("塑料制品有限公司", "塑胶有限公司")),
    Industry("3311", "金属结构制造", 0.8, 0.45, ("钢结构有限公司", "金属制品有限公司")),
    Industry("3360", "金属表面处理及热处理加工", 0.3, 0.75, ("表面处理有限公司", "热处理有限公司")),
    Industry("3484", "机械零部件加工", 1.2, 0.35, ("机械有限公司", "精密机械有限公司")),
    Industry("3670", "汽车零部件及配件制造", 0.8, 0.4, ("汽车配件有限公司", "汽车零部件有限公司")),
    Industry("3831", "电线、电缆制造", 0.3, 0.45, ("电缆有限公司", "电线电缆有限公司")),
    # Services and the rest.
    Industry("5431", "普通货物道路运输", 2.0, 0.3, ("物流有限公司", "运输有限公司")),
    Industry("5435", "危险货物道路运输", 0.1, 0.85, ("危险品运输有限公司", "化工物流有限公司")),
    Industry("6513", "应用软件开发", 2.0, 0.05, ("信息科技有限公司", "软件有限公司")),
    Industry("7020", "物业管理", 1.0, 0.2, ("物业管理有限公司",)),
    Industry(
        "7299", "其他未列明商务服务业", 6.0, 0.05, ("企业管理咨询有限公司", "商务咨询有限公司")
    ),
    Industry("7320", "工程和技术研究和试验发展", 1.5, 0.05, ("科技有限公司", "工程技术有限公司")),
    Industry("7519", "其他技术推广服务", 4.0, 0.05, ("科技发展有限公司", "科技有限公司")),
    Industry("8010", "家庭服务", 0.5, 0.2, ("家政服务有限公司",), ("家政服务部",), 0.4),
    Industry(
        "8040",
        "理发及美容服务",
        1.5,
        0.4,
        ("美容美发有限公司", "美容有限公司"),
        ("理发店", "美容院"),
        0.7,
    ),
    Industry("8052", "足浴服务", 0.6, 0.6, ("足浴有限公司", "休闲服务有限公司"), ("足浴店",), 0.6),
    Industry(
        "8053", "养生保健服务", 0.4, 0.5, ("健康管理有限公司", "养生服务有限公司"), ("养生馆",), 0.5
    ),
    Industry(
        "8111",
        "汽车修理与维护",
        1.0,
        0.45,
        ("汽车维修有限公司", "汽车服务有限公司"),
        ("汽修店",),
        0.5,
    ),
    Industry(
        "8930", "健身休闲活动", 0.4, 0.4, ("健身有限公司", "体育发展有限公司"), ("健身房",), 0.3
    ),
    Industry(
        "9013", "网吧活动", 0.15, 0.6, ("网络科技有限公司", "网络会所有限公司"), ("网吧",), 0.3
    ),
    Industry(
        "9019",
        "其他室内娱乐活动",
        0.2,
        0.5,
        ("文化传播有限公司", "娱乐有限公司"),
        ("密室", "桌游馆"),
        0.3,
    ),
    Industry("0141", "蔬菜种植", 1.0, 0.1, ("农业发展有限公司", "蔬果种植有限公司")),
)

#: Characters of 字号 (trade names), combined two or three at a time.
TRADE_NAME_CHARACTERS = (
    "鑫悦华盛泰瑞丰源嘉和康宏达兴隆昌茂福安祥润博远恒信诚德佳美乐聚汇通凯旭晟宸"
    "锦绣海湾贤城浦金青庆新星辰光明亿天宇辉煌荣耀启航晨阳东方谷鼎豪森林雅轩韵秀"
    "云帆景颐晶璟睿哲卓越蓝优尚品臻"
)

#: Surnames and given-name characters of synthetic officers.
SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余"
    "杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦傅方邹孟熊秦邱江尹薛闫段雷侯龙史"
    "陶黎贺顾毛郝龚邵万钱严覃武戴莫孔汤"
)
GIVEN_NAME_CHARACTERS = (
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华建文辉玲红燕鹏飞斌波宇浩凯峰晨婷"
    "雪琳俊佳欣怡蕾倩颖琦"
)


@dataclass(frozen=True, slots=True)
class Department:
    code: str
    name: str
    #: Officers per 1,000 enterprises below which the district never goes (besides the
    #: workload rule): real departments keep a standing force for complaints.
    officers_floor_per_1000: float


DEPARTMENTS: tuple[Department, ...] = (
    Department("SCJ", "奉贤区市场监督管理局", 0.8),
    Department("XF", "奉贤区消防救援支队", 0.3),
    Department("WJ", "奉贤区卫生健康委员会（卫生监督所）", 0.2),
    Department("WL", "奉贤区文化和旅游局（文化市场行政执法大队）", 0.1),
    Department("YJ", "奉贤区应急管理局", 0.2),
    Department("HB", "奉贤区生态环境局", 0.2),
    Department("RS", "奉贤区人力资源和社会保障局（劳动保障监察大队）", 0.15),
    Department("CG", "奉贤区城市管理行政执法局", 0.2),
)

#: Industry prefixes the items below name, kept together so that they stay consistent.
FOOD_TRADE = "1411;1431;5121;5212;5213;5222;5224;62"
PUBLIC_PLACES = "8051;8052;8040;61;9011;9013"
CROWDED_PLACES = "9011;9013;9019;8051;8052;8930;61;5211;5212;62"
MANUFACTURING = "14;18;21;22;26;27;29;33;34;36;38"
POLLUTING = "1411;1431;2110;2641;2682;2684;2710;2720;2927;3360;3670"
HAZARDOUS = "2641;2682;2684;2710;2720;3360;5435"
SHOPS = "52;62;8040;8052;8053;8111"


@dataclass(frozen=True, slots=True)
class ItemSpec:
    code: str
    department: str
    name: str
    industries: str
    minutes: int
    mode: ItemMode
    no_disturb: bool = False


ON, OFF, EITHER = ItemMode.ONSITE, ItemMode.OFFSITE, ItemMode.EITHER

ITEMS: tuple[ItemSpec, ...] = (
    ItemSpec("SCJ-FOOD-01", "SCJ", "食品经营者监督检查", "5121;5212;5213;5222;5224;62", 60, ON),
    ItemSpec("SCJ-FOOD-02", "SCJ", "食品生产企业监督检查", "1411;1431", 120, ON),
    ItemSpec("SCJ-FOOD-03", "SCJ", "食品安全追溯及进货查验记录核查", FOOD_TRADE, 30, EITHER),
    ItemSpec("SCJ-COSM-01", "SCJ", "化妆品生产质量管理规范检查", "2682;2684", 150, ON),
    ItemSpec("SCJ-COSM-02", "SCJ", "化妆品经营者进货查验检查", "5134;5234;5239", 40, EITHER),
    ItemSpec("SCJ-INFANT-01", "SCJ", "婴幼儿用品及配方乳粉经营检查", "5212;5239", 45, ON),
    ItemSpec("SCJ-DRUG-01", "SCJ", "药品零售企业监督检查", "5251", 60, ON),
    ItemSpec(
        "SCJ-SPEC-01",
        "SCJ",
        "特种设备使用单位监督检查",
        "14;26;27;33;34;36;38;5435;61;8051",
        60,
        ON,
        True,
    ),
    ItemSpec("SCJ-PRICE-01", "SCJ", "明码标价及价格行为检查", SHOPS + ";61;9011;8051", 20, EITHER),
    ItemSpec("SCJ-AD-01", "SCJ", "互联网广告发布合规监测", "5292;2682;5239;5234", 15, OFF),
    ItemSpec("SCJ-ANNUAL-01", "SCJ", "企业年度报告公示信息检查", "*", 15, OFF),
    ItemSpec("XF-CROWD-01", "XF", "人员密集场所消防安全检查", CROWDED_PLACES, 60, ON),
    ItemSpec("XF-PLANT-01", "XF", "厂房仓库消防安全检查", MANUFACTURING, 90, ON),
    ItemSpec(
        "XF-FAC-01",
        "XF",
        "消防设施维护保养记录核查",
        CROWDED_PLACES + ";" + MANUFACTURING,
        20,
        EITHER,
        True,
    ),
    ItemSpec("XF-SELF-01", "XF", "消防安全自我评估报告核查", "9011;8051;61", 15, OFF),
    ItemSpec("WJ-PUB-01", "WJ", "公共场所卫生监督检查", PUBLIC_PLACES, 45, ON),
    ItemSpec("WJ-PUB-02", "WJ", "公共场所从业人员健康证明核查", PUBLIC_PLACES, 15, EITHER),
    ItemSpec("WJ-WATER-01", "WJ", "沐浴及游泳场所水质在线监测核查", "8051;8930", 15, OFF),
    ItemSpec(
        "WJ-OCC-01",
        "WJ",
        "职业病危害因素检测情况检查",
        "2641;2682;2710;2720;3311;3360;3484",
        60,
        EITHER,
        True,
    ),
    ItemSpec("WL-ENT-01", "WL", "娱乐场所经营活动检查", "9011;9019", 60, ON),
    ItemSpec("WL-ENT-02", "WL", "娱乐场所曲库及内容审核记录核查", "9011", 20, OFF),
    ItemSpec("WL-NET-01", "WL", "网吧接纳未成年人检查", "9013", 40, ON),
    ItemSpec("WL-STAY-01", "WL", "民宿及旅游住宿服务质量检查", "6110;6130", 40, EITHER),
    ItemSpec("YJ-HAZ-01", "YJ", "危险化学品使用及储存安全检查", HAZARDOUS, 90, ON),
    ItemSpec("YJ-WORK-01", "YJ", "工贸企业安全生产检查", MANUFACTURING, 90, ON),
    ItemSpec("YJ-DUST-01", "YJ", "粉尘涉爆企业安全检查", "1411;1431;2110;3311", 60, ON),
    ItemSpec("YJ-TRAIN-01", "YJ", "安全生产教育培训记录核查", MANUFACTURING + ";5435", 15, OFF),
    ItemSpec("HB-DIS-01", "HB", "排污许可证执行情况检查", POLLUTING, 90, ON, True),
    ItemSpec("HB-ONLINE-01", "HB", "污染源在线监测数据核查", POLLUTING, 15, OFF),
    ItemSpec("HB-FUME-01", "HB", "餐饮油烟净化设施检查", "62;1411", 30, EITHER),
    ItemSpec(
        "HB-WASTE-01", "HB", "危险废物规范化管理检查", "2641;2682;2710;2720;3360;8111", 60, ON
    ),
    ItemSpec("RS-LABOR-01", "RS", "劳动用工及工资支付情况检查", "*", 45, EITHER),
    ItemSpec("RS-CONTRACT-01", "RS", "劳动保障书面材料审查", "*", 15, OFF),
    ItemSpec("RS-MINOR-01", "RS", "禁止使用童工及未成年工保护检查", "9011;9013;8051;8052", 40, ON),
    ItemSpec("CG-SHOP-01", "CG", "门责区域及店招店牌检查", SHOPS, 20, ON, True),
    ItemSpec("CG-WASTE-01", "CG", "生活垃圾分类投放检查", "62;61;5212", 20, EITHER),
)


@dataclass(frozen=True, slots=True)
class SamplingSpec:
    """A 双随机 rule: ratios per grade A–D, as SAMR bands them (A ≤5%, B 5–20%, C 21–60%,
    D 61–100%), set low inside the bands for items that reach many enterprises."""

    item: str
    ratios: tuple[str, str, str, str]


SAMPLING: tuple[SamplingSpec, ...] = (
    SamplingSpec("SCJ-FOOD-01", ("0.03", "0.08", "0.3", "0.7")),
    SamplingSpec("SCJ-FOOD-02", ("0.05", "0.15", "0.4", "0.8")),
    SamplingSpec("SCJ-FOOD-03", ("0.02", "0.06", "0.25", "0.65")),
    SamplingSpec("SCJ-COSM-01", ("0.05", "0.15", "0.4", "0.8")),
    SamplingSpec("SCJ-COSM-02", ("0.02", "0.06", "0.25", "0.65")),
    SamplingSpec("SCJ-INFANT-01", ("0.05", "0.15", "0.4", "0.8")),
    SamplingSpec("SCJ-DRUG-01", ("0.03", "0.1", "0.3", "0.7")),
    SamplingSpec("SCJ-PRICE-01", ("0.01", "0.05", "0.21", "0.61")),
    SamplingSpec("SCJ-ANNUAL-01", ("0.01", "0.05", "0.21", "0.61")),
    SamplingSpec("XF-CROWD-01", ("0.03", "0.1", "0.3", "0.7")),
    SamplingSpec("XF-PLANT-01", ("0.02", "0.06", "0.25", "0.65")),
    SamplingSpec("XF-FAC-01", ("0.02", "0.06", "0.25", "0.65")),
    SamplingSpec("WJ-PUB-01", ("0.04", "0.12", "0.35", "0.75")),
    SamplingSpec("WJ-PUB-02", ("0.03", "0.08", "0.3", "0.7")),
    SamplingSpec("WL-ENT-01", ("0.05", "0.2", "0.5", "0.9")),
    SamplingSpec("WL-NET-01", ("0.05", "0.2", "0.5", "0.9")),
    SamplingSpec("YJ-HAZ-01", ("0.05", "0.15", "0.4", "0.8")),
    SamplingSpec("YJ-WORK-01", ("0.02", "0.06", "0.25", "0.65")),
    SamplingSpec("HB-ONLINE-01", ("0.03", "0.1", "0.3", "0.7")),
    SamplingSpec("RS-LABOR-01", ("0.01", "0.05", "0.21", "0.61")),
    SamplingSpec("CG-WASTE-01", ("0.01", "0.05", "0.21", "0.61")),
)


@dataclass(frozen=True, slots=True)
class EventRates:
    """A credit-event kind: yearly rate per latent class A–D and severity odds per class."""

    kind: CreditEventKind
    per_year: tuple[float, float, float, float]
    #: P(severity 1, 2, 3) for each class; one triple per class.
    severity: tuple[tuple[float, float, float], ...]
    #: Who publishes it: ``"industry"`` = a department whose items cover the trade.
    department: str
    detail: str


_MINOR = ((1.0, 0.0, 0.0),) * 4
_SERIOUS = ((0.0, 1.0, 0.0),) * 4
_GRAVE = ((0.0, 0.0, 1.0),) * 4

CREDIT_EVENTS: tuple[EventRates, ...] = (
    # Minor penalties (简易程序 warnings and small fines) are common among middling
    # enterprises: a B enterprise is fined about once in three years, mostly lightly.
    EventRates(
        CreditEventKind.PENALTY,
        (0.02, 0.3, 0.7, 1.0),
        ((0.9, 0.1, 0.0), (0.85, 0.14, 0.01), (0.55, 0.37, 0.08), (0.35, 0.45, 0.2)),
        "industry",
        "行政处罚决定书",
    ),
    # A late or missing annual report (the usual cause) happens to good enterprises too.
    EventRates(
        CreditEventKind.ABNORMAL_LIST,
        (0.05, 0.4, 0.5, 0.6),
        ((1.0, 0.0, 0.0),) * 2 + ((0.8, 0.2, 0.0), (0.6, 0.4, 0.0)),
        "SCJ",
        "未按规定报送年度报告，列入经营异常名录",
    ),
    EventRates(
        CreditEventKind.SERIOUS_DISHONEST,
        (0.0, 0.0005, 0.008, 0.1),
        _GRAVE,
        "SCJ",
        "列入严重违法失信名单",
    ),
    EventRates(
        CreditEventKind.COURT_DISHONEST,
        (0.0005, 0.006, 0.06, 0.2),
        _SERIOUS,
        "",
        "列入失信被执行人名单",
    ),
    EventRates(
        CreditEventKind.TAX_GRADE_A, (0.3, 0.08, 0.02, 0.0), _MINOR, "", "纳税信用等级评定为A级"
    ),
    EventRates(
        CreditEventKind.TAX_GRADE_D,
        (0.002, 0.04, 0.2, 0.35),
        _SERIOUS,
        "",
        "纳税信用等级评定为D级",
    ),
    EventRates(
        CreditEventKind.SOCIAL_INSURANCE_ARREARS,
        (0.02, 0.25, 0.4, 0.45),
        ((1.0, 0.0, 0.0), (0.9, 0.1, 0.0), (0.7, 0.3, 0.0), (0.5, 0.4, 0.1)),
        "RS",
        "欠缴社会保险费",
    ),
    EventRates(
        CreditEventKind.COMMITMENT_BREACH,
        (0.002, 0.04, 0.1, 0.15),
        ((1.0, 0.0, 0.0), (0.9, 0.1, 0.0), (0.7, 0.3, 0.0), (0.5, 0.4, 0.1)),
        "industry",
        "告知承诺事项核查不符",
    ),
    EventRates(
        CreditEventKind.COMMENDATION, (0.03, 0.01, 0.002, 0.0), _MINOR, "", "获评诚信经营示范单位"
    ),
)

#: Kinds published once a year (the tax grade), on this month and day, rather than any day.
ANNUAL_KINDS = {CreditEventKind.TAX_GRADE_A: (4, 20), CreditEventKind.TAX_GRADE_D: (4, 20)}


@dataclass(frozen=True, slots=True)
class IndicatorSpec:
    """A department's industry credit indicator (行业信用评价) for the trades it covers."""

    department: str
    indicator: str
    industries: str
    #: Share of covered enterprises that hold an evaluation.
    coverage: float


INDICATORS: tuple[IndicatorSpec, ...] = (
    IndicatorSpec("SCJ", "食品安全信用等级", FOOD_TRADE, 0.8),
    IndicatorSpec("SCJ", "化妆品质量安全信用评价", "2682;2684;5134;5234", 0.8),
    IndicatorSpec("WJ", "公共场所卫生信誉度", PUBLIC_PLACES, 0.8),
    IndicatorSpec("XF", "消防安全评估得分", CROWDED_PLACES, 0.5),
    IndicatorSpec("HB", "企业环境信用评价", POLLUTING, 0.7),
    IndicatorSpec("YJ", "安全生产标准化评分", MANUFACTURING + ";5435", 0.5),
    IndicatorSpec("RS", "劳动保障守法诚信等级", "*", 0.25),
    IndicatorSpec("WL", "文化市场信用评价", "9011;9013;9019", 0.9),
)

#: Mean and spread of an indicator value (0–100, higher is better) per latent class; weak
#: ratings are common among middling (B) enterprises, not only among the bad ones.
INDICATOR_MEAN = (86.0, 64.0, 50.0, 40.0)
INDICATOR_SD = 7.0

#: Violation propensity per inspection by latent class (before trade and personal noise).
PROPENSITY_BASE = (0.04, 0.12, 0.3, 0.55)
#: Lognormal sigma of the personal factor on the propensity.
PROPENSITY_SIGMA = 0.25
PROPENSITY_BOUNDS = (0.005, 0.95)
#: A result is ``minor`` (轻微不罚) with this share of the violation propensity, plus a floor.
MINOR_SHARE = 0.5
MINOR_FLOOR = 0.02

#: Inspections per year of an enterprise: base plus a share of the trade's risk, times a
#: factor by latent class (riskier enterprises draw more complaints and targeted checks).
INSPECTIONS_PER_YEAR_BASE = 0.08
INSPECTIONS_PER_YEAR_RISK = 0.6
INSPECTIONS_CLASS_FACTOR = (0.9, 1.1, 1.6, 2.2)

#: Details recorded with a history row by result.
HISTORY_DETAIL = {
    "violation": ("责令改正并立案查处", "现场检查发现违法行为，已立案", "发现隐患，责令限期整改"),
    "minor": ("首次轻微违法，依法不予处罚，责令改正", "轻微问题当场整改"),
}


@dataclass(frozen=True, slots=True)
class DemandRule:
    """Who gets a department demand (or a trigger) of one source for one item.

    ``per_class`` is the chance, per latent class A–D, that an active enterprise to whose
    trade the item applies gets one this quarter. ``window`` is how its dates are drawn:
    ``quarter`` (blank: the whole quarter), ``early`` (the first two months), ``month``
    (one calendar month) or ``urgent`` (three to five weeks from a day early in the quarter).
    """

    source: str
    item: str
    per_class: tuple[float, float, float, float]
    priority: tuple[int, int]
    window: str = "quarter"
    #: Share of demands marked onsite_required (ignored for items of mode offsite).
    onsite_required: float = 0.0
    #: Only enterprises opened within this many days before as_of (license checks).
    opened_within_days: int | None = None
    note: str = ""


DEMAND_RULES: tuple[DemandRule, ...] = (
    # 部门计划: what departments plan on their own, heaviest for the pilot trades.
    DemandRule(
        "plan", "WL-ENT-01", (0.3, 0.4, 0.6, 0.8), (2, 3), "month", 0.2, note="娱乐场所季度巡查"
    ),
    DemandRule(
        "plan",
        "XF-CROWD-01",
        (0.005, 0.01, 0.02, 0.04),
        (2, 3),
        "month",
        0.1,
        note="人员密集场所季度检查计划",
    ),
    DemandRule(
        "plan",
        "SCJ-FOOD-02",
        (0.04, 0.08, 0.15, 0.25),
        (2, 3),
        "quarter",
        note="食品生产企业年度检查计划",
    ),
    DemandRule(
        "plan",
        "SCJ-INFANT-01",
        (0.01, 0.02, 0.05, 0.08),
        (2, 3),
        "quarter",
        note="母婴用品专项检查",
    ),
    DemandRule(
        "plan",
        "WJ-PUB-01",
        (0.005, 0.01, 0.03, 0.06),
        (2, 3),
        "quarter",
        note="公共场所卫生监督计划",
    ),
    DemandRule(
        "plan",
        "HB-DIS-01",
        (0.01, 0.02, 0.05, 0.08),
        (2, 3),
        "quarter",
        0.3,
        note="排污许可执行检查计划",
    ),
    DemandRule(
        "plan", "YJ-WORK-01", (0.004, 0.008, 0.02, 0.04), (2, 3), "quarter", note="工贸企业执法计划"
    ),
    DemandRule(
        "plan",
        "RS-LABOR-01",
        (0.001, 0.002, 0.006, 0.01),
        (2, 3),
        "quarter",
        0.1,
        note="根治欠薪专项",
    ),
    DemandRule(
        "plan", "CG-WASTE-01", (0.002, 0.004, 0.008, 0.01), (1, 2), "month", note="垃圾分类常态检查"
    ),
    DemandRule(
        "plan", "SCJ-COSM-02", (0.004, 0.008, 0.015, 0.02), (2, 3), "quarter", note="化妆品经营专项"
    ),
    # 重点监管: the riskiest enterprises of the riskiest trades.
    DemandRule(
        "key",
        "YJ-HAZ-01",
        (0.0, 0.005, 0.1, 0.3),
        (4, 4),
        "quarter",
        0.5,
        note="危化品重点监管对象",
    ),
    DemandRule(
        "key", "SCJ-COSM-01", (0.0, 0.01, 0.1, 0.25), (4, 4), "quarter", note="化妆品重点监管企业"
    ),
    DemandRule(
        "key", "XF-CROWD-01", (0.0, 0.0, 0.04, 0.15), (4, 4), "quarter", note="消防安全重点单位"
    ),
    DemandRule(
        "key", "WJ-PUB-01", (0.0, 0.0, 0.03, 0.12), (4, 4), "quarter", note="公共场所重点监管"
    ),
    DemandRule(
        "key", "SCJ-FOOD-01", (0.0, 0.0, 0.01, 0.05), (4, 4), "quarter", note="食品安全重点监管"
    ),
    # 许可核查: enterprises licensed in the last half year.
    DemandRule(
        "license",
        "SCJ-FOOD-01",
        (0.15, 0.18, 0.2, 0.25),
        (3, 3),
        "early",
        0.3,
        180,
        "食品经营许可后核查",
    ),
    DemandRule(
        "license",
        "WJ-PUB-02",
        (0.15, 0.18, 0.2, 0.25),
        (3, 3),
        "early",
        0.0,
        180,
        "公共场所卫生许可核查",
    ),
    DemandRule(
        "license",
        "SCJ-COSM-01",
        (0.4, 0.5, 0.6, 0.7),
        (3, 3),
        "early",
        0.0,
        180,
        "化妆品生产许可核查",
    ),
    DemandRule(
        "license",
        "SCJ-DRUG-01",
        (0.4, 0.5, 0.6, 0.7),
        (3, 3),
        "early",
        0.0,
        180,
        "药品经营许可核查",
    ),
    DemandRule(
        "license", "WL-ENT-01", (0.6, 0.7, 0.8, 0.9), (3, 3), "early", 0.0, 180, "娱乐经营许可核查"
    ),
    # 投诉举报 / 12345 already on the departments' books.
    DemandRule(
        "complaint",
        "SCJ-FOOD-01",
        (0.0005, 0.002, 0.008, 0.02),
        (4, 5),
        "urgent",
        note="12345市民投诉：食品卫生",
    ),
    DemandRule(
        "complaint",
        "SCJ-PRICE-01",
        (0.0002, 0.0008, 0.003, 0.008),
        (3, 4),
        "urgent",
        note="12345市民投诉：价格",
    ),
    DemandRule(
        "complaint",
        "WJ-PUB-01",
        (0.0005, 0.002, 0.008, 0.02),
        (4, 5),
        "urgent",
        note="投诉：公共场所卫生",
    ),
    DemandRule(
        "complaint",
        "CG-SHOP-01",
        (0.0002, 0.0008, 0.003, 0.006),
        (3, 4),
        "urgent",
        note="投诉：占道经营",
    ),
    DemandRule(
        "complaint",
        "RS-LABOR-01",
        (0.0001, 0.0006, 0.003, 0.01),
        (4, 5),
        "urgent",
        note="投诉：拖欠工资",
    ),
    DemandRule(
        "complaint",
        "HB-FUME-01",
        (0.0003, 0.001, 0.004, 0.01),
        (3, 4),
        "urgent",
        note="投诉：油烟扰民",
    ),
    # 非现场预警 picked up by the departments' monitoring.
    DemandRule(
        "alert",
        "HB-ONLINE-01",
        (0.001, 0.004, 0.015, 0.04),
        (3, 4),
        "urgent",
        note="在线监测数据超标预警",
    ),
    DemandRule(
        "alert",
        "XF-FAC-01",
        (0.0005, 0.002, 0.006, 0.015),
        (3, 4),
        "urgent",
        note="消防物联网设施离线预警",
    ),
    DemandRule(
        "alert",
        "SCJ-AD-01",
        (0.0002, 0.0008, 0.003, 0.008),
        (3, 3),
        "urgent",
        note="网络广告监测疑似违法",
    ),
    DemandRule(
        "alert",
        "WJ-WATER-01",
        (0.002, 0.006, 0.02, 0.05),
        (3, 4),
        "urgent",
        note="水质在线监测异常",
    ),
    # 事故 and 移送.
    DemandRule(
        "accident",
        "YJ-WORK-01",
        (0.0001, 0.0003, 0.001, 0.003),
        (5, 5),
        "urgent",
        1.0,
        note="生产安全事故调查",
    ),
    DemandRule(
        "accident",
        "XF-CROWD-01",
        (0.0001, 0.0003, 0.001, 0.003),
        (5, 5),
        "urgent",
        1.0,
        note="火灾事故后检查",
    ),
    DemandRule(
        "referral",
        "SCJ-FOOD-01",
        (0.0001, 0.0004, 0.002, 0.006),
        (4, 4),
        "urgent",
        note="区公安分局移送线索",
    ),
    DemandRule(
        "referral",
        "HB-DIS-01",
        (0.0002, 0.0006, 0.003, 0.008),
        (4, 4),
        "urgent",
        note="市生态环境局移送",
    ),
    DemandRule(
        "referral", "WL-ENT-01", (0.002, 0.005, 0.02, 0.05), (4, 4), "urgent", note="公安部门移送"
    ),
    # 非现场发现问题后的现场核查.
    DemandRule(
        "followup",
        "HB-DIS-01",
        (0.001, 0.004, 0.015, 0.03),
        (3, 4),
        "urgent",
        note="在线监测超标后现场核查",
    ),
    DemandRule(
        "followup",
        "XF-CROWD-01",
        (0.0005, 0.002, 0.008, 0.02),
        (3, 4),
        "urgent",
        note="消防设施报警后现场核查",
    ),
    DemandRule(
        "followup",
        "SCJ-FOOD-01",
        (0.0002, 0.001, 0.004, 0.01),
        (3, 4),
        "urgent",
        note="追溯数据异常后现场核查",
    ),
)

#: Triggers received around the start of the quarter (kind in ``source``); each becomes a
#: demand when imported, so the quarter's plan and the first replans have work to place.
TRIGGER_RULES: tuple[DemandRule, ...] = (
    DemandRule(
        "complaint",
        "SCJ-FOOD-01",
        (0.001, 0.004, 0.015, 0.04),
        (4, 5),
        note="12345工单：就餐后身体不适",
    ),
    DemandRule(
        "complaint", "WJ-PUB-01", (0.001, 0.004, 0.015, 0.04), (4, 5), note="12345工单：卫生条件差"
    ),
    DemandRule(
        "complaint",
        "SCJ-PRICE-01",
        (0.0005, 0.002, 0.006, 0.015),
        (3, 4),
        note="12345工单：价格欺诈",
    ),
    DemandRule(
        "complaint",
        "RS-LABOR-01",
        (0.0003, 0.001, 0.005, 0.015),
        (4, 5),
        note="12345工单：拖欠工资",
    ),
    DemandRule(
        "complaint",
        "SCJ-INFANT-01",
        (0.001, 0.004, 0.015, 0.04),
        (4, 5),
        note="投诉：婴幼儿用品质量",
    ),
    DemandRule(
        "complaint", "WL-ENT-01", (0.003, 0.01, 0.03, 0.06), (4, 5), note="投诉：噪声及营业时间"
    ),
    DemandRule(
        "alert", "HB-ONLINE-01", (0.002, 0.006, 0.02, 0.05), (3, 4), note="在线监测数据超标"
    ),
    DemandRule("alert", "XF-FAC-01", (0.001, 0.003, 0.01, 0.03), (3, 4), note="消防物联网报警"),
    DemandRule("alert", "WJ-WATER-01", (0.003, 0.01, 0.03, 0.06), (3, 4), note="余氯在线监测异常"),
    DemandRule(
        "accident", "YJ-WORK-01", (0.0001, 0.0004, 0.002, 0.005), (5, 5), note="机械伤害事故"
    ),
    DemandRule("accident", "XF-CROWD-01", (0.0001, 0.0004, 0.002, 0.005), (5, 5), note="电气火灾"),
    DemandRule(
        "referral", "SCJ-COSM-01", (0.001, 0.004, 0.02, 0.05), (4, 4), note="市药监局移送线索"
    ),
    DemandRule(
        "referral",
        "YJ-HAZ-01",
        (0.001, 0.004, 0.02, 0.05),
        (4, 4),
        note="交警部门移送危化品运输线索",
    ),
)

#: When triggers arrive: from this many days before the quarter to this many into it.
TRIGGER_DAYS_BEFORE = 5
TRIGGER_DAYS_INTO = 21
#: Office hours (minutes after midnight, China time) in which triggers are received.
TRIGGER_MINUTES = (8 * 60 + 30, 18 * 60)

#: Sizing the inspectorate: two officers per department per visit; officers are planned to
#: this share of their capacity at most, on this share of working days (leave, training).
OFFICERS_PER_VISIT = 2
MAX_UTILISATION = 0.6
AVAILABLE_SHARE = 0.85
MIN_OFFICERS = 4
#: max_visits_per_day of officers, with their shares.
VISITS_PER_DAY = ((3, 0.1), (4, 0.8), (5, 0.1))
#: Share of officers whose certificate runs out inside the quarter.
CERT_EXPIRING_SHARE = 0.04
#: Days off per officer in a quarter (Poisson mean), training days per department, and the
#: share of a department's officers away on a training day.
LEAVE_DAYS_MEAN = 2.0
TRAINING_DAYS = 2
TRAINING_SHARE = 0.3
#: 回避 entries per officer (1 + Poisson mean), and the share inside the officer's home town.
CONFLICTS_EXTRA_MEAN = 1.0
CONFLICTS_HOME_SHARE = 0.7
CONFLICT_REASONS = ("近亲属经营", "曾在该企业任职", "与经营者存在其他利害关系")

#: No-disturb list (无感监管): share of active enterprises, drawn among latent class A
#: without negative credit events; share of entries ending inside the quarter, after it.
NO_DISTURB_SHARE = 0.03
NO_DISTURB_UNTIL_INSIDE = 0.2
NO_DISTURB_UNTIL_AFTER = 0.3
NO_DISTURB_REASON = "信用良好、风险较低，纳入无感监管对象清单"

#: Register structure.
CLOSED_BY_CLASS = (0.02, 0.035, 0.06, 0.12)
SHARED_LEGAL_REP_SHARE = 0.08
SHAREHOLDER_SHARE = 0.015
BRANCH_SHARE = 0.01
SHARED_ADDRESS_SHARE = 0.04
SHARED_ADDRESS_GROUP = (2, 5)
#: Enterprise age: days since opening, 30 + exponential with this mean, capped.
AGE_MEAN_DAYS = 2200
AGE_MAX_DAYS = 30 * 365
#: Codes issued from this date are of the 2015 MA… kind; older ones carry an old org code.
MA_CODES_FROM = (2015, 10, 1)
#: History and credit events cover this many days before as_of.
HISTORY_DAYS = 3 * 365
