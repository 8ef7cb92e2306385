"""Workflows: a record's state moves only by firing a transition its actor may fire.

The specification is a rectification case as the plugins to come will declare it:
线索 → 核查中 → 认定为整治对象 (or 排除) → 整改中 → 已处理 → 结案, reopening with a
reason, a harsher measure only with a reason, closing only for those holding a
permission, and a plugin's own check through ``quanhui_validate_entity``.
"""
from __future__ import annotations

import datetime as dt
import json
import types

import pytest
from sqlalchemy import func, select

from core.api import Permission, PluginMeta, hookimpl
from core.audit import AuditEvent
from core.auth.accounts import create_api_token
from core.auth.models import User
from core.db import session
from core.entities import service_for
from core.entities.definitions import DefinitionError, EntityType, Field, State, Transition, Workflow
from core.entities.models import Entity, EntityRevision, EntityValue
from core.entities.service import Conflict, Forbidden, Invalid, NotFound
from core.tenancy import TenantScope, system_scope, use_scope

HX = {"HX-Request": "true"}
MEASURES = ("约谈提醒", "责令整改", "撤销登记")
FUTURE = (dt.date.today() + dt.timedelta(days=30)).isoformat()
PAST = (dt.date.today() - dt.timedelta(days=1)).isoformat()


def rectify_guard(data, context):
    """Harsher measures need a reason; the deadline may not lie in the past."""
    if data.get("measure") == "撤销登记" and not context.reason:
        return "选择「撤销登记」这一较重措施,须说明原因"
    if data.get("deadline") and dt.date.fromisoformat(data["deadline"]) < dt.date.today():
        return "整改期限不能早于今天"
    return None


CASE = EntityType(
    "casework_case", "整治案件",
    fields=(
        Field("name", "案件名称", required=True, indexed=True, listed=True),
        Field("measure", "整改措施", kind="choice", choices=MEASURES),
        Field("deadline", "整改期限", kind="date"),
        Field("note", "备注"),
    ),
    workflow=Workflow(
        field="stage",
        label="办理状态",
        initial="线索",
        states=(
            State("线索"), State("核查中"), State("认定为整治对象"), State("排除", final=True),
            State("整改中"), State("已处理"), State("结案", final=True),
        ),
        transitions=(
            Transition("verify", "开始核查", ("线索",), "核查中"),
            Transition("confirm", "认定为整治对象", ("核查中",), "认定为整治对象", roles=("admin",)),
            Transition("exclude", "排除", ("核查中",), "排除", needs_reason=True),
            Transition("rectify", "开始整改", ("认定为整治对象",), "整改中", fields=("measure", "deadline"),
                       guard=rectify_guard),
            Transition("done", "整改完成", ("整改中",), "已处理"),
            Transition("close", "结案", ("已处理",), "结案", permission="casework.close"),
            Transition("reopen", "重新打开", ("结案", "排除"), "核查中", needs_reason=True),
        ),
    ),
)


def casework_plugin(seen: list):
    module = types.ModuleType("casework_plugin")
    module.meta = PluginMeta(name="casework", title="整治案件", version="1.0.0")
    module.quanhui_entity_types = hookimpl(lambda: [CASE])
    module.quanhui_permissions = hookimpl(lambda: [Permission("casework.close", "结案", roles=("admin",))])

    def quanhui_validate_entity(tenant, entity_type, data, previous):
        # A plugin's own rule, seen by transitions too: a case marked for review stays open.
        if entity_type.name == "casework_case" and data.get("stage") == "结案" and data.get("note") == "待复查":
            return {"note": "备注为“待复查”的案件不能结案"}

    def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
        if entity_type.name == "casework_case":
            seen.append(action)

    module.quanhui_validate_entity = hookimpl(quanhui_validate_entity)
    module.quanhui_entity_changed = hookimpl(quanhui_entity_changed)
    return module


SEEN: list = []
casework = pytest.mark.quanhui_plugins(casework_plugin(SEEN))
enabled = pytest.mark.enable_plugins("casework", tenants=["lixia", "shizhong"])


@pytest.fixture
def as_user(app, db_session, make_user, tenant):
    """``as_user("editor")``: lixia's service acting for a new lixia user of that role."""
    lixia = tenant("lixia")
    made: dict[str, int] = {}

    def service(role: str = "editor"):
        if role not in made:
            made[role] = make_user("lixia", role).id
        with system_scope(db_session):
            user = db_session.get(User, made[role])
        return service_for(lixia, actor=user)

    with use_scope(db_session, TenantScope.of(lixia)):
        yield service


def new_case(service, **data):
    case = service.create(service.type("casework_case"), {"name": "某商会违规收费", **data})
    service.commit()
    return case


def fire(service, case, name, **kwargs):
    entity = service.transition(service.type("casework_case"), case, name, case.version, **kwargs)
    service.commit()
    return entity


# definitions ------------------------------------------------------------


def test_the_state_field_is_added_as_an_indexed_listed_choice_starting_at_the_initial_state():
    stage = CASE.field("stage")
    assert (stage.label, stage.kind, stage.indexed, stage.listed, stage.default) == ("办理状态", "choice", True, True, "线索")
    assert stage.choices == ("线索", "核查中", "认定为整治对象", "排除", "整改中", "已处理", "结案")


def test_a_declared_state_field_must_offer_exactly_the_states():
    workflow = Workflow("stage", (State("新"), State("旧")), (Transition("age", "变旧", ("新",), "旧"),), "新")
    fields = (Field("name", "名称"),)
    placed = EntityType("thing", "物品", fields=(Field("stage", "阶段", kind="choice", choices=("旧", "新")), *fields),
                        workflow=workflow)
    assert [f.name for f in placed.fields] == ["stage", "name"] and placed.field("stage").choices == ("新", "旧")
    with pytest.raises(DefinitionError, match="选项恰好是流程的状态"):
        EntityType("thing", "物品", fields=(*fields, Field("stage", "阶段", kind="choice", choices=("新",))),
                   workflow=workflow)


@pytest.mark.parametrize("build, message", [
    (lambda: Workflow("stage", (State("新"),), (), "旧"), "初始状态"),
    (lambda: Workflow("stage", (State("新"), State("新")), (), "新"), "重名状态"),
    (lambda: Workflow("stage", (State("新"),), (Transition("go", "走", ("新",), "远方"),), "新"), "未知的状态:远方"),
    (lambda: Workflow("stage", (State("新"),), (Transition("go", "走", ("新",), "新"),) * 2, "新"), "重名操作"),
    (lambda: Transition("Go!", "走", ("新",), "新"), "流程操作名"),
    (lambda: Transition("go", "走", "新", "新"), "应为元组"),
    (lambda: EntityType("thing", "物品", fields=(Field("name", "名称"),), workflow=Workflow(
        "stage", (State("新"),), (Transition("go", "走", ("新",), "新", fields=("deadline",)),), "新")), "deadline"),
])
def test_a_workflow_that_cannot_work_is_refused_with_the_reason(build, message):
    with pytest.raises(DefinitionError, match=message):
        build()


# the service ------------------------------------------------------------


@casework
@enabled
def test_a_case_walks_from_lead_to_closed_with_a_revision_and_an_audit_entry_per_step(as_user, db_session):
    SEEN.clear()
    editor, admin = as_user("editor"), as_user("admin")
    case = new_case(editor)
    assert case.data["stage"] == "线索" and case.version == 1
    fire(editor, case, "verify")
    fire(admin, case, "confirm")
    fire(editor, case, "rectify", values={"measure": "责令整改", "deadline": FUTURE})
    fire(editor, case, "done")
    fire(admin, case, "close")
    assert case.data["stage"] == "结案" and case.version == 6
    assert case.data["measure"] == "责令整改" and case.data["deadline"] == FUTURE
    revisions = editor.revisions(case)
    assert [r.action for r in revisions] == [
        "create", "transition:verify", "transition:confirm", "transition:rectify", "transition:done", "transition:close"
    ]
    assert (revisions[3].before["stage"], revisions[3].after["stage"]) == ("认定为整治对象", "整改中")
    assert revisions[2].by_name == "lixia-admin"
    with system_scope(db_session):
        events = db_session.scalars(
            select(AuditEvent).where(AuditEvent.action == "entity.transition").order_by(AuditEvent.id)
        ).all()
    assert [(e.detail["transition"], e.detail["from"], e.detail["to"], e.actor) for e in events] == [
        ("verify", "线索", "核查中", "lixia-editor"),
        ("confirm", "核查中", "认定为整治对象", "lixia-admin"),
        ("rectify", "认定为整治对象", "整改中", "lixia-editor"),
        ("done", "整改中", "已处理", "lixia-editor"),
        ("close", "已处理", "结案", "lixia-admin"),
    ]
    assert events[0].target == f"casework_case/{case.id}"
    assert SEEN == ["create", "transition:verify", "transition:confirm", "transition:rectify", "transition:done",
                    "transition:close"]
    stages = db_session.scalars(
        select(EntityValue.text_value).where(EntityValue.entity_id == case.id, EntityValue.field == "stage")
    ).all()
    assert stages == ["结案"]  # the projection follows, so lists filter on the state


@casework
@enabled
def test_a_transition_from_another_state_is_refused_naming_the_current_state(as_user):
    editor = as_user("editor")
    case = new_case(editor)
    with pytest.raises(Invalid) as refused:
        fire(editor, case, "done")
    assert refused.value.errors == {"stage": ["当前状态为「线索」,不能执行「整改完成」(只能从「整改中」执行)"]}
    assert case.version == 1 and len(editor.revisions(case)) == 1


@casework
@enabled
def test_an_unknown_transition_is_not_found(as_user):
    editor = as_user("editor")
    case = new_case(editor)
    with pytest.raises(NotFound):
        fire(editor, case, "teleport")


@casework
@enabled
def test_who_may_fire_is_the_transitions_roles_and_permission(as_user):
    editor, admin, viewer = as_user("editor"), as_user("admin"), as_user("viewer")
    case = new_case(editor)
    with pytest.raises(Forbidden, match="您的角色不能执行「开始核查」"):
        fire(viewer, case, "verify")
    fire(editor, case, "verify")
    with pytest.raises(Forbidden, match="认定为整治对象"):
        fire(editor, case, "confirm")  # admins only
    fire(admin, case, "confirm")
    fire(editor, case, "rectify", values={"measure": "约谈提醒", "deadline": FUTURE})
    fire(editor, case, "done")
    with pytest.raises(Forbidden):
        fire(editor, case, "close")  # the editor's role is listed, but lacks casework.close
    assert [t.name for t in editor.available_transitions(editor.type("casework_case"), case)] == []
    assert [t.name for t in admin.available_transitions(admin.type("casework_case"), case)] == ["close"]
    fire(admin, case, "close")


@casework
@enabled
def test_a_reason_is_required_where_the_transition_asks_for_one_and_kept(as_user):
    editor = as_user("editor")
    case = new_case(editor)
    fire(editor, case, "verify")
    with pytest.raises(Invalid) as refused:
        fire(editor, case, "exclude", reason="   ")
    assert refused.value.errors == {"reason": ["请填写原因"]}
    fire(editor, case, "exclude", reason="经核查,收费项目已备案,不属违规")
    fire(editor, case, "reopen", reason="群众再次反映,重新核查")
    assert case.data["stage"] == "核查中"
    reasons = [(r.action, r.reason) for r in editor.revisions(case)][-2:]
    assert reasons == [("transition:exclude", "经核查,收费项目已备案,不属违规"), ("transition:reopen", "群众再次反映,重新核查")]


@casework
@enabled
def test_fields_filled_while_firing_are_required_validated_and_limited_to_the_transitions_own(as_user):
    editor, admin = as_user("editor"), as_user("admin")
    case = new_case(editor)
    fire(editor, case, "verify")
    fire(admin, case, "confirm")
    with pytest.raises(Invalid) as refused:
        fire(editor, case, "rectify", values={"measure": "罚款", "note": "顺便改备注"})
    assert refused.value.errors == {
        "note": ["「开始整改」不填写这一项"],
        "deadline": ["此项必填"],
        "measure": ["请从以下选项中选择:约谈提醒、责令整改、撤销登记"],
    }
    assert case.data["stage"] == "认定为整治对象" and case.version == 3


@casework
@enabled
def test_a_guard_refuses_with_its_own_message(as_user):
    editor, admin = as_user("editor"), as_user("admin")
    case = new_case(editor)
    fire(editor, case, "verify")
    fire(admin, case, "confirm")
    with pytest.raises(Invalid) as harsh:
        fire(editor, case, "rectify", values={"measure": "撤销登记", "deadline": FUTURE})
    assert harsh.value.errors == {"stage": ["选择「撤销登记」这一较重措施,须说明原因"]}
    with pytest.raises(Invalid) as late:
        fire(editor, case, "rectify", values={"measure": "约谈提醒", "deadline": PAST})
    assert late.value.errors == {"stage": ["整改期限不能早于今天"]}
    fire(editor, case, "rectify", values={"measure": "撤销登记", "deadline": FUTURE}, reason="多次整改不到位")
    assert case.data["stage"] == "整改中"


@casework
@enabled
def test_a_plugins_validation_hook_sees_the_transition_too(as_user):
    editor, admin = as_user("editor"), as_user("admin")
    case = new_case(editor, note="待复查")
    for name, service, values in (("verify", editor, None), ("confirm", admin, None),
                                  ("rectify", editor, {"measure": "约谈提醒", "deadline": FUTURE}), ("done", editor, None)):
        fire(service, case, name, values=values)
    with pytest.raises(Invalid) as refused:
        fire(admin, case, "close")
    assert refused.value.errors == {"note": ["备注为“待复查”的案件不能结案"]}


@casework
@enabled
def test_a_stale_version_is_a_conflict_and_changes_nothing(as_user):
    editor = as_user("editor")
    case = new_case(editor)
    with pytest.raises(Conflict) as conflict:
        editor.transition(editor.type("casework_case"), case, "verify", expected_version=7)
    assert conflict.value.current.version == 1 and case.data["stage"] == "线索"


@casework
@enabled
def test_the_state_starts_at_the_initial_one_and_no_plain_update_changes_it(as_user):
    editor = as_user("editor")
    case_type = editor.type("casework_case")
    with pytest.raises(Invalid) as refused:
        editor.create(case_type, {"name": "直接结案的案件", "stage": "结案"})
    assert refused.value.errors == {"stage": ["新记录的办理状态总是「线索」,之后通过流程操作改变"]}
    case = new_case(editor, stage="线索")
    with pytest.raises(Invalid) as update:
        editor.update(case_type, case, {"stage": "结案"}, expected_version=1)
    assert update.value.errors == {"stage": ["状态只能通过流程操作改变"]}
    with pytest.raises(Invalid):
        editor.update(case_type, case, {"stage": ""}, expected_version=1)
    editor.update(case_type, case, {"name": "某商会违规收费(续)", "stage": "线索"}, expected_version=1)
    editor.commit()
    assert case.version == 2 and case.data["stage"] == "线索"


@casework
@enabled
def test_without_an_actor_the_system_may_fire_any_transition_but_guards_still_apply(app, db_session, tenant):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        system = service_for(lixia)
        case = new_case(system)
        fire(system, case, "verify")
        fire(system, case, "confirm")
        with pytest.raises(Invalid):
            fire(system, case, "rectify", values={"measure": "撤销登记", "deadline": FUTURE})
    with system_scope(db_session):
        event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "entity.transition")).first()
    assert event.actor_id is None  # nobody: the system acted


# the detail page --------------------------------------------------------


def create_page_case(client) -> int:
    response = client.post("/lixia/entities/casework_case/", data={"name": "某商会违规收费"}, headers=HX)
    assert response.status_code == 204, response.get_data(as_text=True)
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


def transition_url(case_id: int, name: str) -> str:
    return f"/lixia/entities/casework_case/{case_id}/transitions/{name}"


@casework
@enabled
def test_the_detail_page_shows_the_state_and_the_buttons_the_user_may_press(login_client):
    editor = login_client("lixia", "editor")
    case_id = create_page_case(editor)
    page = editor.get(f"/lixia/entities/casework_case/{case_id}").get_data(as_text=True)
    assert '<mark data-testid="state">线索</mark>' in page and "办理状态" in page
    assert 'data-transition="verify"' in page and ">开始核查</button>" in page
    assert 'data-transition="confirm"' not in page and 'data-transition="exclude"' not in page
    assert editor.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX).status_code == 204
    page = editor.get(f"/lixia/entities/casework_case/{case_id}").get_data(as_text=True)
    assert '<mark data-testid="state">核查中</mark>' in page
    # Excluding needs a reason: its button opens a small form; admins-only confirm is not offered.
    assert "<summary role=\"button\" class=\"outline\">排除</summary>" in page and 'name="reason"' in page
    assert 'data-transition="confirm"' not in page
    viewer_page = login_client("lixia", "viewer").get(f"/lixia/entities/casework_case/{case_id}").get_data(as_text=True)
    assert "<mark data-testid=\"state\">核查中</mark>" in viewer_page and "data-transition" not in viewer_page


@casework
@enabled
def test_a_refused_transition_shows_its_message_in_place_and_keeps_the_input(login_client, app):
    editor = login_client("lixia", "editor")
    case_id = create_page_case(editor)
    editor.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX)
    refused = editor.post(transition_url(case_id, "exclude"), data={"version": "2", "reason": ""}, headers=HX)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert html.lstrip().startswith('<section id="workflow"')  # only the panel, swapped in place
    assert "「排除」没有执行" in html and "请填写原因" in html and "<details open>" in html
    wrong = editor.post(transition_url(case_id, "done"), data={"version": "2"}, headers=HX)
    assert wrong.status_code == 422 and "当前状态为「核查中」,不能执行「整改完成」" in wrong.get_data(as_text=True)
    with app.app_context(), system_scope(session):
        assert session.get(Entity, case_id).version == 2


@casework
@enabled
def test_the_history_lists_each_transition_with_who_and_why(login_client):
    editor = login_client("lixia", "editor")
    case_id = create_page_case(editor)
    editor.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX)
    done = editor.post(transition_url(case_id, "exclude"), data={"version": "2", "reason": "收费已备案"})
    assert done.status_code == 303  # a plain form post lands back on the record
    page = editor.get(done.location).get_data(as_text=True)
    assert '<mark data-testid="state">排除</mark>' in page and "(已办结)" in page
    history = page.split('data-testid="workflow-history"')[1].split("</table>")[0]
    assert "核查中 → 排除" in history and "收费已备案" in history and "lixia-editor" in history
    assert "线索 → 核查中" in history
    assert "<td>排除</td>" in page.split("修改记录")[1]  # the revision list names the transition


@casework
@enabled
def test_a_stale_button_gets_409_with_the_current_state_and_changes_nothing(login_client, app):
    first, second = login_client("lixia", "editor"), login_client("lixia", "admin")
    case_id = create_page_case(first)
    assert first.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX).status_code == 204
    stale = second.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX)
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "现为第 2 版,办理状态为「核查中」" in html and "「开始核查」没有执行" in html
    assert 'data-transition="confirm"' in html and 'name="version" value="2"' in html  # fresh buttons
    with app.app_context(), system_scope(session):
        assert session.scalar(select(func.count(EntityRevision.id)).where(EntityRevision.entity_id == case_id)) == 2


@casework
@enabled
def test_a_role_that_may_not_fire_gets_403_and_the_denial_is_audited(login_client, app):
    editor = login_client("lixia", "editor")
    case_id = create_page_case(editor)
    editor.post(transition_url(case_id, "verify"), data={"version": "1"}, headers=HX)
    refused = editor.post(transition_url(case_id, "confirm"), data={"version": "2"}, headers=HX)
    assert refused.status_code == 403
    viewer = login_client("lixia", "viewer")
    assert viewer.post(transition_url(case_id, "confirm"), data={"version": "2"}).status_code == 403
    with app.app_context(), system_scope(session):
        assert session.get(Entity, case_id).data["stage"] == "核查中"
        denials = session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.denied")).all()
        assert [d.detail.get("permission") for d in denials] == ["transition:confirm", "transition:confirm"]


@casework
@enabled
def test_the_edit_form_cannot_change_the_state(login_client, app):
    editor = login_client("lixia", "editor")
    case_id = create_page_case(editor)
    response = editor.post(f"/lixia/entities/casework_case/{case_id}",
                           data={"name": "某商会违规收费", "stage": "结案", "version": "1"}, headers=HX)
    assert response.status_code == 422 and "状态只能通过流程操作改变" in response.get_data(as_text=True)


@casework
@enabled
def test_the_list_filters_on_the_state_like_any_indexed_choice(login_client):
    editor = login_client("lixia", "editor")
    first = create_page_case(editor)
    create_page_case(editor)
    editor.post(transition_url(first, "verify"), data={"version": "1"}, headers=HX)
    listing = editor.get("/lixia/entities/casework_case/?stage=核查中").get_data(as_text=True)
    assert listing.count(f"/lixia/entities/casework_case/{first}\"") == 1
    assert listing.count("某商会违规收费") == 1
    assert "办理状态" in listing


@casework
@enabled
def test_another_tenants_case_is_404(login_client):
    lixia = login_client("lixia", "editor")
    case_id = create_page_case(lixia)
    shizhong = login_client("shizhong", "admin")
    assert shizhong.post(transition_url(case_id, "verify"), data={"version": "1"}).status_code == 404
    url = f"/shizhong/entities/casework_case/{case_id}/transitions/verify"
    assert shizhong.post(url, data={"version": "1"}).status_code == 404


@casework
@enabled
def test_a_type_without_a_workflow_has_no_transitions(login_client):
    editor = login_client("lixia", "editor")
    created = editor.post("/lixia/entities/association/", headers=HX, data={
        "name": "济南市软件行业协会", "uscc": "51420000MJH200395N", "category": "行业协会", "status": "正常"})
    association = created.headers["HX-Redirect"]
    assert editor.post(f"{association}/transitions/verify", data={"version": "1"}).status_code == 404
    assert 'id="workflow"' not in editor.get(association).get_data(as_text=True)


# the API ----------------------------------------------------------------


API = "/api/v1/lixia/entities/casework_case"


@pytest.fixture
def bearer(app, make_user):
    def make(role: str, slug: str = "lixia") -> dict:
        user = make_user(slug, role, username=f"{slug}-{role}-api")
        with app.app_context():
            value = create_api_token(session, user, "流程对接", actor=None)
            session.commit()
        return {"Authorization": f"Bearer {value}"}

    return make


@casework
@enabled
def test_the_api_fires_transitions_with_if_match_and_lists_those_the_caller_may_fire(client, bearer):
    editor, admin = bearer("editor"), bearer("admin")
    created = client.post(API, json={"name": "某商会违规收费"}, headers=editor)
    assert created.status_code == 201
    body = created.json
    assert body["data"]["stage"] == "线索" and body["transitions"] == ["verify"]
    url = f"{API}/{body['id']}/transitions/verify"
    assert client.post(url, headers=editor).status_code == 428
    fired = client.post(url, headers={**editor, "If-Match": '"1"'})
    assert fired.status_code == 200, fired.json
    assert fired.headers["ETag"] == '"2"' and fired.json["data"]["stage"] == "核查中"
    assert fired.json["transitions"] == ["exclude"]  # confirm is for admins
    assert client.get(f"{API}/{body['id']}", headers=admin).json["transitions"] == ["confirm", "exclude"]
    excluded = client.post(f"{API}/{body['id']}/transitions/exclude", json={"reason": "已备案"},
                           headers={**editor, "If-Match": '"2"'})
    assert excluded.status_code == 200 and excluded.json["data"]["stage"] == "排除"


@casework
@enabled
def test_the_api_refuses_in_chinese_with_the_right_status(client, bearer):
    editor, admin = bearer("editor"), bearer("admin")
    case_id = client.post(API, json={"name": "某商会违规收费"}, headers=editor).json["id"]
    url = f"{API}/{case_id}/transitions"
    stale = client.post(f"{url}/verify", headers={**editor, "If-Match": '"9"'})
    assert stale.status_code == 412 and stale.json["current"]["data"]["stage"] == "线索"
    wrong = client.post(f"{url}/done", headers={**editor, "If-Match": '"1"'})
    assert wrong.status_code == 422
    assert wrong.json["error"]["fields"] == {"stage": ["当前状态为「线索」,不能执行「整改完成」(只能从「整改中」执行)"]}
    client.post(f"{url}/verify", headers={**editor, "If-Match": '"1"'})
    forbidden = client.post(f"{url}/confirm", headers={**editor, "If-Match": '"2"'})
    assert forbidden.status_code == 403 and forbidden.json["error"]["message"] == "您的角色不能执行「认定为整治对象」"
    no_reason = client.post(f"{url}/exclude", json={}, headers={**editor, "If-Match": '"2"'})
    assert no_reason.status_code == 422 and no_reason.json["error"]["fields"] == {"reason": ["请填写原因"]}
    assert client.post(f"{url}/confirm", headers={**admin, "If-Match": '"2"'}).status_code == 200
    harsh = client.post(f"{url}/rectify", json={"values": {"measure": "撤销登记", "deadline": FUTURE}},
                        headers={**editor, "If-Match": '"3"'})
    assert harsh.status_code == 422
    assert harsh.json["error"]["message"] == "「开始整改」没有执行:选择「撤销登记」这一较重措施,须说明原因"
    odd = client.post(f"{url}/rectify", json={"values": ["撤销登记"], "why": "x"}, headers={**editor, "If-Match": '"3"'})
    assert odd.status_code == 422 and set(odd.json["error"]["fields"]) == {"values", "why"}
    unknown = client.post(f"{url}/teleport", headers={**editor, "If-Match": '"3"'})
    assert unknown.status_code == 404 and "teleport" in unknown.json["error"]["message"]
    not_json = client.post(f"{url}/rectify", data="{", content_type="application/json", headers={**editor, "If-Match": '"3"'})
    assert not_json.status_code == 400
    done = client.post(f"{url}/rectify", json={"values": {"measure": "约谈提醒", "deadline": FUTURE}},
                       headers={**editor, "If-Match": '"3"'})
    assert done.status_code == 200 and done.json["data"]["measure"] == "约谈提醒"
    patched = client.patch(f"{API}/{case_id}", json={"stage": "结案"}, headers={**editor, "If-Match": '"4"'})
    assert patched.status_code == 422 and patched.json["error"]["fields"] == {"stage": ["状态只能通过流程操作改变"]}


@casework
@enabled
def test_another_tenants_case_is_404_in_the_api(client, bearer):
    lixia = bearer("editor")
    case_id = client.post(API, json={"name": "某商会违规收费"}, headers=lixia).json["id"]
    shizhong = bearer("admin", "shizhong")
    answer = client.post(f"{API}/{case_id}/transitions/verify", headers={**shizhong, "If-Match": '"1"'})
    assert answer.status_code == 404
    foreign = f"/api/v1/shizhong/entities/casework_case/{case_id}/transitions/verify"
    assert client.post(foreign, headers={**shizhong, "If-Match": '"1"'}).status_code == 404


@casework
def test_the_openapi_document_describes_the_transitions(client):
    doc = client.get("/api/openapi.json").json
    path = doc["paths"]["/api/v1/{tenant}/entities/casework_case/{id}/transitions/{name}"]["post"]
    name = next(p for p in path["parameters"] if p["name"] == "name")
    assert name["schema"]["enum"] == ["verify", "confirm", "exclude", "rectify", "done", "close", "reopen"]
    assert "`exclude` 排除:核查中 → 排除(需填写原因)" in path["description"]
    schemas = doc["components"]["schemas"]
    values = schemas["CaseworkCaseTransition"]["properties"]["values"]["properties"]
    assert set(values) == {"measure", "deadline"} and values["measure"]["enum"][:3] == list(MEASURES)
    assert "transitions" in schemas["CaseworkCaseItem"]["required"]
    assert "transitions" not in schemas["AssociationItem"]["properties"]
    json.dumps(doc)  # the guard functions leave no trace in the document
