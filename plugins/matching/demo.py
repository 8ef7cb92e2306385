"""演示数据,与材料一致:市级“泉城行”“区县行”对接了 160 家协会商会(对接中或已结对),
达成 55 个合作意向,落地 23 个项目,投资额合计 1,192,800,000.00 元(近 12 亿元)。
区县各有几个村和社区、几家设置了可提供资源的协会,供工作台演示,不计入上述数字。"""
from __future__ import annotations

import datetime as dt
import decimal

from sqlalchemy import select

from core.api import Entity, service_for

from .entities import CAPACITY, DISTRICT, DISTRICTS, NEEDS, OFFERS, TOWN

LINKED, INTENTIONS = 160, 55
#: 23 project amounts in yuan (exact); they add up to 1,192,800,000.00.
AMOUNTS = (
    "180000000.00", "150000000.00", "120000000.00", "96000000.00", "85000000.00", "72000000.00", "65000000.00",
    "58000000.00", "52000000.00", "46000000.00", "40000000.00", "36000000.00", "32000000.00", "28000000.00",
    "25000000.00", "22000000.00", "18500000.00", "16800000.00", "15000000.00", "12500000.00", "10000000.00",
    "8500000.00", "4500000.00",
)
TOWNS = ("中心街道", "东城街道", "西城街道", "南部镇", "北部镇")
CHAINS = ("现代农业", "文化旅游", "商贸物流", "新一代信息技术", "高端装备", "生物医药与大健康", "绿色低碳")
VILLAGE_NAMES = ("东坞", "西营", "南山", "北岭", "柳埠", "仲宫", "锦绣", "泉泸", "石匣", "杨家")
COMMUNITY_NAMES = ("泉景", "舜华", "燕山", "甸柳", "玉函", "千佛山", "阳光", "丁家庄")
ENTERPRISE_NAMES = ("泉城食品", "齐鲁机械", "鲁信物流", "明湖软件", "华山生物", "黄河农机")
PROJECT_SUBJECTS = ("特色农产品深加工", "乡村文旅综合体", "冷链物流中心", "智慧社区服务平台", "智能装备产业园",
                    "中药材种植基地", "光伏农业示范园", "电商直播基地")


def _targets(service, type_name, names, count, offset, district_pool):
    kind = service.type(type_name)
    created = []
    for n in range(count):
        district = district_pool[n % len(district_pool)]
        created.append(service.create(kind, {
            "name": f"{district}{names[n % len(names)]}{'村' if type_name == 'village' else '社区' if type_name == 'community' else '有限公司'}"
                    + (f"{n // len(names) + 1}" if n >= len(names) else ""),
            "district": district, "town": TOWNS[(n + offset) % len(TOWNS)],
            "industry_chains": [CHAINS[(n + offset) % len(CHAINS)]],
            "needs": [NEEDS[(n + offset) % len(NEEDS)], NEEDS[(n + offset + 3) % len(NEEDS)]],
            "minimum": 1 if n % 3 == 0 else 0, "maximum": 1 + n % 2,
        }))
    return created


def fill(session, tenant) -> None:
    service = service_for(tenant)
    association_type = service.type("association")
    records = list(session.scalars(select(Entity).where(
        Entity.tenant_id == tenant.id, Entity.type == "association", Entity.deleted_at.is_(None)).order_by(Entity.id)))
    if not records:
        raise RuntimeError(f"{tenant.name}还没有协会商会名录,请先生成名录的演示数据")
    own_district = tenant.name if tenant.name in DISTRICTS else None
    for n, record in enumerate(records):
        service.update(association_type, record, {
            OFFERS: [NEEDS[n % len(NEEDS)], NEEDS[(n + 2) % len(NEEDS)]],
            CAPACITY: 1 + n % 3,
            DISTRICT: own_district or (DISTRICTS[n % 12] if n % 4 else None),
            TOWN: TOWNS[n % len(TOWNS)] if (own_district or n % 4) else None,
        }, expected_version=record.version)
    if not tenant.is_root:
        pool = (own_district or DISTRICTS[0],)
        _targets(service, "village", VILLAGE_NAMES, 6, 0, pool)
        _targets(service, "community", COMMUNITY_NAMES, 4, 1, pool)
        service.commit()
        return

    pool = DISTRICTS[:12]
    targets = (
        [("百会联百村", "village", t) for t in _targets(service, "village", VILLAGE_NAMES, 80, 0, pool)]
        + [("百会联百社", "community", t) for t in _targets(service, "community", COMMUNITY_NAMES, 50, 1, pool)]
        + [("万企赋能", "enterprise", t) for t in _targets(service, "enterprise", ENTERPRISE_NAMES, 40, 2, pool)]
    )
    pairing_type = service.type("pairing")
    start = dt.date(2024, 3, 1)
    pairings = []
    for n in range(LINKED):
        programme, field, target = targets[n % len(targets)]
        association = records[n]
        record = service.create(pairing_type, {
            "title": f"{association.data['name']} — {target.data['name']}"[:200], "programme": programme,
            "association": association.id, field: target.id,
            "started_on": (start + dt.timedelta(days=(n * 5) % 600)).isoformat(),
        })
        record = service.transition(pairing_type, record, "contact", record.version)
        if n % 4:
            record = service.transition(pairing_type, record, "confirm", record.version)
        pairings.append((record, association, target))
    intention_type, project_type = service.type("intention"), service.type("project")
    intentions = []
    for n in range(INTENTIONS):
        pairing, association, target = pairings[n]
        intentions.append(service.create(intention_type, {
            "title": f"{target.data['name']}{PROJECT_SUBJECTS[n % len(PROJECT_SUBJECTS)]}合作意向",
            "association": association.id, "pairing": pairing.id, "district": target.data["district"],
            "signed_on": (start + dt.timedelta(days=30 + (n * 9) % 500)).isoformat(),
        }))
    for n, amount in enumerate(AMOUNTS):
        pairing, association, target = pairings[n]
        signed = start + dt.timedelta(days=60 + n * 23)
        service.create(project_type, {
            "title": f"{target.data['district']}{PROJECT_SUBJECTS[n % len(PROJECT_SUBJECTS)]}项目",
            "association": association.id, "pairing": pairing.id, "intention": intentions[n].id,
            "district": target.data["district"], "amount": str(decimal.Decimal(amount)),
            "status": ("已签约", "在建", "已投产")[n % 3], "signed_on": signed.isoformat(),
            "started_on": (signed + dt.timedelta(days=45)).isoformat() if n % 3 else None,
            "completed_on": (signed + dt.timedelta(days=300)).isoformat() if n % 3 == 2 else None,
        })
    service.commit()
