"""规范整治的记录类型:整治情形目录、处理措施目录、整治行动,以及整治案件和它的流程。

情形、措施和整治行动由市级维护(``published=True, kept_by=("city",)``):各区县列表里能看到、
案件里能选用,但不能新建或修改(平台拒绝并记入审计)。案件属于它所涉及的协会商会
(``owner_field``):协会账号只看得到本协会的案件,只能为本协会提交自查自纠。
"""
from __future__ import annotations

from core.api import STAFF, EntityType, Field, State, Transition, Workflow

SITUATION = "rectification_situation"
MEASURE = "rectification_measure"
CAMPAIGN = "rectification_campaign"
CASE = "rectification_case"

#: 案件来源,恰好对应整治行动的前三个阶段。
SELF_INSPECTION = "自查自纠"
SOURCES = (SELF_INSPECTION, "专项摸排", "比对反馈")
#: 整治行动的阶段:(字段名前缀, 名称)。
PHASES = (
    ("self_check", "自查自纠"), ("screening", "专项摸排"), ("cross_check", "比对反馈"),
    ("concentrated", "集中整治"), ("summary", "总结"),
)
#: 措施对登记的影响;后两种措施作出时,协会商会的状态随之改为注销或撤销。
KEEPS_REGISTRATION = "保留登记"
ENDING_OUTCOMES = ("注销", "撤销")
OUTCOMES = (KEEPS_REGISTRATION, *ENDING_OUTCOMES)

LEAD, CHECKING, CONFIRMED, EXCLUDED = "线索", "核查中", "认定为整治对象", "排除"
RECTIFYING, HANDLED, CLOSED = "整改中", "已处理", "结案"
STATES = (LEAD, CHECKING, CONFIRMED, EXCLUDED, RECTIFYING, HANDLED, CLOSED)
#: 案件处在这些状态时,它涉及的协会商会是整治对象。
TARGET_STATES = (CONFIRMED, RECTIFYING, HANDLED, CLOSED)


def _deadline_guard(data, context):
    """整改期限不能早于发现问题的日期。"""
    deadline, found = data.get("deadline"), data.get("found_on")
    if deadline and found and str(deadline) < str(found):
        return f"整改期限({deadline})不能早于发现日期({found})"
    return None


def _measure_guard(data, context):
    """改用比上次更严厉的措施,须说明原因(教育为先、惩处在后)。"""
    from .cases import harsher_without_reason

    return harsher_without_reason(context.tenant, context.actor, context.previous.get("measure"),
                                  data.get("measure"), context.reason)


SITUATION_TYPE = EntityType(
    name=SITUATION,
    label="整治情形",
    description="不规范情形的目录,市级维护,各区县只读",
    title_field="name",
    published=True,
    kept_by=("city",),
    fields=(
        Field("position", "序号", kind="integer", required=True, indexed=True, listed=True, minimum=1, maximum=99),
        Field("name", "情形", required=True, indexed=True, listed=True, max_length=60),
        Field("basis", "依据", listed=True, max_length=120, help="如《社会团体登记管理条例》第三十条"),
        Field("description", "说明", kind="long_text", max_length=2000),
    ),
)

MEASURE_TYPE = EntityType(
    name=MEASURE,
    label="处理措施",
    description="处理措施的目录,按严厉程度排列,市级维护,各区县只读",
    title_field="name",
    published=True,
    kept_by=("city",),
    fields=(
        Field("severity", "严厉程度", kind="integer", required=True, indexed=True, listed=True, minimum=1, maximum=99,
              help="数字越大越严厉;同一案件改用更严厉的措施须说明原因"),
        Field("name", "措施", required=True, indexed=True, listed=True, max_length=40),
        Field("registration", "登记处理", kind="choice", choices=OUTCOMES, required=True, default=KEEPS_REGISTRATION,
              indexed=True, listed=True,
              help="选“注销”或“撤销”的措施:案件作出处理时,协会商会的状态随之改为注销或撤销"),
        Field("description", "说明", kind="long_text", max_length=2000),
    ),
)

CAMPAIGN_TYPE = EntityType(
    name=CAMPAIGN,
    label="整治行动",
    description="专项整治行动:时间和五个阶段,市级发布,各区县参加",
    title_field="name",
    published=True,
    kept_by=("city",),
    fields=(
        Field("name", "行动名称", required=True, indexed=True, listed=True, max_length=80),
        Field("start_on", "开始日期", kind="date", required=True, indexed=True, listed=True),
        Field("end_on", "结束日期", kind="date", required=True, indexed=True, listed=True),
        *(field for key, label in PHASES for field in (
            Field(f"{key}_start", f"{label}开始", kind="date", required=True),
            Field(f"{key}_end", f"{label}结束", kind="date", required=True),
        )),
        Field("description", "工作要求", kind="long_text", max_length=5000),
    ),
)

CASE_TYPE = EntityType(
    name=CASE,
    label="整治案件",
    description="一家协会商会的一个问题:从线索、核查、认定、整改到处理和结案",
    title_field="title",
    owner_field="association",
    fields=(
        Field("title", "案件名称", required=True, indexed=True, listed=True, max_length=100),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("campaign", "整治行动", kind="reference", target=CAMPAIGN, indexed=True),
        Field("source", "来源", kind="choice", choices=SOURCES, required=True, indexed=True, listed=True,
              help="自查自纠:协会自己报告;专项摸排:行业管理部门排查;比对反馈:专班比对数据后反馈"),
        Field("situation", "问题情形", kind="reference", target=SITUATION, indexed=True, listed=True,
              help="认定为整治对象时必须选择"),
        Field("found_on", "发现日期", kind="date", required=True, indexed=True, listed=True),
        Field("description", "问题描述", kind="long_text", required=True, max_length=5000),
        Field("evidence", "证据材料", kind="file"),
        Field("deadline", "整改期限", kind="date", indexed=True, listed=True, help="责令整改时填写", write_roles=STAFF),
        Field("measure", "处理措施", kind="reference", target=MEASURE, indexed=True, listed=True,
              help="作出处理时选择;比上次更严厉须说明原因", write_roles=STAFF),
        Field("rectification_proof", "整改材料", kind="file"),
        Field("conclusion", "结案意见", kind="long_text", max_length=5000, help="结案时填写", write_roles=STAFF),
    ),
    workflow=Workflow(
        field="stage",
        label="办理状态",
        initial=LEAD,
        states=tuple(State(name, final=name in (EXCLUDED, CLOSED)) for name in STATES),
        transitions=(
            Transition("verify", "开始核查", (LEAD,), CHECKING, roles=STAFF),
            Transition("confirm", "认定为整治对象", (CHECKING,), CONFIRMED, roles=STAFF, fields=("situation",)),
            Transition("exclude", "排除", (CHECKING,), EXCLUDED, roles=STAFF, needs_reason=True),
            Transition("rectify", "责令整改", (CONFIRMED,), RECTIFYING, roles=STAFF, fields=("deadline",),
                       guard=_deadline_guard),
            Transition("decide", "作出处理", (RECTIFYING, HANDLED), HANDLED, roles=STAFF, fields=("measure",),
                       guard=_measure_guard),
            Transition("close", "结案", (HANDLED,), CLOSED, roles=STAFF, fields=("conclusion",)),
            Transition("reopen", "重新办理", (EXCLUDED, CLOSED), CHECKING, roles=STAFF, needs_reason=True),
        ),
    ),
)

TYPES = (SITUATION_TYPE, MEASURE_TYPE, CAMPAIGN_TYPE, CASE_TYPE)
