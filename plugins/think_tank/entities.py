"""智库与会企之声的记录类型:研究课题、会企之声建议、行业发展报告、“两代表一委员”建议提案。

参与协会:核心没有“多个关联记录”的字段类型,研究课题用一个关联字段记牵头协会
(``lead_association``),其余参与协会写在文本字段 ``partners`` 里。

课题征集(``research_call``)是发布型记录:市级发布,各区县在自己的列表里只读地看到,
本单位的课题可以关联它。
"""
from __future__ import annotations

from core.api import STAFF, EntityType, Field, State, Transition, Workflow

TOPIC_STATES = ("征集", "立项", "调研中", "结题", "成果转化")
SUGGESTION_CATEGORIES = ("营商环境", "政策落实", "融资服务", "人才引进", "市场拓展", "行业监管", "其他")
SUGGESTION_STATES = ("已提交", "已分办", "办理中", "已答复", "已采纳", "未采纳")
BODIES = ("人大", "政协")
LEVELS = ("全国", "省级", "市级", "区县级")
#: The city's list of departments suggestions are routed to (a vocabulary; free text is allowed too).
DEPARTMENTS_VOCABULARY = "think_tank_departments"
DEPARTMENTS = ("市发展改革委", "市工业和信息化局", "市商务局", "市市场监管局", "市人力资源社会保障局", "市地方金融监管局")


def _reply_guard(data, context):
    reply = (data.get("reply") or "").strip()
    return None if len(reply) >= 10 else "答复内容至少 10 个字"


RESEARCH_CALL = EntityType(
    name="research_call",
    label="课题征集",
    description="市级向各区县发布的研究课题征集;区县只读,本单位的研究课题可注明响应哪一次征集",
    title_field="title",
    published=True,
    kept_by=("city",),
    fields=(
        Field("year", "年度", kind="integer", required=True, indexed=True, listed=True, minimum=2000, maximum=2100),
        Field("title", "征集名称", required=True, indexed=True, listed=True, max_length=100),
        Field("deadline", "申报截止日期", kind="date", indexed=True, listed=True),
        Field("content", "征集说明与选题方向", kind="long_text", required=True, max_length=5000),
        Field("notice", "征集通知文件", kind="file"),
    ),
)

RESEARCH_TOPIC = EntityType(
    name="research_topic",
    label="研究课题",
    description="社科研究基地每年选定的研究课题;市级发布课题征集,区县可查阅",
    title_field="title",
    fields=(
        Field("year", "年度", kind="integer", required=True, indexed=True, listed=True, minimum=2000, maximum=2100),
        Field("title", "课题名称", required=True, indexed=True, listed=True, max_length=100),
        Field("research_base", "研究基地", indexed=True, listed=True, max_length=60),
        Field("lead", "课题负责人", max_length=40),
        Field("call", "响应的课题征集", kind="reference", target="research_call", indexed=True,
              help="市级或本单位发布的课题征集,可不填"),
        Field("lead_association", "牵头协会商会", kind="reference", target="association", indexed=True),
        Field("partners", "其他参与协会商会", kind="long_text", help="每行一家"),
        Field("is_key", "重点课题", kind="boolean", indexed=True, listed=True, default=False,
              help="每年的重点课题数有上限(默认 2 项,市级在「词表」里设置)"),
        Field("summary", "研究内容", kind="long_text"),
    ),
    workflow=Workflow(
        field="stage",
        label="课题状态",
        initial="征集",
        states=tuple(State(name, final=(name == "成果转化")) for name in TOPIC_STATES),
        transitions=(
            Transition("approve", "立项", ("征集",), "立项", roles=("admin",)),
            Transition("start", "开始调研", ("立项",), "调研中"),
            Transition("conclude", "结题", ("调研中",), "结题"),
            Transition("transform", "成果转化", ("结题",), "成果转化"),
        ),
    ),
)

SUGGESTION = EntityType(
    name="suggestion",
    label="会企之声建议",
    description="协会商会和企业通过“会企之声”提出的意见建议,分办到部门办理并答复",
    title_field="title",
    owner_field="association",
    fields=(
        Field("title", "标题", required=True, indexed=True, listed=True, max_length=100),
        Field("association", "协会商会", kind="reference", target="association", required=True, indexed=True,
              listed=True),
        Field("category", "类别", kind="choice", choices=SUGGESTION_CATEGORIES, required=True, indexed=True,
              listed=True),
        Field("submitted_on", "提交日期", kind="date", required=True, indexed=True, listed=True),
        Field("content", "建议内容", kind="long_text", required=True, max_length=5000),
        Field("attachment", "附件", kind="file", help="调研材料、照片等;多个文件请打包成 zip 上传"),
        Field("department", "承办部门", indexed=True, max_length=60, help="分办时填写", write_roles=STAFF),
        Field("reply", "答复意见", kind="long_text", max_length=5000, help="答复时填写,至少 10 个字", write_roles=STAFF),
    ),
    workflow=Workflow(
        field="stage",
        label="办理状态",
        initial="已提交",
        states=tuple(State(name, final=name in ("已采纳", "未采纳")) for name in SUGGESTION_STATES),
        transitions=(
            Transition("assign", "分办", ("已提交",), "已分办", fields=("department",)),
            Transition("handle", "开始办理", ("已分办",), "办理中"),
            Transition("answer", "答复", ("办理中",), "已答复", fields=("reply",), guard=_reply_guard),
            Transition("adopt", "采纳", ("已答复",), "已采纳"),
            Transition("decline", "不予采纳", ("已答复",), "未采纳", needs_reason=True),
        ),
    ),
)

INDUSTRY_REPORT = EntityType(
    name="industry_report",
    label="行业发展报告",
    title_field="title",
    fields=(
        Field("title", "报告名称", required=True, indexed=True, listed=True, max_length=100),
        Field("association", "协会商会", kind="reference", target="association", indexed=True, listed=True),
        Field("year", "年度", kind="integer", required=True, indexed=True, listed=True, minimum=2000, maximum=2100),
        Field("suggestions", "关联建议编号", help="会企之声建议的编号,用逗号分隔,如 12,15"),
        Field("topics", "关联研究课题", kind="long_text", help="课题名称,每行一项"),
        Field("abstract", "报告摘要", kind="long_text"),
        Field("file", "报告文件", kind="file", help="报告全文,PDF 或 Word(docx)"),
    ),
)

PROPOSAL = EntityType(
    name="proposal",
    label="建议提案",
    description="协会商会中的人大代表、政协委员(两代表一委员)提出的建议和提案",
    title_field="title",
    needs_confirmation=True,
    fields=(
        Field("title", "题目", required=True, indexed=True, listed=True, max_length=100),
        Field("person", "代表委员", required=True, indexed=True, listed=True, max_length=40),
        Field("body", "类别", kind="choice", choices=BODIES, required=True, indexed=True, listed=True,
              help="人大代表建议或政协委员提案"),
        Field("level", "层级", kind="choice", choices=LEVELS, required=True, indexed=True),
        Field("year", "年度", kind="integer", required=True, indexed=True, listed=True, minimum=2000, maximum=2100),
        Field("association", "所在协会商会", kind="reference", target="association", indexed=True),
        Field("adopted", "已采纳", kind="boolean", indexed=True, listed=True, default=False, write_roles=STAFF),
    ),
)

TYPES = (RESEARCH_CALL, RESEARCH_TOPIC, SUGGESTION, INDUSTRY_REPORT, PROPOSAL)
