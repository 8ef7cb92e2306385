"""Deterministic demo data for the association directory.

Plain dicts only (no database code), built with ``random.Random(seed)`` so the same input
always gives the same output, whatever the interpreter's hash seed.  Names are realistic in
form (济南市软件行业协会, 济南市温州商会, 历下区物业管理协会 …) but the records are invented;
the credit codes are valid in form (:func:`core.entities.uscc.make`) but belong to nobody.

Each record has exactly these keys: ``name``, ``uscc``, ``category``, ``supervisor``,
``industry_department``, ``industry_chain``, ``registered_on``, ``legal_representative``,
``member_count``, ``address``, ``contact_phone``, ``status``, ``tags``.
"""

from __future__ import annotations

import datetime as _dt
import math
import random

from core.entities.uscc import make

__all__ = [
    "INDUSTRY_CHAINS",
    "CATEGORIES",
    "STATUSES",
    "DEPARTMENTS",
    "SUPERVISORS",
    "TAGS",
    "CITY_DIVISION_CODE",
    "DIVISIONS",
    "city_associations",
    "district_associations",
]

CITY_DIVISION_CODE = "370100"

#: The "4+10" industry chains as demo vocabulary: the same tuple, in the same order, as the
#: choices of the directory's ``industry_chain`` field (``core.directory.INDUSTRY_CHAINS``).
#: A working list for demo data, not an official catalogue: the city maintains the real one.
INDUSTRY_CHAINS: tuple[str, ...] = (
    "新一代信息技术", "高端装备", "新材料", "生物医药与大健康",
    "现代金融", "商贸物流", "文化旅游", "科技服务", "绿色低碳", "现代农业",
    "精品钢与先进材料", "智能家电", "量子科技", "空天信息",
)

CATEGORIES: tuple[str, ...] = ("行业协会", "商会", "异地商会", "其他")
STATUSES: tuple[str, ...] = ("正常", "整改中", "注销", "撤销")

#: City departments that act as industry management departments (行业管理部门).
DEPARTMENTS: tuple[str, ...] = (
    "济南市发展和改革委员会",
    "济南市工业和信息化局",
    "济南市科学技术局",
    "济南市商务局",
    "济南市农业农村局",
    "济南市文化和旅游局",
    "济南市住房和城乡建设局",
    "济南市交通运输局",
    "济南市卫生健康委员会",
    "济南市市场监督管理局",
    "济南市生态环境局",
    "济南市地方金融监督管理局",
    "济南市民政局",
)

FEDERATION_OF_INDUSTRY_AND_COMMERCE = "济南市工商业联合会"

#: Possible business supervisory units (业务主管单位); since 脱钩 most associations have none.
SUPERVISORS: tuple[str, ...] = DEPARTMENTS + (FEDERATION_OF_INDUSTRY_AND_COMMERCE,)

TAGS: tuple[str, ...] = ("党建示范", "百会联百村", "百会联百社", "联合会会员", "百会创新万企赋能")

#: GB/T 2260 codes of the city's districts and counties, plus the high-tech zone (a
#: statistical code, not an administrative division).
DIVISIONS: dict[str, tuple[str, str]] = {
    "370102": ("lixia", "历下区"),
    "370103": ("shizhong", "市中区"),
    "370104": ("huaiyin", "槐荫区"),
    "370105": ("tianqiao", "天桥区"),
    "370112": ("licheng", "历城区"),
    "370113": ("changqing", "长清区"),
    "370114": ("zhangqiu", "章丘区"),
    "370115": ("jiyang", "济阳区"),
    "370116": ("laiwu", "莱芜区"),
    "370117": ("gangcheng", "钢城区"),
    "370124": ("pingyin", "平阴县"),
    "370126": ("shanghe", "商河县"),
    "370176": ("gaoxin", "高新区"),
}

_D = dict(
    fgw="济南市发展和改革委员会",
    gxj="济南市工业和信息化局",
    kjj="济南市科学技术局",
    swj="济南市商务局",
    nyj="济南市农业农村局",
    wlj="济南市文化和旅游局",
    zjj="济南市住房和城乡建设局",
    jtj="济南市交通运输局",
    wjw="济南市卫生健康委员会",
    scj="济南市市场监督管理局",
    hbj="济南市生态环境局",
    jrj="济南市地方金融监督管理局",
    mzj="济南市民政局",
)

#: Sectors used to build names: sector -> (industry chain, departments that usually manage
#: it, the usual one first).  Sectors outside the chain list are filed under the nearest chain.
_SECTORS: dict[str, tuple[str, tuple[str, ...]]] = {
    "信息技术": ("新一代信息技术", (_D["gxj"], _D["kjj"])),
    "装备制造": ("高端装备", (_D["gxj"],)),
    "汽车": ("高端装备", (_D["gxj"], _D["jtj"])),
    "新材料": ("新材料", (_D["gxj"], _D["fgw"])),
    "钢铁冶金": ("精品钢与先进材料", (_D["gxj"], _D["fgw"])),
    "医药健康": ("生物医药与大健康", (_D["wjw"], _D["gxj"], _D["scj"])),
    "金融": ("现代金融", (_D["jrj"],)),
    "商贸物流": ("商贸物流", (_D["swj"], _D["jtj"])),
    "生活服务": ("商贸物流", (_D["swj"], _D["mzj"])),
    "文化旅游": ("文化旅游", (_D["wlj"],)),
    "科技服务": ("科技服务", (_D["kjj"], _D["scj"])),
    "节能环保": ("绿色低碳", (_D["hbj"], _D["fgw"])),
    "建筑房产": ("绿色低碳", (_D["zjj"],)),
    "农业": ("现代农业", (_D["nyj"],)),
    "食品": ("现代农业", (_D["gxj"], _D["scj"])),
    "家电": ("智能家电", (_D["gxj"], _D["swj"])),
    "量子": ("量子科技", (_D["kjj"], _D["gxj"])),
    "空天": ("空天信息", (_D["gxj"], _D["kjj"])),
}

# Name stems for 行业协会, by sector: name = prefix + stem + "协会".
_TRADE_STEMS: dict[str, tuple[str, ...]] = {
    "信息技术": (
        "软件行业", "大数据产业", "人工智能产业", "集成电路行业", "信息技术应用创新产业",
        "物联网产业", "区块链产业", "云计算产业", "网络安全", "电子信息行业", "工业互联网",
        "数字经济", "互联网", "计算机用户", "通信行业", "智慧城市产业", "虚拟现实产业", "信息化",
        "数据要素产业",
    ),
    "装备制造": (
        "机械工业", "机床工业", "智能制造", "机器人产业", "电力装备行业", "仪器仪表行业", "模具工业",
        "锅炉压力容器", "工程机械", "激光产业", "轨道交通装备产业", "电机工业", "阀门行业", "泵业",
        "电线电缆行业", "焊接", "铸造行业", "包装机械", "数控技术", "液压气动", "特种设备安全",
    ),
    "汽车": (
        "汽车行业", "新能源汽车产业", "汽车零部件", "重型汽车", "摩托车", "电动自行车", "充电设施",
        "智能网联汽车", "汽车用品",
    ),
    "新材料": (
        "新材料产业", "化工行业", "涂料行业", "塑料行业", "橡胶工业", "玻璃行业", "陶瓷行业",
        "碳纤维产业", "石墨烯产业", "精细化工", "复合材料", "磨料磨具行业", "防腐保温行业",
    ),
    "钢铁冶金": (
        "钢铁工业", "不锈钢行业", "冶金行业", "有色金属行业", "铝加工行业", "粉末冶金",
        "耐火材料行业", "金属材料",
    ),
    "医药健康": (
        "医药行业", "医疗器械行业", "生物技术产业", "中医药产业", "健康管理", "养老服务", "医院",
        "药品零售行业", "康复辅具产业", "保健食品行业", "口腔医疗", "眼视光行业", "民营医院",
        "医学美容行业", "健康服务业", "婴幼儿照护服务", "体外诊断产业", "生物医药产业",
        "精准医学产业", "中药饮片行业", "健身行业",
    ),
    "金融": (
        "银行业", "证券期货业", "保险行业", "融资担保业", "小额贷款公司", "典当行业", "融资租赁行业",
        "私募股权投资基金业", "创业投资", "上市公司", "金融科技", "商业保理", "财富管理",
        "资产管理", "普惠金融", "信用服务行业",
    ),
    "商贸物流": (
        "现代物流", "快递行业", "道路运输", "货运行业", "仓储行业", "冷链物流", "连锁经营",
        "电子商务", "跨境电子商务", "进出口企业", "外商投资企业", "再生资源回收利用", "拍卖行业",
        "会展业", "粮食行业", "批发市场", "直播电商", "供应链管理", "国际货运代理", "城市配送",
        "石油流通行业", "机动车维修", "机动车检测", "驾驶员培训", "二手车", "汽车流通", "汽车租赁",
        "停车行业",
    ),
    "生活服务": (
        "烹饪", "餐饮行业", "家政服务业", "美容美发", "洗染", "摄影", "婚庆", "沐浴", "眼镜行业",
        "家居行业", "老字号", "母婴服务", "宠物", "社区服务", "托育服务", "保安服务",
        "珠宝首饰行业", "家具", "搬家服务", "钟表",
    ),
    "文化旅游": (
        "旅游", "旅行社", "旅游饭店", "民宿", "文化产业", "动漫游戏产业", "演出行业", "电影发行放映",
        "非物质文化遗产保护", "印刷行业", "出版发行", "收藏品", "娱乐行业", "互联网上网服务行业",
        "景区", "研学旅行", "工艺美术行业", "广告", "文化创意产业", "体育产业", "导游",
    ),
    "科技服务": (
        "科技服务业", "技术市场", "知识产权", "检验检测", "标准化", "计量测试", "质量管理",
        "认证认可", "工业设计", "科技企业孵化器", "高新技术企业", "人力资源服务行业", "管理咨询",
        "专利代理", "测绘地理信息", "技术转移", "工程咨询", "招标投标", "新型研发机构",
        "科技型中小企业",
    ),
    "节能环保": (
        "环境保护产业", "节能", "新能源", "光伏行业", "氢能产业", "储能产业", "资源综合利用",
        "循环经济", "固体废物处理", "水处理", "环境监测", "清洁能源", "供热", "燃气", "电力行业",
        "节约用水", "园林绿化", "碳排放管理", "环境卫生", "生态修复", "土壤修复",
    ),
    "建筑房产": (
        "建筑业", "房地产业", "建设监理", "勘察设计", "建筑装饰", "工程造价", "建筑节能",
        "装配式建筑", "市政工程", "物业管理", "房地产经纪", "预拌混凝土", "安装", "建筑防水",
        "城市更新", "绿色建筑", "建筑安全", "建设工程质量", "幕墙门窗", "古建园林",
    ),
    "农业": (
        "农业产业", "种子", "农资", "农业机械", "畜牧业", "兽医", "渔业", "蔬菜", "果业", "茶叶",
        "花卉苗木", "食用菌", "中药材产业", "家庭农场", "农民专业合作社", "休闲农业", "农产品流通",
        "饲料工业", "蜂业", "有机农业", "数字农业", "农业产业化龙头企业", "植保", "奶业",
        "生猪产业", "农产品品牌",
    ),
    "食品": (
        "食品工业", "酒业", "饮料", "乳制品", "肉类", "粮油", "烘焙", "调味品", "食品安全",
        "饮用水", "预制菜产业", "清真食品", "食品添加剂", "茶饮行业",
    ),
    "家电": ("家用电器行业", "智能家居产业", "照明电器行业", "家电维修服务", "厨房电器产业"),
    "量子": ("量子信息产业", "量子通信产业", "量子计算产业", "量子精密测量产业"),
    "空天": (
        "空天信息产业", "卫星导航与位置服务", "卫星应用产业", "遥感应用", "无人机产业",
        "低空经济产业", "航空航天产业", "通用航空",
    ),
}

# Name stems for industry 商会, by sector: name = prefix + stem + "商会".
_CHAMBER_STEMS: dict[str, tuple[str, ...]] = {
    "信息技术": ("软件和信息服务业", "数字经济", "电子信息", "智能科技"),
    "装备制造": ("五金机电", "智能制造", "机械", "仪器仪表", "装备制造"),
    "汽车": ("汽车", "汽车配件", "新能源汽车", "电动车"),
    "新材料": ("化工", "塑料", "纺织", "陶瓷"),
    "钢铁冶金": ("钢材", "有色金属", "不锈钢"),
    "医药健康": ("医药", "健康产业", "养老产业", "中医药", "医疗器械"),
    "金融": ("金融服务", "投资"),
    "商贸物流": ("电子商务", "服装", "珠宝玉石", "物流", "进出口", "直播电商", "冷链", "跨境电商", "糖酒", "二手车"),
    "生活服务": ("餐饮业", "眼镜", "美容化妆品", "家具", "老字号"),
    "文化旅游": ("文化创意", "旅游", "文化艺术品", "体育"),
    "科技服务": ("科技企业", "服务外包", "人力资源", "检验检测", "青年企业家", "女企业家"),
    "节能环保": ("新能源", "环保", "光伏"),
    "建筑房产": ("家居建材", "房地产", "建筑业", "装饰", "石材", "物业", "钢结构"),
    "农业": ("农产品", "水产", "花卉", "种业", "茶业"),
    "食品": ("粮油", "食品", "乳业"),
    "家电": ("家电", "智能家居"),
    "量子": (),
    "空天": ("通用航空",),
}

# Home towns for 异地商会: name = prefix + home town + "商会".
_HOME_TOWNS: tuple[str, ...] = (
    # provinces and municipalities
    "浙江", "福建", "江苏", "广东", "河南", "河北", "安徽", "江西", "湖南", "湖北", "四川",
    "重庆", "陕西", "山西", "黑龙江", "吉林", "辽宁", "内蒙古", "甘肃", "云南", "贵州", "广西",
    "海南", "天津", "上海", "新疆", "宁夏", "青海",
    # cities elsewhere
    "温州", "台州", "宁波", "义乌", "丽水", "晋江", "莆田", "泉州", "福州", "厦门", "苏州",
    "无锡", "徐州", "南通", "潮汕", "深圳", "武汉", "长沙", "郑州", "信阳", "周口", "南阳",
    "商丘", "安阳", "亳州", "阜阳", "安庆", "邯郸", "邢台", "沧州", "衡水", "保定", "唐山",
    "大同", "运城", "临汾",
    # cities of Shandong
    "青岛", "烟台", "潍坊", "临沂", "菏泽", "聊城", "德州", "滨州", "东营", "淄博", "枣庄",
    "济宁", "泰安", "日照", "威海",
    # counties of Shandong
    "寿光", "诸城", "安丘", "青州", "高密", "莒县", "沂水", "沂南", "郯城", "费县", "平邑",
    "曹县", "单县", "郓城", "东明", "阳谷", "莘县", "冠县", "临清", "齐河", "禹城", "宁津",
    "乐陵", "阳信", "无棣", "博兴", "邹平", "广饶", "滕州", "新泰", "肥城", "宁阳", "东平",
    "曲阜", "邹城", "梁山", "汶上", "嘉祥", "沂源", "桓台", "蒙阴", "莱阳", "莱州", "招远",
    "龙口", "海阳", "栖霞", "五莲",
)

# Other associations (促进会, 联合会 …), by sector: name = prefix + full stem.
_OTHER_NAMES: dict[str, tuple[str, ...]] = {
    "信息技术": ("数字经济发展促进会",),
    "装备制造": ("企业联合会", "企业家协会"),
    "汽车": ("汽车文化促进会",),
    "新材料": ("质量品牌促进会",),
    "钢铁冶金": (),
    "医药健康": ("医养结合促进会", "老年产业促进会"),
    "金融": ("民营经济研究会",),
    "商贸物流": ("行业协会商会联合会", "对外经济合作促进会", "投资促进会", "夜间经济促进会"),
    "生活服务": ("个体私营企业协会", "企业家联谊会", "优化营商环境促进会"),
    "文化旅游": ("泉水文化促进会", "企业文化促进会"),
    "科技服务": (
        "中小企业发展促进会", "产学研合作促进会", "科技创新促进会", "人才发展促进会",
        "职业经理人协会", "企业社会责任促进会",
    ),
    "节能环保": ("低碳发展促进会", "黄河生态保护促进会"),
    "建筑房产": ("城市发展促进会",),
    "农业": ("乡村振兴促进会",),
    "食品": ("品牌建设促进会",),
    "家电": (),
    "量子": ("量子科技创新促进会",),
    "空天": (),
}

# Roads by district (demo addresses).
_ROADS: dict[str, tuple[str, ...]] = {
    "历下区": ("泺源大街", "经十路", "解放路", "文化东路", "和平路", "山大路", "历山路", "千佛山东路", "泉城路", "黑虎泉北路"),
    "市中区": ("经二路", "经七路", "纬二路", "英雄山路", "舜耕路", "经四路", "玉函路", "郎茂山路"),
    "槐荫区": ("经十西路", "纬十二路", "张庄路", "腊山河西路", "日照路", "齐州路", "烟台路"),
    "天桥区": ("北园大街", "无影山路", "堤口路", "济洛路", "清河北路", "生产路", "标山路"),
    "历城区": ("花园路", "工业北路", "华信路", "祝舜路", "二环东路", "凤鸣路", "唐冶西路"),
    "长清区": ("大学路", "峰山路", "清河街", "龙泉街", "长兴街"),
    "章丘区": ("汇泉路", "双山大街", "铁道北路", "唐王山路", "山泉路", "明水大街"),
    "济阳区": ("开元大街", "富阳街", "澄波湖路", "纬二路"),
    "莱芜区": ("鲁中大街", "凤城大街", "汶源大街", "长勺路", "花园北路"),
    "钢城区": ("府前大街", "钢都大街", "艾山街", "双泉路"),
    "平阴县": ("榆山路", "青龙路", "翠屏街", "东阿路"),
    "商河县": ("商中路", "鑫源路", "许商街", "彩虹路"),
    "高新区": ("舜华路", "新泺大街", "工业南路", "颖秀路", "天辰路", "港兴三路", "舜泰北路"),
}
# Where city-level associations sit (mostly the central districts).
_CITY_ADDRESS_WEIGHTS: dict[str, int] = {
    "历下区": 30, "市中区": 18, "槐荫区": 10, "天桥区": 10, "历城区": 12, "高新区": 12,
    "长清区": 2, "章丘区": 2, "济阳区": 1, "莱芜区": 1, "钢城区": 1, "平阴县": 0, "商河县": 0,
}
_BUILDINGS = ("大厦", "商务中心", "科技园", "写字楼", "广场")

_SURNAMES = (
    "王", "张", "李", "刘", "孙", "赵", "杨", "陈", "徐", "马", "高", "于", "郭", "孟", "宋",
    "韩", "田", "吕", "周", "吴", "朱", "胡", "魏", "曹", "秦", "崔", "董", "任", "侯", "贾",
    "丁", "姜", "付", "石", "袁", "梁", "程", "郑", "谢", "范", "邢", "葛", "毕", "牛", "段",
    "路", "鲁", "颜", "孔", "亓",
)
# Rough frequency weights for the surnames above (common northern surnames first).
_SURNAME_WEIGHTS = (
    30, 28, 26, 22, 12, 11, 10, 10, 9, 8, 8, 8, 7, 5, 6,
    6, 6, 5, 5, 4, 5, 4, 4, 4, 3, 4, 4, 3, 3, 3,
    3, 4, 3, 3, 3, 3, 3, 2, 2, 3, 2, 2, 2, 2, 2,
    2, 2, 1, 2, 1,
)
_GIVEN_NAMES = (
    "建国", "建华", "建军", "建平", "建新", "国强", "国庆", "国华", "国栋", "志刚", "志强",
    "海涛", "海燕", "明辉", "晓明", "晓东", "晓燕", "红梅", "丽娟", "丽华", "秀英", "秀云",
    "桂兰", "玉兰", "凤英", "淑芬", "淑珍", "春雷", "春华", "庆丰", "庆华", "永刚", "立新",
    "立国", "德胜", "德明", "卫东", "文杰", "文博", "俊峰", "振华", "振东", "新民", "宏伟",
    "金龙", "光明", "学军", "忠良", "瑞祥", "思远", "浩然", "佳琪", "欣怡", "晨阳", "宇航",
    "博文", "广才", "继东", "爱国", "玉成", "长青", "树森", "兆君", "传利", "守文", "洪涛",
    "长军", "成林", "承志", "一鸣", "雪梅", "静怡", "志勇", "开宇", "伟", "磊", "静", "敏",
    "勇", "军", "涛", "斌", "峰", "辉", "刚", "杰", "鹏", "波", "超", "鑫", "丽", "燕",
    "芳", "玲", "霞", "娟", "婷", "雪", "强", "平", "健", "亮", "林", "华", "明", "凯",
)

_MOBILE_PREFIXES = (
    "130", "131", "132", "133", "135", "136", "137", "138", "139", "150", "151", "152",
    "153", "155", "156", "157", "158", "159", "166", "170", "173", "175", "176", "177",
    "178", "180", "181", "182", "183", "185", "186", "187", "188", "189", "191", "193",
    "195", "198", "199",
)

# Category shares (city level and district level).
_CITY_SHARES = {"行业协会": 0.58, "商会": 0.14, "异地商会": 0.22, "其他": 0.06}
_DISTRICT_SHARES = {"行业协会": 0.60, "商会": 0.20, "异地商会": 0.12, "其他": 0.08}

_FIRST_DAY = _dt.date(1990, 1, 1)
_LAST_DAY = _dt.date(2024, 12, 31)

_SERIAL_LETTERS = "ABCDEFGH"  # third character of the serial, as in real 民政 codes (MJ?…)


def _split(count: int, shares: dict[str, float]) -> dict[str, int]:
    """Split ``count`` by ``shares`` with the largest-remainder method (exact total)."""
    raw = {k: count * v for k, v in shares.items()}
    result = {k: math.floor(v) for k, v in raw.items()}
    left = count - sum(result.values())
    for k in sorted(raw, key=lambda k: (-(raw[k] - result[k]), CATEGORIES.index(k)))[:left]:
        result[k] += 1
    return result


def _pool(category: str) -> list[tuple[str, str | None]]:
    """(name without prefix, sector) candidates for a category, in a fixed order."""
    if category == "行业协会":
        return [(s + "协会", k) for k in _SECTORS for s in _TRADE_STEMS[k]]
    if category == "商会":
        return [(s + "商会", k) for k in _SECTORS for s in _CHAMBER_STEMS[k]]
    if category == "异地商会":
        return [(t + "商会", None) for t in _HOME_TOWNS]
    return [(n, k) for k in _SECTORS for n in _OTHER_NAMES[k]]


def _local(department: str, place: str) -> str:
    """The same department at district level (济南市商务局 -> 历下区商务局)."""
    if place == "济南市":
        return department
    return department.replace("济南市", place, 1)


def _person(rng: random.Random) -> str:
    surname = rng.choices(_SURNAMES, weights=_SURNAME_WEIGHTS)[0]
    return surname + rng.choice(_GIVEN_NAMES)


def _phone(rng: random.Random) -> str:
    if rng.random() < 0.6:
        return rng.choice(_MOBILE_PREFIXES) + f"{rng.randrange(10**8):08d}"
    return f"0531-{rng.choice('5678')}{rng.randrange(10**7):07d}"


def _members(rng: random.Random) -> int:
    if rng.random() < 0.03:
        return rng.randint(1001, 3600)
    value = int(rng.lognormvariate(math.log(95), 0.6))
    return max(18, min(value, 900))


def _date(rng: random.Random, earliest: _dt.date) -> str:
    span = (_LAST_DAY - earliest).days
    # More associations were registered in recent decades than in the 1990s.
    offset = int(rng.triangular(0, span, span * 0.8))
    return (earliest + _dt.timedelta(days=offset)).isoformat()


def _address(rng: random.Random, district: str) -> str:
    road = rng.choice(_ROADS[district])
    text = f"济南市{district}{road}{rng.randint(1, 3999)}号"
    if rng.random() < 0.4:
        text += f"{rng.choice(('泉城', '齐鲁', '舜耕', '泺源', '银座', '鲁能'))}{rng.choice(_BUILDINGS)}{rng.randint(2, 28)}层"
    return text


def _tags(rng: random.Random) -> list[str]:
    size = rng.choices((0, 1, 2, 3), weights=(45, 35, 15, 5))[0]
    chosen = rng.sample(TAGS, size)
    return [t for t in TAGS if t in chosen]  # stable vocabulary order


def _generate(
    rng: random.Random,
    *,
    count: int,
    prefix: str,
    division: str,
    shares: dict[str, float],
    address_districts: dict[str, int],
) -> list[dict]:
    if count < 0:
        raise ValueError("count must not be negative")
    split = _split(count, shares)
    named: list[tuple[str, str, str | None]] = []
    for category in CATEGORIES:
        pool = _pool(category)
        if split[category] > len(pool):
            raise ValueError(
                f"demo vocabulary has only {len(pool)} names for {category}, "
                f"{split[category]} needed"
            )
        for suffix, sector in rng.sample(pool, split[category]):
            named.append((category, prefix + suffix, sector))
    rng.shuffle(named)

    districts = list(address_districts)
    district_weights = [address_districts[d] for d in districts]
    serials: set[str] = set()
    records = []
    for category, name, sector in named:
        if sector is None:  # 异地商会 span industries
            sector = rng.choice(list(_SECTORS))
        chain, options = _SECTORS[sector]
        while True:
            serial = "MJ" + rng.choice(_SERIAL_LETTERS) + f"{rng.randrange(10**5):05d}"
            if serial not in serials:
                serials.add(serial)
                break
        if category == "异地商会":
            department = _D["swj"]
        else:
            department = options[0] if rng.random() < 0.75 or len(options) == 1 else rng.choice(options[1:])
        supervisor = None
        if rng.random() < 0.3:
            if category in ("商会", "异地商会") and rng.random() < 0.7:
                supervisor = FEDERATION_OF_INDUSTRY_AND_COMMERCE
            elif rng.random() < 0.15:
                supervisor = _D["mzj"]
            else:
                supervisor = department
        earliest = _dt.date(2003, 1, 1) if category == "异地商会" else _FIRST_DAY
        records.append(
            {
                "name": name,
                "uscc": make("5", "1", division, serial),
                "category": category,
                "supervisor": None if supervisor is None else _local(supervisor, prefix),
                "industry_department": _local(department, prefix),
                "industry_chain": chain,
                "registered_on": _date(rng, earliest),
                "legal_representative": _person(rng),
                "member_count": _members(rng),
                "address": _address(rng, rng.choices(districts, weights=district_weights)[0]),
                "contact_phone": _phone(rng),
                "status": "整改中" if rng.random() < 0.03 else "正常",
                "tags": _tags(rng),
            }
        )
    return records


def city_associations(count: int = 338, *, seed: str = "quanhui-demo:370100") -> list[dict]:
    """City-level associations (全市性行业协会商会), registered in 济南市 (370100)."""
    return _generate(
        random.Random(f"{seed}:{count}"),
        count=count,
        prefix="济南市",
        division=CITY_DIVISION_CODE,
        shares=_CITY_SHARES,
        address_districts=_CITY_ADDRESS_WEIGHTS,
    )


def district_associations(
    slug: str, division_code: str, count: int, *, name: str | None = None
) -> list[dict]:
    """District-level associations registered by one district or county.

    ``name`` (e.g. 历下区) is looked up from ``division_code`` when omitted; a node outside
    :data:`DIVISIONS` must pass it.  Addresses are in the district when its roads are known.
    """
    if name is None:
        if division_code not in DIVISIONS:
            raise ValueError(f"unknown division code {division_code!r}: pass name=")
        name = DIVISIONS[division_code][1]
    where = {name: 1} if name in _ROADS else _CITY_ADDRESS_WEIGHTS
    return _generate(
        random.Random(f"quanhui-demo:{slug}:{division_code}:{count}"),
        count=count,
        prefix=name,
        division=division_code,
        shares=_DISTRICT_SHARES,
        address_districts=where,
    )
