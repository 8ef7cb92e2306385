"""Integer fields keep what was typed or refuse it: ``12.9`` is never cut to 12, while
``12.0`` (how Excel carries a whole number) is 12."""
from __future__ import annotations

import io

import pytest

from tests.core.test_entity_excel import HEADER, association_row, records, run_import, workbook
from tests.entity_helpers import association

FRACTION = "请输入整数（不能有小数）"


@pytest.mark.parametrize("value", [12.9, "12.9", -0.5])
def test_the_api_refuses_a_fraction_and_saves_nothing(app, api_client, value):
    response = api_client("lixia", "editor").post("/api/v1/lixia/entities/association", json=association(member_count=value))
    assert response.status_code == 422
    assert response.get_json()["error"]["fields"]["member_count"] == [FRACTION]
    assert records(app) == []


@pytest.mark.parametrize("value", [12.0, "12.0", 12, "12"])
def test_the_api_takes_a_whole_number_written_with_a_zero_fraction(api_client, value):
    response = api_client("lixia", "editor").post("/api/v1/lixia/entities/association", json=association(member_count=value))
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["data"]["member_count"] == 12


def test_the_form_refuses_a_fraction_with_the_message_beside_the_field(app, login_client):
    client = login_client("lixia", "editor")
    response = client.post("/lixia/entities/association/", data=association(member_count="12.9"))
    assert response.status_code == 422
    assert FRACTION in response.get_data(as_text=True)
    assert records(app) == []
    assert client.post("/lixia/entities/association/", data=association(member_count="12.0")).status_code == 303
    assert records(app)[0]["member_count"] == 12


def test_an_excel_cell_with_a_fraction_is_refused_and_a_whole_one_imported(app):
    fraction, whole = association_row(1), association_row(2)
    fraction[5], whole[5] = 12.9, "12.0"
    refused = run_import(app, "lixia", io.BytesIO(workbook([fraction, whole], header=HEADER)))
    assert [str(e) for e in refused.errors] == [f"第 2 行「会员数」:{FRACTION}"]
    assert run_import(app, "lixia", io.BytesIO(workbook([whole], header=HEADER))).ok
    assert records(app)[0]["member_count"] == 12
