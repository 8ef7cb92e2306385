"""Two people editing one record in the form: a save that meets a newer version is merged
field by field against the version the form was read from, and never writes back a value
the user did not change."""
from sqlalchemy import select

from core.auth.accounts import create_api_token
from core.db import session
from core.entities.models import Entity, EntityRevision
from core.tenancy import system_scope

from .test_entity_pages import HX, VALID, create, entity_id

START = {**VALID, "legal_representative": "孙继东", "address": "历下区经十路 1 号", "member_count": "120"}


def stored(app, target: int) -> tuple[dict, int, list[str]]:
    """The record's data, its version and who made each revision."""
    with app.app_context(), system_scope(session):
        entity = session.get(Entity, target)
        names = session.scalars(select(EntityRevision.by_name).where(EntityRevision.entity_id == target)
                                .order_by(EntityRevision.version)).all()
        return dict(entity.data), entity.version, list(names)


def two_editors(login_client):
    """Tab A (lixia-admin) and tab B (lixia-editor) with one record both opened at version 1."""
    a = login_client("lixia", "admin")
    b = login_client("lixia", "editor")
    target = entity_id(create(a, **START))
    return a, b, target, f"/lixia/entities/association/{target}"


def test_a_stale_save_that_changed_other_fields_keeps_both_changes(app, login_client):
    a, b, target, url = two_editors(login_client)
    assert a.post(url, data={**START, "legal_representative": "李四", "version": "1"}, headers=HX).status_code == 204
    # B read version 1 and changed only the address; its form still holds 孙继东.
    saved = b.post(url, data={**START, "address": "历下区泉城路 2 号", "version": "1"}, headers=HX)
    assert saved.status_code == 204
    data, version, by = stored(app, target)
    assert data["legal_representative"] == "李四" and data["address"] == "历下区泉城路 2 号"
    assert version == 3 and by == ["lixia-admin", "lixia-admin", "lixia-editor"]
    page = b.get(saved.headers["HX-Redirect"]).get_data(as_text=True)
    assert "lixia-admin 于" in page and "修改了「法定代表人」" in page and "您的修改已一并保存" in page


def test_fields_both_changed_are_decided_one_by_one_before_anything_is_saved(app, login_client):
    a, b, target, url = two_editors(login_client)
    assert a.post(url, data={**START, "legal_representative": "李四", "member_count": "150", "version": "1"},
                  headers=HX).status_code == 204
    mine = {**START, "legal_representative": "王五", "member_count": "200", "address": "历下区泉城路 2 号"}
    asked = b.post(url, data={**mine, "version": "1"}, headers=HX)
    assert asked.status_code == 409
    html = asked.get_data(as_text=True)
    assert "lixia-admin 于" in html and "修改了「法定代表人、会员数」" in html
    assert "只有您修改的「地址」保留您的输入" in html
    assert html.count("保留对方") == 2 and html.count("使用我的") == 2
    assert 'name="version" value="2"' in html and 'name="_base" value="1"' in html
    assert stored(app, target)[1] == 2

    # Saving again with one field undecided is refused and changes nothing.
    half = b.post(url, data={**mine, "version": "2", "_base": "1", "_merge_legal_representative": "mine"}, headers=HX)
    assert half.status_code == 409 and "还有内容没有选择" in half.get_data(as_text=True)
    assert stored(app, target)[1] == 2

    done = b.post(url, data={**mine, "version": "2", "_base": "1", "_merge_legal_representative": "mine",
                             "_merge_member_count": "theirs"}, headers=HX)
    assert done.status_code == 204
    data, version, _ = stored(app, target)
    assert (data["legal_representative"], data["member_count"], data["address"]) == ("王五", 150, "历下区泉城路 2 号")
    assert version == 3


def test_saving_the_conflict_form_again_never_writes_back_a_value_the_user_did_not_change(app, login_client):
    a, b, target, url = two_editors(login_client)
    assert a.post(url, data={**START, "legal_representative": "李四", "version": "1"}, headers=HX).status_code == 204
    asked = b.post(url, data={**START, "member_count": "300", "legal_representative": "王五", "version": "1"}, headers=HX)
    assert asked.status_code == 409
    # B keeps A's 法定代表人 but, in a form that still shows an old value, presses 保存 again.
    again = b.post(url, data={**START, "member_count": "300", "version": "2", "_base": "1",
                              "_merge_legal_representative": "theirs"}, headers=HX)
    assert again.status_code == 204
    data, _, _ = stored(app, target)
    assert data["legal_representative"] == "李四" and data["member_count"] == 300


def test_decisions_made_against_a_version_that_moved_on_are_asked_again(app, login_client):
    a, b, target, url = two_editors(login_client)
    assert a.post(url, data={**START, "legal_representative": "李四", "version": "1"}, headers=HX).status_code == 204
    assert b.post(url, data={**START, "legal_representative": "王五", "version": "1"}, headers=HX).status_code == 409
    assert a.post(url, data={**START, "legal_representative": "赵六", "version": "2"}, headers=HX).status_code == 204
    late = b.post(url, data={**START, "legal_representative": "王五", "version": "2", "_base": "1",
                             "_merge_legal_representative": "mine"}, headers=HX)
    assert late.status_code == 409
    html = late.get_data(as_text=True)
    assert "赵六" in html and 'name="version" value="3"' in html and "还有内容没有选择" not in html
    assert stored(app, target)[0]["legal_representative"] == "赵六"


def test_the_api_does_not_merge_a_stale_if_match_is_refused_with_the_current_values(app, login_client, make_user):
    a, _, target, url = two_editors(login_client)
    assert a.post(url, data={**START, "legal_representative": "李四", "version": "1"}, headers=HX).status_code == 204
    with app.app_context():
        token = create_api_token(session, make_user("lixia", "editor", username="lixia-api"), "数据对接", actor=None)
        session.commit()
    answer = app.test_client().patch(
        f"/api/v1/lixia/entities/association/{target}", json={"address": "历下区泉城路 2 号"},
        headers={"Authorization": f"Bearer {token}", "If-Match": '"1"'})
    assert answer.status_code == 412
    assert answer.get_json()["current"]["data"]["legal_representative"] == "李四"
    assert stored(app, target)[0]["address"] == "历下区经十路 1 号"
