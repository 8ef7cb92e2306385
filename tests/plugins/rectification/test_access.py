"""Who may do what: the city keeps the catalogues, districts read and use them; association
accounts report self-inspections for their own association and see only its cases; other
tenants' cases answer 404; viewers do not handle cases.
"""
from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.audit import AuditEvent
from core.entities.models import Entity
from core.tenancy import system_scope

from .conftest import HX, case_data, new_case

pytestmark = pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia", "shizhong"])


def catalogue_rows(db_session) -> int:
    with system_scope(db_session):
        return db_session.scalar(select(func.count(Entity.id)).where(Entity.type == "rectification_measure"))


def denials(db_session, path_part: str) -> list[AuditEvent]:
    with system_scope(db_session):
        return [e for e in db_session.scalars(select(AuditEvent).where(AuditEvent.action == "auth.denied"))
                if path_part in e.target]


# catalogues ------------------------------------------------------------------------


def test_the_city_edits_the_catalogues_in_the_generic_pages(login_client, db_session, world):
    city = login_client("jinan", "editor")
    added = city.post("/jinan/entities/rectification_measure/", data={
        "name": "列入活动异常名录", "severity": "4", "registration": "保留登记"}, headers=HX)
    assert added.status_code == 204
    listing = city.get("/jinan/entities/rectification_measure/").get_data(as_text=True)
    assert "列入活动异常名录" in listing and "撤销登记" in listing
    page = city.get(f"/jinan/entities/rectification_measure/{world['警告']}").get_data(as_text=True)
    assert "修改" in page


def test_a_district_reads_the_catalogues_but_cannot_change_them(login_client, db_session, world):
    district = login_client("lixia", "admin")
    listing = district.get("/lixia/entities/rectification_measure/").get_data(as_text=True)
    assert "撤销登记" in listing and "济南市" in listing  # the city's rows, with their source
    assert "/lixia/entities/rectification_measure/new" not in listing  # no 新建 button
    before = catalogue_rows(db_session)
    created = district.post("/lixia/entities/rectification_measure/", data={
        "name": "区里自定的措施", "severity": "2", "registration": "保留登记"}, headers=HX)
    assert created.status_code == 403
    assert "处理措施由市级维护,历下区只能查看和选用" in created.get_data(as_text=True)
    changed = district.post(f"/lixia/entities/rectification_measure/{world['警告']}", data={
        "name": "警告(改)", "severity": "3", "registration": "保留登记", "version": "1"}, headers=HX)
    assert changed.status_code == 404  # an ancestor's record is not this tenant's to write
    api = district.patch(f"/api/v1/lixia/entities/rectification_situation/{world['未按期换届']}",
                         json={"name": "改名"}, headers={"If-Match": '"1"'})
    assert api.status_code == 404
    assert catalogue_rows(db_session) == before
    detail = district.get(f"/lixia/entities/rectification_measure/{world['警告']}").get_data(as_text=True)
    assert "警告" in detail and "警告(改)" not in detail
    refused = denials(db_session, "/lixia/entities/rectification_measure/")
    assert refused and "处理措施由市级维护" in refused[0].detail["reason"] and refused[0].actor == "lixia-admin"


def test_a_campaign_runs_forwards_phase_by_phase(login_client, world):
    city = login_client("jinan", "editor")
    answer = city.post("/jinan/entities/rectification_campaign/", data={
        "name": "倒序的行动", "start_on": "2024-06-01", "end_on": "2024-03-01",
        "self_check_start": "2024-03-01", "self_check_end": "2024-02-01",
        "screening_start": "2024-04-01", "screening_end": "2024-04-30",
        "cross_check_start": "2024-03-15", "cross_check_end": "2024-03-31",
        "concentrated_start": "2024-06-01", "concentrated_end": "2024-08-15",
        "summary_start": "2024-08-16", "summary_end": "2024-08-31"}, headers=HX)
    assert answer.status_code == 422
    text = answer.get_data(as_text=True)
    assert "结束日期不能早于开始日期" in text and "自查自纠的结束日期不能早于开始日期" in text


# association accounts ----------------------------------------------------------------


@pytest.fixture
def software(login_client, world):
    """An association account of lixia's 软件协会."""
    return login_client("lixia", "association", association_id=world["软件协会"])


def test_an_association_reports_a_self_inspection_for_itself_only(software, db_session, world):
    form = software.get("/lixia/rectification/self-inspection").get_data(as_text=True)
    assert "未按期换届" in form and "餐饮商会" not in form  # the city's situations; no choice of association
    filed = software.post("/lixia/rectification/self-inspection", data={
        "title": "理事会未按期换届", "situation": str(world["未按期换届"]), "found_on": "2024-03-12",
        "description": "第三届理事会任期已满半年,尚未换届。", "association": str(world["餐饮商会"])}, headers=HX)
    assert filed.status_code == 204
    case_id = int(filed.headers["HX-Redirect"].rsplit("/", 1)[1])
    data = case_data(db_session, "lixia", case_id)
    assert (data["association"], data["source"], data["stage"], data["campaign"]) == (
        world["软件协会"], "自查自纠", "线索", world["行动"])
    page = software.get(f"/lixia/rectification/cases/{case_id}").get_data(as_text=True)
    assert "理事会未按期换届" in page and "data-transition" not in page  # staff handle it
    assert "修改或上传材料" in page  # until the staff take it up, it may add its evidence


def test_a_self_inspection_with_faults_is_returned_with_messages(software):
    refused = software.post("/lixia/rectification/self-inspection", data={
        "title": "", "found_on": "", "description": ""}, headers=HX)
    assert refused.status_code == 422 and refused.headers["HX-Retarget"] == "#self-inspection"
    assert refused.get_data(as_text=True).count('aria-invalid="true"') == 3


def test_an_association_account_sees_only_its_own_cases(software, db_session, world):
    own = new_case(db_session, "lixia", world["软件协会"], title="软件协会违规收费")
    other = new_case(db_session, "lixia", world["餐饮商会"], title="餐饮商会未按期换届")
    listing = software.get("/lixia/rectification/cases/").get_data(as_text=True)
    assert "软件协会违规收费" in listing and "餐饮商会未按期换届" not in listing
    assert software.get(f"/lixia/rectification/cases/{other}").status_code == 404
    assert software.get(f"/lixia/entities/rectification_case/{other}").status_code == 404
    assert software.get(f"/api/v1/lixia/entities/rectification_case/{other}").status_code == 404
    own_page = software.get(f"/lixia/rectification/cases/{own}").get_data(as_text=True)
    assert "软件协会违规收费" in own_page and "修改或上传材料" not in own_page  # found by screening: staff's to edit
    board = software.get("/lixia/rectification/").get_data(as_text=True)
    assert "共 1 件" in board
    # It may not move its case along, nor change one the staff have taken up.
    assert software.post(f"/lixia/rectification/cases/{own}/transitions/verify", data={"version": 1},
                         headers=HX).status_code == 403
    assert case_data(db_session, "lixia", own)["stage"] == "线索"
    edited = software.post(f"/lixia/entities/rectification_case/{own}", data={
        "title": "改个名字", "association": str(world["软件协会"]), "source": "专项摸排", "found_on": "2024-04-10",
        "description": "改写", "version": "1"}, headers=HX)
    assert edited.status_code == 422 and "协会账号不能再修改" in edited.get_data(as_text=True)
    assert case_data(db_session, "lixia", own)["title"] == "软件协会违规收费"


# staff and tenants ---------------------------------------------------------------------


def test_viewers_read_cases_but_do_not_handle_them(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    viewer = login_client("lixia", "viewer")
    assert viewer.get(f"/lixia/rectification/cases/{case_id}").status_code == 200
    assert viewer.get("/lixia/rectification/self-inspection").status_code == 403
    refused = viewer.post(f"/lixia/rectification/cases/{case_id}/transitions/verify", data={"version": 1}, headers=HX)
    assert refused.status_code == 403 and "您的角色不能执行「开始核查」" in refused.get_data(as_text=True)
    assert case_data(db_session, "lixia", case_id)["stage"] == "线索"
    # One refusal, one entry in the audit log, saying who was refused what.
    [denial] = denials(db_session, f"/lixia/rectification/cases/{case_id}/transitions/verify")
    assert denial.actor == "lixia-viewer" and denial.detail["reason"] == "您的角色不能执行「开始核查」"


def test_other_tenants_cases_answer_404(login_client, db_session, world):
    shizhong_case = new_case(db_session, "shizhong", world["物流协会"])
    lixia = login_client("lixia", "admin")
    assert lixia.get(f"/lixia/rectification/cases/{shizhong_case}").status_code == 404
    assert lixia.post(f"/lixia/rectification/cases/{shizhong_case}/transitions/verify", data={"version": 1},
                      headers=HX).status_code == 404
    assert lixia.get("/shizhong/rectification/cases/").status_code == 404
    # The city reads every district.
    assert login_client("jinan", "admin").get(f"/shizhong/rectification/cases/{shizhong_case}").status_code == 200


def test_where_the_plugin_is_off_its_pages_answer_404(login_client):
    huaiyin = login_client("huaiyin", "admin")
    for path in ("/huaiyin/rectification/", "/huaiyin/rectification/cases/", "/huaiyin/rectification/self-inspection"):
        assert huaiyin.get(path).status_code == 404
