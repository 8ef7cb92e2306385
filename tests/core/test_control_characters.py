"""Control characters are refused in labels, names and one-line values (long text keeps its
line breaks and tabs), and labels stored before the rule no longer break a workbook: a
vertical tab in a field label (``RT\\x0b城``) once broke the Excel export and template of
its type for every district."""
from __future__ import annotations

import pytest

from tests.core.test_entity_excel import add_field, header_of, records
from tests.entity_helpers import association

CONTROL = "含有控制字符（如换行、制表符或看不见的字符），请删除后重试"


@pytest.mark.parametrize("label", ["RT\x0b城", "会员\t人数", "换\n行", "响\x07铃", "C1\x85字符"])
def test_the_designer_refuses_a_label_with_a_control_character(login_client, label):
    response = login_client("lixia", "admin").post(
        "/lixia/admin/fields/association", data={"name": "probe", "label": label, "kind": "text"}
    )
    assert response.status_code == 422
    assert CONTROL in response.get_data(as_text=True)


def test_the_designer_refuses_a_choice_with_a_control_character_and_keeps_line_breaks_between_choices(login_client):
    client = login_client("lixia", "admin")
    refused = client.post("/lixia/admin/fields/association",
                          data={"name": "probe", "label": "探针", "kind": "choice", "choices": "甲\x0b乙\n丙"})
    assert refused.status_code == 422 and CONTROL in refused.get_data(as_text=True)
    kept = client.post("/lixia/admin/fields/association",
                       data={"name": "probe", "label": "探针", "kind": "choice", "choices": "甲\r\n乙\n丙"})
    assert kept.status_code == 303


def test_a_record_type_label_with_a_control_character_is_refused(login_client):
    response = login_client("lixia", "admin").post("/lixia/admin/types/", data={"name": "probe_type", "label": "探针\x0b类型"})
    assert response.status_code == 422
    assert CONTROL in response.get_data(as_text=True)


def test_one_line_text_refuses_line_breaks_and_long_text_keeps_them(app, api_client):
    add_field(app, "lixia", {"name": "remark", "label": "备注", "kind": "long_text"})
    client = api_client("lixia", "editor")
    refused = client.post("/api/v1/lixia/entities/association", json=association(name="济南\n软件协会"))
    assert refused.status_code == 422
    assert refused.get_json()["error"]["fields"]["name"] == [CONTROL]
    bell = client.post("/api/v1/lixia/entities/association", json=association(remark="第一行\x07"))
    assert bell.get_json()["error"]["fields"]["remark"] == [CONTROL]
    assert records(app) == []
    kept = client.post("/api/v1/lixia/entities/association", json=association(remark="第一行\n\t第二行"))
    assert kept.status_code == 201
    assert kept.get_json()["data"]["remark"] == "第一行\n\t第二行"


def test_a_display_name_with_a_control_character_is_refused(login_client):
    response = login_client("lixia", "admin").post("/lixia/admin/users", data={
        "username": "lixia-probe", "display_name": "张\x1b伟", "role": "viewer", "password": "Quancheng-Lixia-88",
    })
    assert response.status_code == 422
    assert CONTROL in response.get_data(as_text=True)


def test_a_label_stored_before_the_rule_exports_cleaned(app, login_client):
    add_field(app, "lixia", {"name": "rt_city", "label": "RT\x0b城", "kind": "choice", "choices": ["甲\x0b区", "乙区"],
                             "help": "说明\x01文字"})
    client = login_client("lixia", "viewer")
    for url in ("/lixia/entities/association/excel/template.xlsx", "/lixia/entities/association/excel/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 200, url
        assert "RT城" in header_of(response.data)[2]
