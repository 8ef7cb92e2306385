"""演示数据:与材料一致,全市(市级加 12 个区县)共 186 条会企之声建议、34 份行业发展报告、
151 件已采纳的建议提案。市级和每个区县各有固定份额,合计恰好是这三个数。市级另有一次
课题征集和响应它的三个研究课题。"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import select

from core.api import Entity, service_for

from .entities import BODIES, DEPARTMENTS, LEVELS, SUGGESTION_CATEGORIES

#: (suggestions, industry reports, adopted proposals, proposals not adopted) per tenant:
#: the city's share and each district's; 54 + 12 × 11 = 186, 10 + 12 × 2 = 34, 43 + 12 × 9 = 151.
CITY_SHARE = (54, 10, 43, 12)
DISTRICT_SHARE = (11, 2, 9, 3)

SUBJECTS = (
    "关于优化涉企审批流程的建议", "关于加大中小企业融资支持的建议", "关于完善行业人才引进政策的建议",
    "关于规范涉企检查的建议", "关于支持企业开拓国内外市场的建议", "关于落实减税降费政策的建议",
    "关于降低物流成本的建议", "关于加强知识产权保护的建议", "关于建设行业公共服务平台的建议",
    "关于推动产业链上下游协同的建议", "关于完善政府采购中小企业参与机制的建议", "关于支持数字化转型的建议",
)
PERSONS = ("王建国", "李红梅", "张志强", "刘海燕", "陈立新", "杨文华", "赵明", "孙丽", "周强", "吴静")
REPORT_SUBJECTS = ("行业发展报告", "产业运行分析报告", "行业景气调查报告", "行业人才发展报告")


def fill(session, tenant) -> None:
    suggestions, reports, adopted, not_adopted = CITY_SHARE if tenant.is_root else DISTRICT_SHARE
    associations = list(session.scalars(
        select(Entity.id).where(Entity.tenant_id == tenant.id, Entity.type == "association",
                                Entity.deleted_at.is_(None)).order_by(Entity.id).limit(40)
    ))
    if not associations:
        raise RuntimeError(f"{tenant.name}还没有协会商会名录,请先生成名录的演示数据")
    service = service_for(tenant)
    suggestion, report, proposal = (service.type(name) for name in ("suggestion", "industry_report", "proposal"))
    topic = service.type("research_topic")
    start = dt.date(2024, 1, 8)
    for n in range(suggestions):
        record = service.create(suggestion, {
            "title": f"{tenant.name}{SUBJECTS[n % len(SUBJECTS)]}(第{n + 1}号)",
            "association": associations[n % len(associations)],
            "category": SUGGESTION_CATEGORIES[n % len(SUGGESTION_CATEGORIES)],
            "submitted_on": (start + dt.timedelta(days=(n * 11) % 700)).isoformat(),
            "content": f"{SUBJECTS[n % len(SUBJECTS)]}:会员企业反映的问题和具体建议。",
        })
        steps = n % 6  # 0 已提交 … 4 已采纳, 5 未采纳
        plan = [("assign", {"department": DEPARTMENTS[n % len(DEPARTMENTS)]}), ("handle", {}),
                ("answer", {"reply": "已研究并会同相关部门制定了具体措施,将持续跟进落实。"})]
        plan = plan[:min(steps, 3)] + ([("adopt", {})] if steps == 4 else [("decline", {})] if steps == 5 else [])
        for name, values in plan:
            reason = "现行政策已覆盖,暂不采纳" if name == "decline" else ""
            record = service.transition(suggestion, record, name, record.version, reason=reason, values=values)
    for n in range(reports):
        service.create(report, {
            "title": f"{tenant.name}{2023 + n % 3}年{REPORT_SUBJECTS[n % len(REPORT_SUBJECTS)]}(之{n + 1})",
            "association": associations[n % len(associations)],
            "year": 2023 + n % 3,
        })
    for n in range(adopted + not_adopted):
        service.create(proposal, {
            "title": f"{SUBJECTS[n % len(SUBJECTS)].replace('建议', '提案' if n % 2 else '建议')}",
            "person": PERSONS[n % len(PERSONS)],
            "body": BODIES[n % 2],
            "level": LEVELS[2] if tenant.is_root else LEVELS[3],
            "year": 2023 + n % 3,
            "association": associations[n % len(associations)],
            "adopted": n < adopted,
        })
    if tenant.is_root:
        call = service.create(service.type("research_call"), {
            "year": 2025, "title": "2025年度商协会发展研究课题征集", "deadline": "2025-04-30",
            "content": "围绕民营经济高质量发展、商协会参与基层治理、异地商会服务招商引资等方向,"
                       "面向市、区县两级协会商会和社科研究基地征集研究课题。",
        })
        for n, (title, key) in enumerate((("民营经济高质量发展中商协会作用研究", True),
                                          ("行业协会商会参与基层治理研究", True),
                                          ("异地商会服务招商引资机制研究", False))):
            created = service.create(topic, {
                "year": 2025, "title": title, "research_base": "济南市社科研究基地(商协会发展研究)",
                "lead": PERSONS[n], "lead_association": associations[n], "is_key": key, "call": call.id,
            })
            if n == 0:
                service.transition(topic, created, "approve", created.version)
    service.commit()
