"""负责人人选联审, as its users see it: an association submits, departments review in
parallel, the city decides only when all agree, and every step is on the record.

Fixtures come from core.testing (quanhui's pytest plugin). The ``quanhui_plugins`` marker
makes the tests run before the package is installed too; once it is (pip), quanhui finds
the plugin through its entry point.
"""
import pytest

HX = {"HX-Request": "true"}
DEPARTMENTS = ("业务主管单位", "行业管理部门", "社会工作部门", "登记管理机关")
# Valid unified social credit codes (GB 32100-2015) of two lixia associations.
SOFTWARE, CATERING = "513701020000010116", "5137010200000102XX"

pytestmark = [
    pytest.mark.quanhui_plugins("quanhui_leader_review"),
    pytest.mark.enable_plugins("leader_review", tenants=["lixia"]),
]


def created_id(response) -> int:
    assert response.status_code == 204, response.get_data(as_text=True)
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


@pytest.fixture
def people(login_client):
    """lixia's admin with two associations in its directory, the software association's
    account, a lixia editor who records the departments' opinions, and the city's admin."""
    admin = login_client("lixia", "admin")
    ids = {}
    for name, code in (("历下区软件行业协会", SOFTWARE), ("历下区餐饮商会", CATERING)):
        ids[name] = created_id(admin.post("/lixia/entities/association/", headers=HX,
                                          data={"name": name, "uscc": code, "category": "行业协会"}))
    return {
        "admin": admin,
        "association": login_client("lixia", "association", association_id=ids["历下区软件行业协会"]),
        "editor": login_client("lixia", "editor"),
        "city": login_client("jinan", "admin"),
        "ids": ids,
    }


def submit(people, name="张三") -> int:
    return created_id(people["association"].post("/lixia/entities/leader_candidate/", headers=HX, data={
        "name": name, "position": "会长", "resume": "从事软件行业二十年",
        "association": str(people["ids"]["历下区餐饮商会"]),  # the core files it for its own association
    }))


def review(people, candidate: int, department: str, opinion: str = "同意", remarks: str = ""):
    return people["editor"].post("/lixia/entities/leader_review_opinion/", headers=HX, data={
        "candidate": str(candidate), "department": department, "opinion": opinion, "remarks": remarks})


def decide(client, candidate: int, name: str, version: int, reason: str = ""):
    return client.post(f"/lixia/entities/leader_candidate/{candidate}/transitions/{name}", headers=HX,
                       data={"version": str(version), "reason": reason})


def test_an_association_submits_a_candidate_for_its_own_association(people):
    candidate = submit(people)
    page = people["association"].get(f"/lixia/entities/leader_candidate/{candidate}").get_data(as_text=True)
    assert "张三" in page and "历下区软件行业协会" in page and "联审中" in page
    # It sees neither the departments' opinions nor the decision buttons.
    opinion = created_id(review(people, candidate, "业务主管单位"))
    assert people["association"].get(f"/lixia/entities/leader_review_opinion/{opinion}").status_code == 404
    assert people["editor"].get(f"/lixia/entities/leader_review_opinion/{opinion}").status_code == 200
    assert 'data-transition="approve"' not in page


def test_the_city_cannot_approve_until_every_department_has_agreed(people):
    candidate = submit(people)
    created_id(review(people, candidate, "业务主管单位"))
    created_id(review(people, candidate, "行业管理部门", "不同意", "该人选近三年有违规记录"))
    refused = decide(people["city"], candidate, "approve", 1)
    assert refused.status_code == 422
    text = refused.get_data(as_text=True)
    assert "尚未提交审核意见的部门:社会工作部门、登记管理机关" in text
    assert "不同意的部门:行业管理部门" in text


def test_a_department_reviews_once_and_a_disagreement_says_why(people):
    candidate = submit(people)
    created_id(review(people, candidate, "业务主管单位"))
    again = review(people, candidate, "业务主管单位")
    assert again.status_code == 422 and "业务主管单位已对该人选提交过审核意见" in again.get_data(as_text=True)
    silent = review(people, candidate, "行业管理部门", "不同意")
    assert silent.status_code == 422 and "不同意时请写明理由" in silent.get_data(as_text=True)


def test_when_all_agree_the_city_approves_and_it_is_audited(people):
    candidate = submit(people)
    for department in DEPARTMENTS:
        created_id(review(people, candidate, department))
    # A district's own admin may not decide: the decision belongs to the city.
    own = decide(people["admin"], candidate, "approve", 1)
    assert own.status_code == 422 and "须由上级(市级)审定" in own.get_data(as_text=True)
    assert decide(people["city"], candidate, "approve", 1).status_code == 204
    page = people["association"].get(f"/lixia/entities/leader_candidate/{candidate}").get_data(as_text=True)
    assert "已审定同意" in page
    audit = people["admin"].get("/lixia/admin/audit?action=entity.transition").get_data(as_text=True)
    assert "流程操作" in audit and f"leader_candidate/{candidate}" in audit


def test_the_city_may_reject_with_a_reason(people):
    candidate = submit(people)
    assert decide(people["city"], candidate, "reject", 1).status_code == 422  # no reason
    assert decide(people["city"], candidate, "reject", 1, "不符合任职条件").status_code == 204
    report = people["editor"].get("/api/v1/lixia/reports/leader_review.by_stage").json
    assert report["rows"] == [{"stage": "不予同意", "count": 1}]


def test_a_district_that_has_not_enabled_it_answers_404(login_client):
    shizhong = login_client("shizhong", "admin")
    assert shizhong.get("/shizhong/entities/leader_candidate/").status_code == 404
    assert shizhong.get("/api/v1/shizhong/entities/leader_review_opinion").status_code == 404
