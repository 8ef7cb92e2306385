"""演示数据,与材料一致:市级目录有 10 种问题情形、6 种处理措施;全市(市级加 12 个区县)
认定 46 家整治对象,6 种措施都用到,24 家注销或撤销登记。

市级 34 家整治对象(18 家撤销登记),每个区县 1 家(其中 6 个区县的那一家撤销登记):
34 + 12 = 46,18 + 6 = 24。另有未认定的线索、核查中和已排除的案件。每件案件都经流程
操作办理,撤销登记经 :func:`.cases.fire` 改变协会商会的状态,和页面上的办理一样。
"""
from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, select
from sqlalchemy.orm import aliased

from core.api import Entity, EntityValue, service_for

from .cases import catalogue, current_campaign, fire
from .entities import CAMPAIGN, CASE, MEASURE, PHASES, SITUATION, SOURCES

SITUATIONS = (
    ("出租、出借登记证书或印章", "《社会团体登记管理条例》第三十条"),
    ("超出章程规定的宗旨和业务范围开展活动", "《社会团体登记管理条例》第三十条"),
    ("拒不接受或者不按照规定接受监督检查", "《社会团体登记管理条例》第三十条"),
    ("变更事项未按规定办理变更登记或备案", "《社会团体登记管理条例》第三十条"),
    ("擅自设立分支机构、代表机构", "《社会团体登记管理条例》第三十条"),
    ("从事营利性经营活动", "《社会团体登记管理条例》第三十条"),
    ("侵占、私分、挪用资产或所接受的捐赠", "《社会团体登记管理条例》第三十条"),
    ("违反规定收取费用、筹集资金或接受捐赠", "《社会团体登记管理条例》第三十条"),
    ("连续一年以上未开展活动", "《社会组织登记管理机关行政处罚程序规定》"),
    ("未按期换届", "《社会团体登记管理条例》章程示范文本"),
)
#: (措施, 严厉程度, 登记处理), mildest first.
MEASURES = (
    ("约谈提醒", 1, "保留登记"), ("责令改正", 2, "保留登记"), ("警告", 3, "保留登记"),
    ("列入活动异常名录", 4, "保留登记"), ("限期停止活动", 5, "保留登记"), ("撤销登记", 6, "撤销"),
)
REVOKE = 5  # index of 撤销登记 in MEASURES
CAMPAIGN_START = dt.date(2024, 3, 1)
PHASE_DATES = (
    ("2024-03-01", "2024-03-31"), ("2024-04-01", "2024-04-30"), ("2024-05-01", "2024-05-31"),
    ("2024-06-01", "2024-08-15"), ("2024-08-16", "2024-08-31"),
)

# What becomes of each case: the measures chosen one after another (indexes into
# MEASURES), whether it is closed, or the stage it stops at.
ENDED_AFTER_WARNING = {"measures": (0, REVOKE), "close": True}
ENDED = {"measures": (REVOKE,), "close": True}
ENDED_OPEN = {"measures": (REVOKE,), "close": False}
CITY_TARGETS = (
    *[ENDED] * 12, *[ENDED_OPEN] * 4, *[ENDED_AFTER_WARNING] * 2,
    *({"measures": (n,), "close": bool(k)} for n in range(REVOKE) for k in range(2)),
    {"stop": "overdue"}, {"stop": "overdue"}, {"stop": "rectifying"},
    {"stop": "confirmed"}, {"stop": "confirmed"}, {"stop": "confirmed"},
)
CITY_OTHERS = ("lead", "lead", "lead", "lead", "checking", "checking", "checking",
               "excluded", "excluded", "excluded", "excluded", "excluded")
DISTRICT_OTHERS = ("lead", "excluded")
#: The one target of the district at each position (0-11): every other one is revoked.
DISTRICT_TARGETS = (
    ENDED, {"measures": (1,), "close": True}, ENDED, {"stop": "overdue"}, ENDED_OPEN,
    {"measures": (0,), "close": False}, ENDED, {"stop": "rectifying"}, ENDED_AFTER_WARNING,
    {"measures": (2,), "close": True}, ENDED, {"stop": "confirmed"},
)


def fill(session, tenant) -> None:
    service = service_for(tenant)
    if tenant.is_root:
        _catalogues(service)
        targets, others = CITY_TARGETS, CITY_OTHERS
    else:
        # Tenants are numbered in tree order: the city 0, its districts 1-12.
        targets, others = (DISTRICT_TARGETS[(tenant.position - 1) % len(DISTRICT_TARGETS)],), DISTRICT_OTHERS
    situations = catalogue(service, SITUATION)
    measures = [row.id for row in catalogue(service, MEASURE)]
    campaign = current_campaign(service)
    if len(situations) < len(SITUATIONS) or len(measures) < len(MEASURES) or campaign is None:
        raise RuntimeError(f"{tenant.name}看不到市级的整治目录,请先在市级启用规范整治并生成演示数据")
    associations = _active_associations(session, tenant, len(targets) + len(others))
    case_type = service.type(CASE)
    today = dt.date.today()
    for n, (plan, association) in enumerate(zip((*targets, *others), associations, strict=True)):
        found = CAMPAIGN_START + dt.timedelta(days=(n * 5) % 90)
        source = SOURCES[n % len(SOURCES)]
        situation = situations[n % len(situations)]
        problem = situation.data["name"]
        record = service.create(case_type, {
            "title": f"{association['name']}{problem}问题", "association": association["id"],
            "campaign": campaign.id, "source": source, "found_on": found.isoformat(),
            "description": f"{source}中发现:{association['name']}存在“{problem}”的情况。",
        })
        _handle(service, case_type, record, plan, situation.id, measures, found, today)
    service.commit()


def _handle(service, case_type, record, plan, situation, measures, found, today) -> None:
    def step(name, reason="", **values):
        nonlocal record
        record = fire(service, case_type, record, name, record.version, reason=reason, values=values)

    if plan == "lead":
        return
    step("verify")
    if plan == "checking":
        return
    if plan == "excluded":
        step("exclude", reason="经核查,问题已在发现前自行纠正,不列为整治对象")
        return
    step("confirm", situation=situation)
    stop = plan.get("stop")
    if stop == "confirmed":
        return
    deadline = found + dt.timedelta(days=90) if stop != "rectifying" else today + dt.timedelta(days=30)
    step("rectify", deadline=deadline.isoformat())
    if stop:
        return
    previous = None
    for index in plan["measures"]:
        reason = "约谈后仍未整改,依法加重处理" if previous is not None and index > previous else ""
        step("decide", reason=reason, measure=measures[index])
        previous = index
    if plan["close"]:
        step("close", conclusion="处理决定已送达并执行完毕,整改情况经复核属实,予以结案。")


def _catalogues(service) -> None:
    situation, measure, campaign = (service.type(name) for name in (SITUATION, MEASURE, CAMPAIGN))
    for position, (name, basis) in enumerate(SITUATIONS, start=1):
        service.create(situation, {"position": position, "name": name, "basis": basis})
    for name, severity, registration in MEASURES:
        service.create(measure, {"name": name, "severity": severity, "registration": registration})
    phases = {f"{key}_{end}": day for (key, _), dates in zip(PHASES, PHASE_DATES, strict=True)
              for end, day in zip(("start", "end"), dates, strict=True)}
    service.create(campaign, {
        "name": "全市行业协会商会规范整治专项行动", "start_on": "2024-03-01", "end_on": "2024-08-31", **phases,
        "description": "坚持教育为先、惩处在后:协会自查自纠,行业管理部门专项摸排,专班比对反馈,集中整治后总结。",
    })


def _active_associations(session, tenant, wanted: int) -> list[dict]:
    """The tenant's first ``wanted`` associations in the register (status 正常), by id."""
    status, name = aliased(EntityValue), aliased(EntityValue)
    rows = session.execute(
        select(Entity.id, name.text_value)
        .join(status, and_(status.entity_id == Entity.id, status.field == "status", status.text_value == "正常"))
        .join(name, and_(name.entity_id == Entity.id, name.field == "name"))
        .where(Entity.tenant_id == tenant.id, Entity.type == "association", Entity.deleted_at.is_(None))
        .order_by(Entity.id)
        .limit(wanted)
    ).all()
    if len(rows) < wanted:
        raise RuntimeError(f"{tenant.name}的名录里没有足够的在册协会商会,请先生成名录的演示数据")
    return [{"id": entity_id, "name": text} for entity_id, text in rows]
