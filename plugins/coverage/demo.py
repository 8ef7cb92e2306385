"""演示数据:党组织、联合党支部、临时党支部和指导员,过去一年的组建过程,13 个月的快照,
以及市级发布的近一年主题党日参考主题。

记录都经 EntityService 创建(校验、修改记录、索引一应俱全),再把修改记录的时间改成
组建或派驻的日期,这样按修改记录重算的历史与“当时”一致。市级在册协会的组织覆盖率
一年前约 50%,现在约 69%,上升约 19 个百分点。
"""
from __future__ import annotations

import datetime as dt
import random

from sqlalchemy import select, update

from core.api import Entity, EntityRevision, service_for, utcnow

from .entities import JOINT, TEMPORARY
from .figures import INACTIVE_STATUSES
from .snapshots import parse_month, shift, take_snapshot

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜"
GIVEN = ("建国", "海峰", "丽娟", "志强", "秀英", "明", "静", "伟", "芳", "磊", "洁", "勇", "敏", "军", "燕", "涛")
UNITS = ("市委社会工作部", "市民政局", "市工商联", "市发展改革委", "市工业和信息化局", "市商务局", "区委社会工作部")
BRANDS = (
    ("红色引擎·链上先锋", "以党建联建串起产业链上下游,组织会员企业结对攻关。"),
    ("泉心向党", "把党员先锋岗设在服务窗口,每月开展“会企面对面”。"),
    ("匠心党建", "党员技师带徒传艺,年度技能比武由党支部牵头组织。"),
    ("诚信商道", "党支部牵头制定行业自律公约,党员企业带头公开承诺。"),
    ("红帆领航", "组建党员志愿服务队,常态化参与社区治理和助企服务。"),
    ("泉城红链", "围绕“4+10”产业链建立党建联盟,推动供需对接。"),
    ("党建+标准", "党员专家牵头制修订团体标准,以标准提升行业质量。"),
    ("红心惠企", "党员骨干组成政策宣讲团,走访中小会员企业。"),
    ("先锋商会", "异地商会党支部联系家乡与济南,搭建招商引才平台。"),
    ("绿色先锋", "党员企业带头节能降碳,发布行业绿色发展倡议。"),
    ("数智红心", "党员技术骨干帮助会员企业数字化转型。"),
    ("泉韵红帆", "以文化活动凝聚会员,党支部组织行业文化节。"),
)

#: 按月份(1-12)的参考主题和内容建议。
PARTY_DAY_THEMES = {
    1: ("重温入党誓词", "新年第一次组织生活:重温入党誓词,交流年度履职打算。"),
    2: ("学习党章党规", "集中学习党章和有关党内法规,结合行业实际谈体会。"),
    3: ("志愿服务进社区", "组织党员到结对社区开展政策宣讲和便民服务。"),
    4: ("缅怀革命先烈", "到烈士陵园或红色教育基地开展缅怀活动。"),
    5: ("助企纾困在行动", "走访会员企业,收集困难和诉求,形成问题清单。"),
    6: ("七一主题党日", "庆祝建党纪念日,表彰优秀党员,讲一堂党课。"),
    7: ("党员先锋岗亮诺", "在服务窗口和会员企业设立党员先锋岗,公开承诺。"),
    8: ("行业自律与诚信", "学习行业自律公约,开展诚信经营承诺。"),
    9: ("服务产业链发展", "围绕“4+10”产业链开展供需对接。"),
    10: ("学习贯彻全会精神", "专题学习全会精神,研讨落实措施。"),
    11: ("党建引领会企共建", "与结对企业、村居联合开展主题活动。"),
    12: ("年度组织生活会", "召开组织生活会,开展批评与自我批评和民主评议党员。"),
}


def _person(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def _moment(day: dt.date) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, 1, 0, tzinfo=dt.UTC)


def fill(session, tenant) -> None:
    rng = random.Random(int(tenant.code))
    service = service_for(tenant)
    now = utcnow()
    today = now.date()
    this_month = parse_month(None, today=today)
    year_ago = _month_start(shift(this_month, -11))  # 12 个月前那个月之后的第一天
    rows = session.execute(
        select(Entity.id, Entity.data).where(
            Entity.tenant_id == tenant.id, Entity.type == "association", Entity.deleted_at.is_(None)
        ).order_by(Entity.id)
    ).all()
    if not rows:
        return
    ids = [entity_id for entity_id, _ in rows]
    # 名录早已建立:协会的修改记录放到三年前,历史月份里它们都已在册。
    session.execute(
        update(EntityRevision)
        .where(EntityRevision.tenant_id == tenant.id, EntityRevision.entity_id.in_(ids))
        .values(at=now - dt.timedelta(days=3 * 365))
    )
    names = {entity_id: (data or {}).get("name", "") for entity_id, data in rows}
    active = [entity_id for entity_id, data in rows if (data or {}).get("status") not in INACTIVE_STATUSES]
    rng.shuffle(active)
    count = len(active)
    if tenant.is_root:
        before, added = round(0.50 * count), round(0.19 * count)
    else:
        before, added = round(rng.uniform(0.40, 0.55) * count), round(rng.uniform(0.08, 0.15) * count)

    types = {name: service.type(name) for name in ("party_org", "party_org_member", "instructor", "coverage_theme")}
    if tenant.is_root:
        for back in range(11, -1, -1):
            month = shift(this_month, -back)
            title, content = PARTY_DAY_THEMES[int(month[5:])]
            service.create(types["coverage_theme"], {"month": month, "title": title, "content": content})
    dated: list[tuple[int, dt.date]] = []

    brands = list(BRANDS) if tenant.is_root else []

    def _brand(kind: str) -> dict:
        """市级培育的 12 个党建品牌,落在自己的党组织上(在创建时写入,不多出修改记录)。"""
        if kind in (JOINT, TEMPORARY) or not brands or rng.random() > 0.15:
            return {}
        brand, story = brands.pop(0)
        return {"brand_name": brand, "brand_story": story}

    def found(covered: list[int], day: dt.date, kind: str) -> None:
        lead = covered[0]
        if kind == JOINT:
            name = f"{names[lead]}等{len(covered)}家协会联合党支部"
        elif kind == TEMPORARY:
            name = f"{names[lead]}临时党支部"
        else:
            name = f"{names[lead]}{kind}"
        org = service.create(types["party_org"], {
            "name": name[:100], "kind": kind, "association": lead, "founded_on": day.isoformat(),
            "secretary": _person(rng), "member_count": rng.randint(3, 60) if kind != TEMPORARY else rng.randint(1, 3),
            "cross_serving": rng.randint(0, 5), "standard_score": rng.randint(60, 98) if kind != TEMPORARY else None,
            **_brand(kind),
        })
        dated.append((org.id, day))
        for other in covered[1:]:
            member = service.create(types["party_org_member"], {
                "association": other, "party_org": org.id, "joined_on": day.isoformat(),
            })
            dated.append((member.id, day))

    def cover(pool: list[int], target: int, first: dt.date, last: dt.date) -> list[int]:
        done = 0
        span = max((last - first).days, 0)
        while done < target and pool:
            day = first + dt.timedelta(days=rng.randint(0, span))
            if target - done >= 3 and len(pool) >= 3 and rng.random() < 0.12:
                found([pool.pop(), pool.pop(), pool.pop()], day, JOINT)
                done += 3
            else:
                kind = rng.choices(("党支部", "党总支", "党委"), weights=(80, 12, 8))[0]
                found([pool.pop()], day, kind)
                done += 1
        return pool

    pool = list(active)
    pool = cover(pool, before, today - dt.timedelta(days=5 * 365), year_ago - dt.timedelta(days=1))
    pool = cover(pool, added, year_ago, today - dt.timedelta(days=1))
    # 尚未组建的:一部分成立临时党支部,一部分派驻指导员(有的一年多以前就派驻了);
    # 指导员人数少于协会数,一位指导员往往同时指导几家。
    instructors = [
        {"name": _person(rng), "unit": rng.choice(UNITS), "phone": f"0531-8{rng.randint(1000000, 9999999)}"}
        for _ in range(max(2, len(pool) // 4))
    ]
    for association in pool:
        roll = rng.random()
        if roll < 0.25:
            found([association], today - dt.timedelta(days=rng.randint(1, 700)), TEMPORARY)
        elif roll < 0.70:
            start = today - dt.timedelta(days=rng.randint(1, 700))
            end = None if rng.random() < 0.85 else start + dt.timedelta(days=rng.randint(90, 300))
            if end is not None and end >= today:
                end = None
            instructor = service.create(types["instructor"], {
                **rng.choice(instructors), "association": association, "start_on": start.isoformat(),
                "end_on": end.isoformat() if end else None,
            })
            dated.append((instructor.id, start))
    session.flush()
    for entity_id, day in dated:
        session.execute(
            update(EntityRevision)
            .where(EntityRevision.tenant_id == tenant.id, EntityRevision.entity_id == entity_id)
            .values(at=_moment(day))
        )
    for back in range(12, -1, -1):
        take_snapshot(session, tenant, shift(this_month, -back))


def _month_start(month: str) -> dt.date:
    return dt.date(int(month[:4]), int(month[5:]), 1)
