"""行业协会商会名录: the association directory, the one entity type every plugin points at.

It is owned by the core and always on, but it is built like any plugin: it declares
its type, navigation, dashboard widget and demo data through the public hooks.
"""
from __future__ import annotations

from sqlalchemy import func, select

from .entities.definitions import EntityType, Field
from .entities.models import EntityValue
from .entities.rights import STAFF
from .plugins import PluginMeta, hookimpl
from .vocabularies import VocabularyDeclaration
from .web.shell import NavItem, Widget

meta = PluginMeta(
    name="directory",
    title="行业协会商会名录",
    version="0.1.0",
    description="协会商会的基本信息、统一社会信用代码、主管单位和状态",
    always_on=True,
)

CATEGORIES = ("行业协会", "商会", "异地商会", "其他")
STATUSES = ("正常", "整改中", "注销", "撤销")
#: Statuses that take an association out of the active population (coverage and others).
INACTIVE_STATUSES = ("注销", "撤销")
#: More members than any association in the city has had (the largest have a few thousand).
MEMBERS_AT_MOST = 100_000
#: The city's "4+10" industrial chains, as demo data for the chain vocabulary.
INDUSTRY_CHAINS = (
    "新一代信息技术", "高端装备", "新材料", "生物医药与大健康",
    "现代金融", "商贸物流", "文化旅游", "科技服务", "绿色低碳", "现代农业",
    "精品钢与先进材料", "智能家电", "量子科技", "空天信息",
)

ASSOCIATION = EntityType(
    name="association",
    label="协会商会",
    description="行业协会商会名录",
    title_field="name",
    fields=(
        Field("name", "名称", required=True, indexed=True, listed=True, max_length=100),
        # What the registration authority decides is the staff's to set, not the association's own.
        Field("uscc", "统一社会信用代码", kind="uscc", required=True, indexed=True, listed=True, unique="tree",
              help="18 位,登记证书上印有", write_roles=STAFF),
        Field("category", "类别", kind="choice", choices=CATEGORIES, required=True, indexed=True, listed=True,
              write_roles=STAFF),
        Field("status", "状态", kind="choice", choices=STATUSES, required=True, default="正常", indexed=True,
              listed=True, write_roles=STAFF),
        Field("supervisor", "业务主管单位", indexed=True, write_roles=STAFF),
        Field("industry_department", "行业管理部门", indexed=True, listed=True, write_roles=STAFF),
        # The choices are the city's 「产业链」 vocabulary; INDUSTRY_CHAINS only where none is defined.
        Field("industry_chain", "所属产业链", kind="choice", vocabulary="industry_chains", choices=INDUSTRY_CHAINS,
              indexed=True),
        Field("registered_on", "登记日期", kind="date", indexed=True, write_roles=STAFF),
        Field("legal_representative", "法定代表人", max_length=40),
        Field("member_count", "会员数", kind="integer", minimum=0, maximum=MEMBERS_AT_MOST, indexed=True),
        Field("address", "地址"),
        Field("contact_phone", "联系电话", kind="phone"),
        Field("tags", "标签", kind="tags", indexed=True),
    ),
)


@hookimpl
def quanhui_entity_types():
    return [ASSOCIATION]


@hookimpl
def quanhui_vocabularies():
    return [VocabularyDeclaration("industry_chains", "产业链", INDUSTRY_CHAINS, description="协会商会所属的产业链")]


@hookimpl
def quanhui_nav_items(tenant, user):
    return [NavItem("协会商会名录", "entities.index", order=10, args={"type_name": "association"})]


@hookimpl
def quanhui_demo_data(session, tenant):
    """The source's scale: 338 city-level associations, and a directory in every district."""
    from .demo.associations import city_associations, district_associations
    from .entities import service_for

    if tenant.is_root:
        from .vocabularies import set_terms

        set_terms(session, tenant, "industry_chains", INDUSTRY_CHAINS, label="产业链", actor=None)
        records = city_associations(338)
    else:
        records = district_associations(tenant.slug, tenant.code, 40 + int(tenant.code) % 37, name=tenant.name)
    service = service_for(tenant)
    association = service.type("association")
    for record in records:
        service.create(association, record)


@hookimpl
def quanhui_dashboard_widgets(tenant, user, scope):
    from .db import session

    with scope.reading(session):
        counts = dict(
            session.execute(
                select(EntityValue.text_value, func.count())
                .where(EntityValue.type == "association", EntityValue.field == "status",
                       EntityValue.tenant_id.in_(scope.tenant_ids))
                .group_by(EntityValue.text_value)
            ).all()
        )
    return [Widget("协会商会", "directory/widget.html", {"counts": counts, "statuses": STATUSES, "scope": scope},
                   order=10, scopes=("own", "subtree"))]
