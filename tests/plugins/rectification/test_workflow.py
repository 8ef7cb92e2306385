"""A case from lead to closure, as a district's staff handle it on the case page.

The specification: each step is a transition on the case page; a step from the wrong state
(线索 straight to 结案) is refused with a message and changes nothing; a harsher measure than
the case's last one needs a reason, and so does reopening; 撤销登记 makes the association
撤销 in the same step, with a revision and an audit entry; cases past their deadline are
flagged as overdue.
"""
from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from core.audit import AuditEvent
from core.tenancy import system_scope

from .conftest import HX, association_status, case_data, new_case

pytestmark = pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia", "shizhong"])


def fire(client, case_id, name, version, **form):
    return client.post(f"/lixia/rectification/cases/{case_id}/transitions/{name}", data={"version": version, **form},
                       headers=HX)


def test_a_case_runs_from_lead_to_closure(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    staff = login_client("lixia", "editor")
    page = staff.get(f"/lixia/rectification/cases/{case_id}").get_data(as_text=True)
    assert '<mark data-testid="state">线索</mark>' in page
    assert 'data-transition="verify"' in page and 'data-transition="close"' not in page  # only what may follow
    steps = [
        ("verify", {}, "核查中"),
        ("confirm", {"situation": world["超出章程规定的宗旨和业务范围开展活动"]}, "认定为整治对象"),
        ("rectify", {"deadline": "2024-07-31"}, "整改中"),
        ("decide", {"measure": world["约谈提醒"]}, "已处理"),
        ("close", {"conclusion": "已停止评比表彰并退还费用,经复核属实。"}, "结案"),
    ]
    for version, (name, form, state) in enumerate(steps, start=1):
        answer = fire(staff, case_id, name, version, **form)
        assert answer.status_code == 204, answer.get_data(as_text=True)
        assert answer.headers["HX-Redirect"] == f"/lixia/rectification/cases/{case_id}"
        assert case_data(db_session, "lixia", case_id)["stage"] == state
    page = staff.get(f"/lixia/rectification/cases/{case_id}").get_data(as_text=True)
    timeline = page.split("办理经过")[1]
    for label in ("登记", "开始核查", "认定为整治对象", "责令整改", "作出处理", "结案"):
        assert label in timeline
    assert "lixia-editor" in timeline and "整改中 → 已处理" in timeline
    assert association_status(db_session, "lixia", world["软件协会"]) == "正常"  # 约谈提醒 keeps the registration


def test_a_step_from_the_wrong_state_is_refused_and_changes_nothing(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    staff = login_client("lixia", "editor")
    refused = fire(staff, case_id, "close", 1, conclusion="直接结案")
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "「结案」没有执行" in text and "当前状态为「线索」,不能执行「结案」(只能从「已处理」执行)" in text
    data = case_data(db_session, "lixia", case_id)
    assert data["stage"] == "线索" and "conclusion" not in data
    # The same through the platform's API.
    api = staff.post(f"/api/v1/lixia/entities/rectification_case/{case_id}/transitions/close",
                     json={"values": {"conclusion": "直接结案"}}, headers={"If-Match": '"1"'})
    assert api.status_code == 422 and "不能执行「结案」" in api.json["error"]["message"]
    assert case_data(db_session, "lixia", case_id)["stage"] == "线索"


def advance(client, case_id, world, deadline="2024-07-31"):
    """线索 → 整改中; the case's version after it (4)."""
    for version, (name, form) in enumerate((
        ("verify", {}), ("confirm", {"situation": world["未按期换届"]}), ("rectify", {"deadline": deadline}),
    ), start=1):
        assert fire(client, case_id, name, version, **form).status_code == 204
    return 4


def test_a_harsher_measure_than_the_last_needs_a_reason(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    staff = login_client("lixia", "editor")
    version = advance(staff, case_id, world)
    assert fire(staff, case_id, "decide", version, measure=world["约谈提醒"]).status_code == 204
    refused = fire(staff, case_id, "decide", version + 1, measure=world["警告"])
    assert refused.status_code == 422
    assert "「警告」比上次的处理措施「约谈提醒」更严厉,请在“原因”里说明加重处理的理由" in refused.get_data(as_text=True)
    assert case_data(db_session, "lixia", case_id)["measure"] == world["约谈提醒"]
    accepted = fire(staff, case_id, "decide", version + 1, measure=world["警告"], reason="约谈后仍继续收费")
    assert accepted.status_code == 204
    assert case_data(db_session, "lixia", case_id)["measure"] == world["警告"]
    # A milder one needs no reason.
    assert fire(staff, case_id, "decide", version + 2, measure=world["约谈提醒"]).status_code == 204


def test_reopening_needs_a_reason(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    staff = login_client("lixia", "editor")
    assert fire(staff, case_id, "verify", 1).status_code == 204
    assert fire(staff, case_id, "exclude", 2, reason="已自行纠正").status_code == 204
    refused = fire(staff, case_id, "reopen", 3)
    assert refused.status_code == 422 and "请填写原因" in refused.get_data(as_text=True)
    assert case_data(db_session, "lixia", case_id)["stage"] == "排除"
    assert fire(staff, case_id, "reopen", 3, reason="群众再次举报").status_code == 204
    assert case_data(db_session, "lixia", case_id)["stage"] == "核查中"


def test_revocation_makes_the_association_revoked_in_the_same_step(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["餐饮商会"])
    staff = login_client("lixia", "editor")
    version = advance(staff, case_id, world)
    assert association_status(db_session, "lixia", world["餐饮商会"]) == "正常"
    assert fire(staff, case_id, "decide", version, measure=world["撤销登记"]).status_code == 204
    assert association_status(db_session, "lixia", world["餐饮商会"]) == "撤销"
    association_page = staff.get(f"/lixia/entities/association/{world['餐饮商会']}").get_data(as_text=True)
    assert "撤销" in association_page and "lixia-editor" in association_page  # a revision by who decided
    with system_scope(db_session):
        events = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "rectification.registration_ended")).all()
    assert [(e.target, e.detail["status"], e.detail["measure"], e.actor) for e in events] == [
        (f"association/{world['餐饮商会']}", "撤销", "撤销登记", "lixia-editor")]


def test_a_measure_chosen_through_the_api_ends_the_registration_too(api_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["餐饮商会"])
    client = api_client("lixia", "editor")
    steps = (("verify", {}), ("confirm", {"situation": world["未按期换届"]}), ("rectify", {"deadline": "2024-09-30"}),
             ("decide", {"measure": world["注销登记"]}))
    for version, (name, values) in enumerate(steps, start=1):
        answer = client.post(f"/api/v1/lixia/entities/rectification_case/{case_id}/transitions/{name}",
                             json={"values": values}, headers={"If-Match": f'"{version}"'})
        assert answer.status_code == 200, answer.get_data(as_text=True)
    assert association_status(db_session, "lixia", world["餐饮商会"]) == "注销"


def test_cases_past_their_deadline_are_flagged_overdue(login_client, db_session, world):
    late = new_case(db_session, "lixia", world["软件协会"], title="逾期未换届")
    on_time = new_case(db_session, "lixia", world["餐饮商会"], title="按期整改中")
    staff = login_client("lixia", "editor")
    advance(staff, late, world, deadline="2024-07-31")
    advance(staff, on_time, world, deadline=(dt.date.today() + dt.timedelta(days=10)).isoformat())
    days = (dt.date.today() - dt.date(2024, 7, 31)).days
    listing = staff.get("/lixia/rectification/cases/").get_data(as_text=True)
    row = next(part for part in listing.split("<tr") if "逾期未换届" in part)
    assert 'class="overdue"' in row and f"逾期 {days} 天" in row
    other = next(part for part in listing.split("<tr") if "按期整改中" in part)
    assert "逾期" not in other.replace("按期整改中", "")
    only_late = staff.get("/lixia/rectification/cases/?overdue=1", headers={**HX, "HX-Target": "case-table"})
    text = only_late.get_data(as_text=True)
    assert "逾期未换届" in text and "按期整改中" not in text and "<h1>" not in text
    page = staff.get(f"/lixia/rectification/cases/{late}").get_data(as_text=True)
    assert f"已逾期 {days} 天" in page
