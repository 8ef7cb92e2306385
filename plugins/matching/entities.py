"""百会联百村的记录类型:村、社区、企业(对接对象),结对、对接活动、合作意向、落地项目,匹配权重。

协会一侧的“可提供资源”“可结对数”“所在区县”“所在街镇”不是本插件的类型,而是启用时
以自定义字段加在协会商会名录上(见 :data:`ASSOCIATION_FIELDS`),管理员可在字段设计里调整。
需求类别和区县都是市级维护的词表。
"""
from __future__ import annotations

from core.api import STAFF, EntityType, Field, State, Transition, Workflow

NEEDS_VOCABULARY = "matching_needs"
DISTRICTS_VOCABULARY = "matching_districts"
CHAINS_VOCABULARY = "industry_chains"  # the directory's 「产业链」
NEEDS = ("产业发展", "技术", "销售渠道", "人才培训", "资金", "就业", "公益", "文化")
DISTRICTS = ("历下区", "市中区", "槐荫区", "天桥区", "历城区", "长清区", "章丘区", "济阳区", "莱芜区", "钢城区",
             "平阴县", "商河县", "济南高新区")

#: Programme → the target type it pairs associations with.
PROGRAMMES = {"百会联百村": "village", "百会联百社": "community", "万企赋能": "enterprise"}
TARGET_TYPES = tuple(PROGRAMMES.values())
TARGET_LABELS = {"village": "村", "community": "社区", "enterprise": "企业"}
PAIRING_STATES = ("推荐", "对接中", "已结对", "终止")
#: States in which a pairing takes up the association's capacity and a target's place.
ACTIVE_STATES = ("推荐", "对接中", "已结对")
#: 一个意向或项目的金额上限(元):一千亿,远超本市任何单个项目,挡住误填和恶意填写的天文数字。
AMOUNT_AT_MOST = 100_000_000_000
PROJECT_STATUSES = ("已签约", "在建", "已投产")
ACTIVITY_KINDS = ("走访调研", "座谈对接", "技术指导", "培训", "捐赠帮扶", "签约", "其他")

OFFERS, CAPACITY, DISTRICT, TOWN = "matching_offers", "matching_capacity", "matching_district", "matching_town"
ASSOCIATION_FIELDS = (
    Field(OFFERS, "可提供资源", kind="multi_choice", vocabulary=NEEDS_VOCABULARY, choices=NEEDS, indexed=True,
          help="百会联百村:协会能为村、社区、企业提供的资源,与对象的需求比对"),
    Field(CAPACITY, "可结对数", kind="integer", minimum=0, maximum=50, indexed=True,
          help="百会联百村:协会同时最多能承担几个结对;空着按 0,不参加匹配"),
    Field(DISTRICT, "所在区县", kind="choice", vocabulary=DISTRICTS_VOCABULARY, choices=DISTRICTS, indexed=True,
          help="百会联百村:空着表示面向全市"),
    Field(TOWN, "所在街镇", max_length=40, indexed=True),
)


def _target(name: str, label: str, description: str) -> EntityType:
    return EntityType(
        name=name, label=label, description=description,
        fields=(
            Field("name", "名称", required=True, indexed=True, listed=True, max_length=100),
            Field("district", "所在区县", kind="choice", vocabulary=DISTRICTS_VOCABULARY, choices=DISTRICTS,
                  required=True, indexed=True, listed=True),
            Field("town", "街道/镇", required=True, indexed=True, listed=True, max_length=40),
            Field("industry_chains", "相关产业链", kind="multi_choice", vocabulary=CHAINS_VOCABULARY,
                  choices=("现代农业",), indexed=True),
            Field("needs", "需求", kind="multi_choice", vocabulary=NEEDS_VOCABULARY, choices=NEEDS, required=True,
                  indexed=True, listed=True),
            Field("minimum", "最少结对协会数", kind="integer", default=0, minimum=0, maximum=10, indexed=True),
            Field("maximum", "最多结对协会数", kind="integer", default=1, minimum=0, maximum=10, indexed=True),
            Field("contact", "联系人", max_length=40),
            Field("contact_phone", "联系电话", kind="phone"),
            Field("description", "需求说明", kind="long_text"),
        ),
    )


VILLAGE = _target("village", "村", "百会联百村的对接对象")
COMMUNITY = _target("community", "社区", "百会联百社的对接对象")
ENTERPRISE = _target("enterprise", "企业", "百会创新、万企赋能的对接对象")

PAIRING = EntityType(
    name="pairing",
    label="结对",
    description="一家协会商会与一个村、社区或企业的结对,从推荐到结对或终止",
    title_field="title",
    owner_field="association",
    fields=(
        Field("title", "结对名称", required=True, indexed=True, listed=True, max_length=200),
        Field("programme", "工作载体", kind="choice", choices=tuple(PROGRAMMES), required=True, indexed=True,
              listed=True),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("village", "村", kind="reference", target="village", indexed=True),
        Field("community", "社区", kind="reference", target="community", indexed=True),
        Field("enterprise", "企业", kind="reference", target="enterprise", indexed=True),
        Field("score", "匹配得分", kind="decimal", minimum=0, maximum=100, indexed=True, listed=True, write_roles=STAFF),
        Field("explanation", "推荐理由", kind="long_text", write_roles=STAFF),
        Field("started_on", "开始日期", kind="date", indexed=True),
    ),
    workflow=Workflow(
        field="stage", label="结对状态", initial="推荐",
        states=(State("推荐"), State("对接中"), State("已结对"), State("终止", final=True)),
        transitions=(
            Transition("contact", "开始对接", ("推荐",), "对接中"),
            Transition("confirm", "确认结对", ("对接中",), "已结对"),
            Transition("end", "终止", ("推荐", "对接中", "已结对"), "终止", needs_reason=True),
        ),
    ),
)

PAIRING_ACTIVITY = EntityType(
    name="pairing_activity",
    label="对接活动",
    description="结对双方的走访、座谈、培训、捐赠等活动记录",
    title_field="subject",
    fields=(
        Field("pairing", "结对", kind="reference", target="pairing", required=True, indexed=True, listed=True),
        Field("subject", "活动", required=True, indexed=True, listed=True, max_length=100),
        Field("kind", "类型", kind="choice", choices=ACTIVITY_KINDS, required=True, indexed=True, listed=True),
        Field("held_on", "日期", kind="date", required=True, indexed=True, listed=True),
        Field("summary", "内容", kind="long_text"),
    ),
)

INTENTION = EntityType(
    name="intention",
    label="合作意向",
    title_field="title",
    owner_field="association",
    needs_confirmation=True,  # 协会自己填报的,经工作人员确认后才计入统计
    fields=(
        Field("title", "意向名称", required=True, indexed=True, listed=True, max_length=200),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("pairing", "结对", kind="reference", target="pairing", indexed=True),
        Field("district", "落地区县", kind="choice", vocabulary=DISTRICTS_VOCABULARY, choices=DISTRICTS,
              required=True, indexed=True, listed=True),
        Field("signed_on", "达成日期", kind="date", required=True, indexed=True, listed=True),
        Field("amount", "意向金额(元)", kind="money", minimum=0, maximum=AMOUNT_AT_MOST, indexed=True),
        Field("content", "合作内容", kind="long_text"),
    ),
)

PROJECT = EntityType(
    name="project",
    label="落地项目",
    title_field="title",
    owner_field="association",
    needs_confirmation=True,  # 协会自己填报的,经工作人员确认后才计入统计
    fields=(
        Field("title", "项目名称", required=True, indexed=True, listed=True, max_length=200),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("pairing", "结对", kind="reference", target="pairing", indexed=True),
        Field("intention", "合作意向", kind="reference", target="intention", indexed=True),
        Field("district", "落地区县", kind="choice", vocabulary=DISTRICTS_VOCABULARY, choices=DISTRICTS,
              required=True, indexed=True, listed=True),
        Field("amount", "投资额(元)", kind="money", required=True, minimum=0, maximum=AMOUNT_AT_MOST, indexed=True,
              listed=True),
        Field("status", "状态", kind="choice", choices=PROJECT_STATUSES, required=True, default="已签约",
              indexed=True, listed=True),
        Field("signed_on", "签约日期", kind="date", required=True, indexed=True, listed=True),
        Field("started_on", "开工日期", kind="date", indexed=True),
        Field("completed_on", "投产日期", kind="date", indexed=True),
    ),
)

WEIGHTS = EntityType(
    name="matching_weights",
    label="匹配权重",
    description="本单位推荐和最优匹配用的四项权重;每个单位一条,不设置时用默认值",
    title_field="note",
    fields=(
        Field("note", "说明", required=True, max_length=100, default="本单位匹配权重"),
        Field("need", "需求契合", kind="integer", required=True, minimum=0, maximum=100, default=40),
        Field("chain", "产业链匹配", kind="integer", required=True, minimum=0, maximum=100, default=25),
        Field("distance", "距离相近", kind="integer", required=True, minimum=0, maximum=100, default=20),
        Field("history", "以往合作", kind="integer", required=True, minimum=0, maximum=100, default=15),
    ),
)

TYPES = (VILLAGE, COMMUNITY, ENTERPRISE, PAIRING, PAIRING_ACTIVITY, INTENTION, PROJECT, WEIGHTS)
