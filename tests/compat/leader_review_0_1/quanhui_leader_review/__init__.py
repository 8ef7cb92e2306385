"""负责人人选联审: online joint review of association leader candidates.

A third-party plugin as its own package: it imports only ``core.api`` and reaches the
platform only through hooks. No blueprint of its own: the core's generic record pages,
API, workflow buttons, revisions and audit log do the work.

- An association account submits a ``leader_candidate`` (owned by its association).
- Each reviewing department files one ``leader_review_opinion`` on it (同意/不同意).
- The city's admin fires ``approve`` only when every department has agreed (a guard
  naming the departments still missing or disagreeing) or ``reject`` with a reason;
  a district's own admin may not decide: the decision belongs to the level above.
"""
from __future__ import annotations

from core.api import (
    Chart,
    Column,
    EntityType,
    Field,
    NavItem,
    PluginMeta,
    Report,
    ReportContext,
    State,
    Transition,
    Workflow,
    count_by,
    hookimpl,
    service_for,
    session,
)

meta = PluginMeta(
    name="leader_review",
    title="负责人人选联审",
    version="1.0.0",
    description="协会商会拟任负责人人选由各部门线上并行审核,全部同意后由市级审定",
    levels=("city", "district"),
    core=">=0.1,<1",
)

CANDIDATE = "leader_candidate"
OPINION = "leader_review_opinion"
#: The departments that must all agree, in the order the refusal names them.
DEPARTMENTS = ("业务主管单位", "行业管理部门", "社会工作部门", "登记管理机关")
AGREE, DISAGREE = "同意", "不同意"
REVIEWING, APPROVED, REJECTED = "联审中", "已审定同意", "不予同意"


def _opinions(tenant, candidate_id: int) -> dict[str, set[str]]:
    """Department -> the opinions filed on one candidate: one grouped SQL count."""
    context = ReportContext(session=session, tenant=tenant, tenant_ids=(tenant.id,), rollup=False, params={},
                            service=service_for(tenant))
    found: dict[str, set[str]] = {}
    for row in count_by(context, OPINION, group_by=("department", "opinion"), where={"candidate": candidate_id}):
        found.setdefault(row["department"], set()).add(row["opinion"])
    return found


def _decided_by_the_level_above(context) -> str | None:
    actor = context.actor
    if actor is not None and actor.tenant_id not in context.tenant.ancestor_ids:
        return "人选须由上级(市级)审定,本单位不能自行决定"
    return None


def all_departments_agree(data, context) -> str | None:
    """The guard of ``approve``: every department agreed, none disagreed."""
    refusal = _decided_by_the_level_above(context)
    if refusal:
        return refusal
    opinions = _opinions(context.tenant, context.entity.id)
    missing = [d for d in DEPARTMENTS if d not in opinions]
    against = [d for d in DEPARTMENTS if DISAGREE in opinions.get(d, ())]
    problems = []
    if missing:
        problems.append(f"尚未提交审核意见的部门:{'、'.join(missing)}")
    if against:
        problems.append(f"不同意的部门:{'、'.join(against)}")
    return "不能审定同意。" + ";".join(problems) if problems else None


CANDIDATE_TYPE = EntityType(
    name=CANDIDATE,
    label="负责人人选",
    title_field="name",
    owner_field="association",
    fields=(
        Field("name", "人选姓名", required=True, indexed=True, listed=True),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True, listed=True),
        Field("position", "拟任职务", kind="choice", choices=("会长", "副会长", "秘书长", "监事长"), required=True,
              indexed=True, listed=True),
        Field("resume", "主要经历", kind="long_text", help="工作经历、任职情况等"),
    ),
    workflow=Workflow(
        field="stage",
        label="审核状态",
        initial=REVIEWING,
        states=(State(REVIEWING), State(APPROVED, final=True), State(REJECTED, final=True)),
        transitions=(
            Transition("approve", "审定同意", sources=(REVIEWING,), target=APPROVED, roles=("admin",),
                       guard=all_departments_agree),
            Transition("reject", "不予同意", sources=(REVIEWING,), target=REJECTED, roles=("admin",),
                       needs_reason=True, guard=lambda data, context: _decided_by_the_level_above(context)),
        ),
    ),
)

OPINION_TYPE = EntityType(
    name=OPINION,
    label="部门审核意见",
    title_field="department",
    fields=(
        Field("candidate", "负责人人选", kind="reference", target=CANDIDATE, required=True, indexed=True, listed=True),
        Field("department", "审核部门", kind="choice", choices=DEPARTMENTS, required=True, indexed=True, listed=True),
        Field("opinion", "审核意见", kind="choice", choices=(AGREE, DISAGREE), required=True, indexed=True, listed=True),
        Field("remarks", "意见说明", kind="long_text"),
    ),
)


@hookimpl
def quanhui_entity_types():
    return [CANDIDATE_TYPE, OPINION_TYPE]


@hookimpl
def quanhui_validate_entity(tenant, entity_type, data, previous):
    """One opinion per department and candidate; a disagreement says why."""
    if entity_type.name != OPINION:
        return None
    errors = {}
    if data.get("opinion") == DISAGREE and not (data.get("remarks") or "").strip():
        errors["remarks"] = "不同意时请写明理由"
    candidate, department = data.get("candidate"), data.get("department")
    changed = previous is None or (previous.get("candidate"), previous.get("department")) != (candidate, department)
    if candidate and department and changed and department in _opinions(tenant, candidate):
        errors["department"] = f"{department}已对该人选提交过审核意见,请修改原意见"
    return errors or None


@hookimpl
def quanhui_nav_items(tenant, user):
    return [
        NavItem("负责人人选", "entities.index", order=60, args={"type_name": CANDIDATE}),
        NavItem("部门审核意见", "entities.index", order=61, args={"type_name": OPINION}, permission="entities.edit"),
    ]


def _by_stage(context):
    return count_by(context, CANDIDATE, group_by=("stage",))


@hookimpl
def quanhui_reports():
    return [
        Report(
            name="leader_review.by_stage",
            title="负责人人选按审核状态统计",
            query=_by_stage,
            columns=(Column("stage", "审核状态"), Column("count", "人数", "integer")),
            chart=Chart("bar", label="stage", series=("count",)),
        )
    ]
