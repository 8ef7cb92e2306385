"""A city user working in a district: pages that roll back a refused change still render.

The city's user belongs to the city, outside the district's scope; a rollback must not
leave the signed-in user unloadable (on PostgreSQL, row-level security hides the user's
row from the district's scope).
"""


def test_a_refused_form_renders_for_the_city_admin_in_a_district(login_client):
    city = login_client("jinan", "admin")
    answer = city.post("/lixia/entities/association/", data={"name": ""}, headers={"HX-Request": "true"})
    assert answer.status_code == 422
    assert "必填" in answer.get_data(as_text=True)

