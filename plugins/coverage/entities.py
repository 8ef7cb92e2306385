"""党建覆盖的记录类型:党组织、联合党支部覆盖的协会、党建工作指导员,以及市级按月发布的
主题党日参考主题。

一个党组织有一家“主体”协会(`association`,必填);联合党支部覆盖的其他协会各是一条
`party_org_member` 记录(党组织 + 协会,都建索引)。这样每一条“党组织覆盖协会”的关系
都在建了索引的投影里,覆盖率用一条 SQL 统计,不扫描 JSON。
"""
from __future__ import annotations

from core.api import STAFF, EntityType, Field

#: 自己的党组织(组织覆盖):党委、党总支、党支部,以及联合党支部。
OWN_KINDS = ("党委", "党总支", "党支部")
JOINT = "联合党支部"
TEMPORARY = "临时党支部"
KINDS = (*OWN_KINDS, JOINT, TEMPORARY)
#: 计入组织覆盖的类型;工作覆盖计入全部类型(含临时党支部)和在岗指导员。
ORGANISATIONAL_KINDS = (*OWN_KINDS, JOINT)

STANDARD_ITEMS_VOCABULARY = "coverage_standard_items"
SIX_SYNCS_VOCABULARY = "coverage_six_syncs"

PARTY_ORG = EntityType(
    name="party_org",
    label="党组织",
    description="协会商会的党组织:党委、党总支、党支部、联合党支部、临时党支部",
    title_field="name",
    owner_field="association",
    needs_confirmation=True,  # 协会自己填报的,经工作人员确认后才计入覆盖率
    fields=(
        Field("name", "名称", required=True, indexed=True, listed=True, max_length=100),
        Field("kind", "类型", kind="choice", choices=KINDS, required=True, indexed=True, listed=True,
              help="联合党支部覆盖的其他协会,在“联合党支部覆盖协会”里逐家登记"),
        Field("association", "所在协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True, help="联合党支部填牵头的一家"),
        Field("founded_on", "成立日期", kind="date", indexed=True, listed=True),
        Field("secretary", "书记", max_length=40),
        Field("member_count", "党员人数", kind="integer", minimum=0, maximum=100000, indexed=True),
        Field("cross_serving", "双向进入、交叉任职人数", kind="integer", minimum=0, maximum=1000, indexed=True,
              help="党员负责人进入理事会、理事会成员进入党组织班子的人数"),
        Field("standard_score", "规范化建设得分", kind="integer", minimum=0, maximum=100, indexed=True,
              help="0-100 分", write_roles=STAFF),
        Field("standard_items", "已达标的规范化建设事项", kind="multi_choice", vocabulary=STANDARD_ITEMS_VOCABULARY,
              indexed=True),
        Field("six_syncs", "已落实的“六个同步”", kind="multi_choice", vocabulary=SIX_SYNCS_VOCABULARY, indexed=True),
        Field("brand_name", "党建品牌", indexed=True, max_length=60),
        Field("brand_story", "品牌故事", kind="long_text"),
    ),
)

PARTY_ORG_MEMBER = EntityType(
    name="party_org_member",
    label="联合党支部覆盖协会",
    description="联合党支部除牵头协会以外覆盖的协会商会,一家一条",
    title_field="association",
    owner_field="association",
    needs_confirmation=True,  # 协会自己填报的,经工作人员确认后才计入覆盖率
    fields=(
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("party_org", "联合党支部", kind="reference", target="party_org", required=True, indexed=True,
              listed=True),
        Field("joined_on", "纳入日期", kind="date", indexed=True, listed=True),
    ),
)

INSTRUCTOR = EntityType(
    name="instructor",
    label="党建工作指导员",
    description="派驻到协会商会的党建工作指导员,按派驻期计入工作覆盖",
    title_field="name",
    owner_field="association",
    needs_confirmation=True,  # 协会自己填报的,经工作人员确认后才计入覆盖率
    fields=(
        Field("name", "姓名", required=True, indexed=True, listed=True, max_length=40),
        Field("unit", "工作单位", indexed=True, listed=True, max_length=100),
        Field("phone", "联系电话", kind="phone"),
        Field("association", "指导的协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("start_on", "派驻起始日期", kind="date", required=True, indexed=True, listed=True),
        Field("end_on", "派驻结束日期", kind="date", indexed=True, listed=True, help="不填表示仍在岗"),
    ),
)

THEME = EntityType(
    name="coverage_theme",
    label="主题党日参考主题",
    description="市级按月发布、各区县只读的主题党日参考主题",
    title_field="title",
    published=True,
    fields=(
        Field("month", "月份", required=True, indexed=True, listed=True, max_length=7, help="YYYY-MM,例如 2026-07"),
        Field("title", "主题", required=True, indexed=True, listed=True, max_length=80),
        Field("content", "内容建议", kind="long_text", help="学习内容、活动形式、参考材料"),
    ),
)

TYPES = (PARTY_ORG, PARTY_ORG_MEMBER, INSTRUCTOR, THEME)
