"""规范整治 (rectification): 整治情形与措施目录、整治行动、案件从线索到结案。

记录类型和流程见 :mod:`.entities`,办理规则(加重处理须说明原因、终止登记)见
:mod:`.cases`,页面见 :mod:`.views`,报表见 :mod:`.reports`,演示数据见 :mod:`.demo`。
"""
from __future__ import annotations

import datetime as dt

from flask import has_request_context

from core.api import NavItem, PluginMeta, Widget, current_user, hookimpl, service_for, session

from .entities import CAMPAIGN, CASE, LEAD, PHASES, SELF_INSPECTION, TYPES

meta = PluginMeta(
    name="rectification",
    title="规范整治",
    version="0.1.0",
    description="整治情形与处理措施目录、专项整治行动、整治案件的核查、整改与结案",
    levels=("city", "district"),
    core=">=0.2,<1",
)


@hookimpl
def quanhui_entity_types():
    return list(TYPES)


@hookimpl
def quanhui_dashboard_widgets(tenant, user, scope):
    """各阶段的案件数和逾期未整改的案件数(工作台选的范围)。"""
    from .views import panel_figures

    with scope.reading(session):
        figures = panel_figures(scope.tenant_ids, dt.date.today())
    return [Widget("规范整治", "rectification/widget.html", figures, order=40, scopes=("own", "subtree"))]


@hookimpl
def quanhui_nav_items(tenant, user):
    items = [
        NavItem("规范整治", "rectification.board", order=40),
        NavItem("整治案件", "rectification.cases", order=41),
    ]
    if getattr(user, "association_id", None) is not None:
        items.append(NavItem("自查自纠", "rectification.self_inspection", order=42, permission="entities.edit"))
    return items


@hookimpl
def quanhui_blueprints():
    from .views import pages

    return [pages]


@hookimpl
def quanhui_reports():
    from .reports import REPORTS

    return list(REPORTS)


def _association_account() -> bool:
    return has_request_context() and current_user.is_authenticated and current_user.user.role == "association"


@hookimpl
def quanhui_validate_entity(tenant, entity_type, data, previous):
    if entity_type.name == CAMPAIGN:
        return _campaign_errors(data)
    if entity_type.name == CASE and _association_account():
        if previous is not None and (previous.get("stage") != LEAD or previous.get("source") != SELF_INSPECTION):
            return {"title": "案件已由工作人员受理,协会账号不能再修改;补充材料请交给办案人员"}
        if data.get("source") != SELF_INSPECTION:
            return {"source": "协会账号只能报告自查自纠发现的问题"}
    return None


def _campaign_errors(data) -> dict:
    """The period must run forwards, and each phase must too, in order, inside the period."""
    errors = {}
    start, end = data.get("start_on"), data.get("end_on")
    if start and end and end < start:
        errors["end_on"] = "结束日期不能早于开始日期"
    previous_start = None
    for key, label in PHASES:
        phase_start, phase_end = data.get(f"{key}_start"), data.get(f"{key}_end")
        if not phase_start or not phase_end:
            continue
        if phase_end < phase_start:
            errors[f"{key}_end"] = f"{label}的结束日期不能早于开始日期"
        elif start and end and (phase_start < start or phase_end > end):
            errors[f"{key}_start"] = f"{label}阶段应在行动期间({start} 至 {end})之内"
        elif previous_start and phase_start < previous_start:
            errors[f"{key}_start"] = f"{label}阶段不能早于上一个阶段开始"
        previous_start = phase_start
    return errors


@hookimpl
def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
    """A measure chosen through the generic pages or API ends the registration too."""
    if entity_type.name != CASE or action != "transition:decide":
        return
    from .cases import end_registration

    service = service_for(tenant)
    case = service.get(service.type(CASE), entity_id)
    if end_registration(service, case) is not None:
        service.commit()


@hookimpl
def quanhui_demo_data(session, tenant):
    from .demo import fill

    fill(session, tenant)
