"""examples/leader_review, installed with pip (Makefile's test setup), found through its
entry point: the app is built without naming it, and the joint review runs end to end
over HTTP in lixia while shizhong, which has not enabled it, answers 404.
"""
import pytest

HX = {"HX-Request": "true"}
DEPARTMENTS = ("业务主管单位", "行业管理部门", "社会工作部门", "登记管理机关")

pytestmark = pytest.mark.enable_plugins("leader_review", tenants=["lixia"])


def created_id(response) -> int:
    assert response.status_code == 204, response.get_data(as_text=True)
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


def test_it_is_discovered_through_its_entry_point_not_an_import_path(app):
    plugin = app.extensions["quanhui.plugins"].plugins["leader_review"]
    assert plugin.status == "loaded" and plugin.source == "quanhui-leader-review"
    assert plugin.meta.title == "负责人人选联审"


def test_the_joint_review_end_to_end_in_one_district(login_client):
    admin = login_client("lixia", "admin")
    association = created_id(admin.post("/lixia/entities/association/", headers=HX, data={
        "name": "历下区软件行业协会", "uscc": "513701020000010116", "category": "行业协会"}))
    account = login_client("lixia", "association", association_id=association)
    editor = login_client("lixia", "editor")
    city = login_client("jinan", "admin")

    candidate = created_id(account.post("/lixia/entities/leader_candidate/", headers=HX,
                                        data={"name": "李四", "position": "秘书长"}))
    url = f"/lixia/entities/leader_candidate/{candidate}"
    for department in DEPARTMENTS[:3]:
        created_id(editor.post("/lixia/entities/leader_review_opinion/", headers=HX, data={
            "candidate": str(candidate), "department": department, "opinion": "同意"}))
    early = city.post(f"{url}/transitions/approve", headers=HX, data={"version": "1"})
    assert early.status_code == 422 and "尚未提交审核意见的部门:登记管理机关" in early.get_data(as_text=True)
    created_id(editor.post("/lixia/entities/leader_review_opinion/", headers=HX, data={
        "candidate": str(candidate), "department": "登记管理机关", "opinion": "同意"}))
    assert city.post(f"{url}/transitions/approve", headers=HX, data={"version": "1"}).status_code == 204
    assert "已审定同意" in account.get(url).get_data(as_text=True)
    audit = admin.get("/lixia/admin/audit?action=entity.transition").get_data(as_text=True)
    assert f"leader_candidate/{candidate}" in audit

    shizhong = login_client("shizhong", "admin")
    assert shizhong.get("/shizhong/entities/leader_candidate/").status_code == 404
    assert shizhong.get("/api/v1/shizhong/reports/leader_review.by_stage").status_code == 404
