"""The board and the case list as district staff use them: counts by source and state, the
list's filters, search, sort and pages, the empty states, and two people acting on one case.
"""
from __future__ import annotations

import io
import re

import pytest

from .conftest import HX, act, case_data, new_case

pytestmark = pytest.mark.enable_plugins("rectification", tenants=["jinan", "lixia", "shizhong"])


def titles(html: str) -> list[str]:
    return re.findall(r'/lixia/rectification/cases/\d+">([^<]+)</a>', html)


def move(db_session, case_id: int, *steps) -> None:
    scope, service = act(db_session, "lixia")
    with scope:
        kind = service.type("rectification_case")
        record = service.get(kind, case_id)
        for name, values in steps:
            record = service.transition(kind, record, name, record.version, values=values)
        service.commit()


@pytest.fixture
def cases(db_session, world):
    ids = {
        "甲": new_case(db_session, "lixia", world["软件协会"], title="甲 超范围评比", found_on="2024-04-01"),
        "乙": new_case(db_session, "lixia", world["餐饮商会"], title="乙 违规收费", found_on="2024-05-01",
                      source="比对反馈"),
        "丙": new_case(db_session, "lixia", world["软件协会"], title="丙 未按期换届", found_on="2024-03-01",
                      source="自查自纠"),
    }
    move(db_session, ids["乙"], ("verify", {}), ("confirm", {"situation": world["未按期换届"]}),
         ("rectify", {"deadline": "2024-09-30"}), ("decide", {"measure": world["警告"]}))
    move(db_session, ids["丙"], ("verify", {}))
    return ids


def test_the_board_counts_cases_by_source_and_state(login_client, cases):
    board = login_client("lixia", "viewer").get("/lixia/rectification/").get_data(as_text=True)
    assert "2024 年规范整治专项行动" in board and "共 3 件" in board
    assert 'href="/lixia/rectification/cases/?source=%E6%AF%94%E5%AF%B9%E5%8F%8D%E9%A6%88&amp;stage=%E5%B7%B2%E5%A4%84%E7%90%86">1</a>' in board
    assert 'data-testid="units"' not in board  # a district has no units below it


def test_the_list_filters_searches_and_sorts(login_client, world, cases):
    staff = login_client("lixia", "editor")
    assert titles(staff.get("/lixia/rectification/cases/").get_data(as_text=True)) == [
        "乙 违规收费", "甲 超范围评比", "丙 未按期换届"]  # newest finding first
    by_found = staff.get("/lixia/rectification/cases/?sort=found_on").get_data(as_text=True)
    assert titles(by_found) == ["丙 未按期换届", "甲 超范围评比", "乙 违规收费"]
    for query, expected in (
        ("stage=核查中", ["丙 未按期换届"]), ("source=比对反馈", ["乙 违规收费"]),
        (f"measure={world['警告']}", ["乙 违规收费"]), (f"situation={world['未按期换届']}", ["乙 违规收费"]),
        ("q=收费", ["乙 违规收费"]),
    ):
        answer = staff.get(f"/lixia/rectification/cases/?{query}", headers={**HX, "HX-Target": "case-table"})
        assert titles(answer.get_data(as_text=True)) == expected, query
    none = staff.get("/lixia/rectification/cases/?q=不存在的案件").get_data(as_text=True)
    assert "没有符合条件的整治案件" in none


def test_staff_register_a_lead_on_the_generic_form_with_the_citys_catalogues(login_client, world):
    staff = login_client("lixia", "editor")
    listing = staff.get("/lixia/rectification/cases/").get_data(as_text=True)
    assert 'href="/lixia/entities/rectification_case/new"' in listing
    form = staff.get("/lixia/entities/rectification_case/new").get_data(as_text=True)
    assert "未按期换届" in form and "警告" in form and "2024 年规范整治专项行动" in form


def test_the_list_pages_fifty_at_a_time(login_client, db_session, world):
    scope, service = act(db_session, "lixia")
    with scope:
        kind = service.type("rectification_case")
        for n in range(51):
            service.create(kind, {"title": f"第{n:02d}件", "association": world["软件协会"], "source": "专项摸排",
                                  "found_on": "2024-04-10", "description": "排查发现"})
        service.commit()
    staff = login_client("lixia", "viewer")
    first = staff.get("/lixia/rectification/cases/?sort=-id").get_data(as_text=True)
    assert len(titles(first)) == 50 and "第 1 / 2 页,共 51 条" in first
    second = staff.get("/lixia/rectification/cases/?sort=-id&page=2").get_data(as_text=True)
    assert titles(second) == ["第00件"]


def test_empty_states(login_client, world):
    staff = login_client("lixia", "editor")
    assert "还没有整治案件" in staff.get("/lixia/rectification/cases/").get_data(as_text=True)
    assert "还没有整治案件" in staff.get("/lixia/rectification/").get_data(as_text=True)


def test_staff_file_a_self_inspection_for_an_association(login_client, db_session, world):
    staff = login_client("lixia", "editor")
    form = staff.get("/lixia/rectification/self-inspection").get_data(as_text=True)
    assert "软件协会" in form and "餐饮商会" in form and "物流协会" not in form
    missing = staff.post("/lixia/rectification/self-inspection", data={
        "title": "会费标准未经会员大会通过", "found_on": "2024-03-05", "description": "协会来函报告。"}, headers=HX)
    assert missing.status_code == 422 and "此项必填" in missing.get_data(as_text=True)
    filed = staff.post("/lixia/rectification/self-inspection", data={
        "association": str(world["餐饮商会"]), "title": "会费标准未经会员大会通过", "found_on": "2024-03-05",
        "description": "协会来函报告。"})
    assert filed.status_code == 303
    case_id = int(filed.location.rsplit("/", 1)[1])
    assert case_data(db_session, "lixia", case_id)["association"] == world["餐饮商会"]


def test_a_step_on_a_case_someone_else_just_moved_is_refused(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    first, second = login_client("lixia", "editor"), login_client("lixia", "admin")
    assert first.post(f"/lixia/rectification/cases/{case_id}/transitions/verify", data={"version": 1},
                      headers=HX).status_code == 204
    stale = second.post(f"/lixia/rectification/cases/{case_id}/transitions/verify", data={"version": 1}, headers=HX)
    assert stale.status_code == 409
    assert "案件在您查看之后已被修改(现为「核查中」),「开始核查」没有执行" in stale.get_data(as_text=True)
    assert case_data(db_session, "lixia", case_id)["stage"] == "核查中"


def test_evidence_is_uploaded_on_the_edit_page_and_downloaded_from_the_case(login_client, db_session, world):
    case_id = new_case(db_session, "lixia", world["软件协会"])
    staff = login_client("lixia", "editor")
    pdf = b"%PDF-1.7\n" + b"evidence" * 100
    saved = staff.post(f"/lixia/entities/rectification_case/{case_id}", data={
        **{key: str(value) for key, value in case_data(db_session, "lixia", case_id).items()},
        "version": "1", "evidence": (io.BytesIO(pdf), "评比表彰收费凭证.pdf")},
        headers=HX, content_type="multipart/form-data")
    assert saved.status_code == 204, saved.get_data(as_text=True)
    page = staff.get(f"/lixia/rectification/cases/{case_id}").get_data(as_text=True)
    link = f"/lixia/entities/rectification_case/{case_id}/files/evidence"
    assert link in page and "评比表彰收费凭证.pdf" in page
    assert staff.get(link).data == pdf
