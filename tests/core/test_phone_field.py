"""A phone field takes ASCII digits only: full-width "１３９…" or Arabic-Indic digits look like a
number on screen but no phone system dials them, so they are refused with a message saying so."""
from core.entities.uscc import make

HALF_WIDTH_ONLY = "电话号码请用半角数字 0-9 填写(不能用全角数字或其他文字的数字)"
HX = {"HX-Request": "true"}


def association(serial: int, phone: str) -> dict:
    return {"name": f"济南市测试协会{serial}", "uscc": make("5", "1", "370102", serial), "category": "行业协会",
            "contact_phone": phone}


def test_the_form_refuses_full_width_digits_and_says_to_type_half_width_ones(login_client):
    editor = login_client("lixia", "editor")
    refused = editor.post("/lixia/entities/association/", data=association(1, "１３９０５３１００００"), headers=HX)
    assert refused.status_code == 422
    assert HALF_WIDTH_ONLY in refused.get_data(as_text=True)
    # The area code typed half-width, the number after the input method switched to full-width.
    mixed = editor.post("/lixia/entities/association/", data=association(2, "0531-８６１２３４５６"), headers=HX)
    assert mixed.status_code == 422 and HALF_WIDTH_ONLY in mixed.get_data(as_text=True)
    accepted = editor.post("/lixia/entities/association/", data=association(3, "0531-86123456"), headers=HX)
    assert accepted.status_code == 204


def test_the_api_refuses_arabic_indic_digits_with_the_same_message(api_client):
    api = api_client("lixia", "editor")
    refused = api.post("/api/v1/lixia/entities/association", json=association(4, "139٠٥٣١٠٠٠٠"))
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"contact_phone": [HALF_WIDTH_ONLY]}
    created = api.post("/api/v1/lixia/entities/association", json=association(5, "13905310000"))
    assert created.status_code == 201 and created.json["data"]["contact_phone"] == "13905310000"


def test_a_line_break_pasted_after_the_number_is_trimmed_not_stored(api_client):
    api = api_client("lixia", "editor")
    created = api.post("/api/v1/lixia/entities/association", json=association(6, "13905310000\n"))
    assert created.status_code == 201 and created.json["data"]["contact_phone"] == "13905310000"
