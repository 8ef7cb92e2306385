"""The generic pages every entity type gets: list, forms, detail with history, recycle view."""
from sqlalchemy import func, select

from core.db import session
from core.entities.uscc import make
from core.entities.models import Entity, EntityRevision
from core.tenancy import system_scope

VALID = {"name": "济南市软件行业协会", "uscc": "51420000MJH200395N", "category": "行业协会", "status": "正常"}
HX = {"HX-Request": "true"}


def create(client, slug="lixia", **changes):
    return client.post(f"/{slug}/entities/association/", data={**VALID, **changes}, headers=HX)


def entity_id(response) -> int:
    return int(response.headers["HX-Redirect"].rstrip("/").split("/")[-1])


def count(app, **where):
    with app.app_context(), system_scope(session):
        query = select(func.count(Entity.id)).where(Entity.deleted_at.is_(None))
        for key, value in where.items():
            query = query.where(getattr(Entity, key) == value)
        return session.scalar(query)


def test_an_editor_creates_an_association_and_lands_on_its_page(app, login_client):
    client = login_client("lixia", "editor")
    form = client.get("/lixia/entities/association/new").get_data(as_text=True)
    assert "统一社会信用代码" in form
    assert "<option selected>正常</option>" in form  # the status field's default
    response = create(client)
    assert response.status_code == 204
    page = client.get(response.headers["HX-Redirect"]).get_data(as_text=True)
    assert "济南市软件行业协会" in page and "51420000MJH200395N" in page
    assert "修改记录" in page and "新建" in page


def test_bad_input_is_refused_beside_each_field_and_nothing_is_written(app, login_client):
    client = login_client("lixia", "editor")
    response = create(client, name="", uscc="51420000MJH2003664", member_count="很多")
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#entity-form"
    html = response.get_data(as_text=True)
    assert "此项必填" in html and "校验位应为 N,实际为 4" in html and "请输入整数" in html
    assert 'value="很多"' in html  # the user's input is kept
    assert count(app) == 0


def test_a_field_is_checked_as_the_user_leaves_it(login_client):
    client = login_client("lixia", "editor")
    response = client.post("/lixia/entities/association/check/contact_phone", data={"contact_phone": "12345"}, headers=HX)
    assert response.status_code == 200
    assert "请输入手机号" in response.get_data(as_text=True)
    fine = client.post("/lixia/entities/association/check/contact_phone", data={"contact_phone": "13905310000"}, headers=HX)
    assert "请输入手机号" not in fine.get_data(as_text=True)


def test_a_stale_edit_gets_the_conflict_panel_and_overwrites_nothing(app, login_client):
    first = login_client("lixia", "editor")
    second = login_client("lixia", "admin")
    target = entity_id(create(first))
    url = f"/lixia/entities/association/{target}"
    assert first.post(url, data={**VALID, "member_count": "100", "version": "1"}, headers=HX).status_code == 204
    stale = second.post(url, data={**VALID, "member_count": "999", "version": "1"}, headers=HX)
    assert stale.status_code == 409
    html = stale.get_data(as_text=True)
    assert "内容已被他人修改" in html and "lixia-editor" in html
    assert 'value="999"' in html and 'name="version" value="2"' in html
    with app.app_context(), system_scope(session):
        entity = session.get(Entity, target)
        assert entity.data["member_count"] == 100 and entity.version == 2
        assert session.scalar(select(func.count(EntityRevision.id))) == 2


def test_the_history_shows_each_change_and_its_diff(login_client):
    client = login_client("lixia", "editor")
    target = entity_id(create(client))
    url = f"/lixia/entities/association/{target}"
    client.post(url, data={**VALID, "name": "济南市软件和信息服务业协会", "version": "1"}, headers=HX)
    diff = client.get(f"{url}/revisions/2", headers=HX).get_data(as_text=True)
    assert "<del>济南市软件行业协会</del>" in diff and "<ins>济南市软件和信息服务业协会</ins>" in diff
    assert client.get(f"{url}/revisions/9").status_code == 404


def test_delete_moves_to_the_recycle_view_and_restore_brings_it_back(app, login_client):
    client = login_client("lixia", "editor")
    target = entity_id(create(client))
    url = f"/lixia/entities/association/{target}"
    assert client.post(f"{url}/delete", data={"version": "1"}, headers=HX).status_code == 204
    assert client.get(url).status_code == 404
    assert count(app) == 0
    recycle = client.get("/lixia/entities/association/recycle").get_data(as_text=True)
    assert "济南市软件行业协会" in recycle
    assert client.post(f"{url}/restore", headers=HX).status_code == 204
    assert count(app) == 1
    history = client.get(url).get_data(as_text=True)
    assert "删除" in history and "恢复" in history


def test_a_deleted_record_is_read_only_by_who_sees_the_recycle_bin(app, login_client):
    """One rule for the recycle bin and a deleted record's history: a viewer reads neither."""
    editor = login_client("lixia", "editor")
    target = entity_id(create(editor))
    url = f"/lixia/entities/association/{target}"
    assert editor.post(f"{url}/delete", data={"version": "1"}, headers=HX).status_code == 204
    viewer = login_client("lixia", "viewer")
    assert viewer.get("/lixia/entities/association/recycle").status_code == 403
    refused = viewer.get(f"{url}/revisions/1?deleted=1")
    assert refused.status_code == 403 and "济南市软件行业协会" not in refused.get_data(as_text=True)
    assert "济南市软件行业协会" in editor.get("/lixia/entities/association/recycle").get_data(as_text=True)
    assert "济南市软件行业协会" in editor.get(f"{url}/revisions/1?deleted=1").get_data(as_text=True)


def test_the_list_searches_filters_sorts_and_pages(login_client):
    client = login_client("lixia", "editor")
    for n in range(3):
        create(client, name=f"历下区第{n}协会", uscc=USCCS[n], category="商会" if n else "行业协会")
    page = client.get("/lixia/entities/association/?q=第1").get_data(as_text=True)
    assert "历下区第1协会" in page and "历下区第2协会" not in page
    only = client.get("/lixia/entities/association/?category=商会", headers={**HX, "HX-Target": "entity-table"})
    html = only.get_data(as_text=True)
    assert html.lstrip().startswith('<div id="entity-table">')
    assert "历下区第0协会" not in html and "历下区第2协会" in html
    ordered = client.get("/lixia/entities/association/?sort=-name").get_data(as_text=True)
    assert ordered.index("历下区第2协会") < ordered.index("历下区第0协会")


def test_an_empty_list_says_so_and_offers_to_create(login_client):
    html = login_client("lixia", "editor").get("/lixia/entities/association/").get_data(as_text=True)
    assert "还没有协会商会" in html and "新建第一条" in html


def test_viewers_read_but_cannot_change(login_client):
    editor = login_client("lixia", "editor")
    target = entity_id(create(editor))
    viewer = login_client("lixia", "viewer")
    assert viewer.get(f"/lixia/entities/association/{target}").status_code == 200
    assert viewer.get("/lixia/entities/association/new").status_code == 403
    assert create(viewer).status_code == 403
    assert viewer.post(f"/lixia/entities/association/{target}/delete", headers=HX).status_code == 403


def test_a_sibling_district_cannot_open_the_record(login_client):
    target = entity_id(create(login_client("lixia", "editor")))
    shizhong = login_client("shizhong", "admin")
    assert shizhong.get(f"/lixia/entities/association/{target}").status_code == 404
    assert shizhong.get(f"/shizhong/entities/association/{target}").status_code == 404


def test_an_unknown_type_is_404(login_client):
    assert login_client("lixia", "admin").get("/lixia/entities/no_such_type/").status_code == 404


USCCS = [make("5", "1", "370102", serial) for serial in (1, 2, 3)]
