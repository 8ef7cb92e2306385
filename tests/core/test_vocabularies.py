"""Vocabularies: lists of terms the city maintains and every district uses.

The city edits 「产业链」 once; lixia's association form, validation and API schema use
the new terms at once. In a district the list is read-only. A value taken off the list
stays on the records that have it and does not block unrelated edits. ``quanhui init``
creates the vocabularies the plugins declare. Every change is audited.
"""

import pytest
from sqlalchemy import event, func, select

from core.audit import AuditEvent
from core.cli import make_cli
from core.db import session
from core.directory import INDUSTRY_CHAINS
from core.entities.definitions import DefinitionError, Field
from core.tenancy import system_scope, tenant_by_slug
from core.vocabularies import (
    Vocabulary,
    VocabularyDeclaration,
    VocabularyError,
    set_terms,
    terms,
)
from tests.entity_helpers import association, create, service

HTMX = {"HX-Request": "true"}
PAGE = "/{slug}/admin/vocabularies/industry_chains"
NEW_CHAINS = "新一代信息技术\n低空经济\n  高端装备  \n\n人工智能"
def chain_choices(app, slug):
    with app.app_context():
        return service(app, slug).type("association").field("industry_chain").choices


def save(client, slug, text, headers=HTMX):
    return client.post(PAGE.format(slug=slug), data={"terms": text}, headers=headers)


def vocabulary_rows(app):
    with app.app_context(), system_scope(session):
        return session.execute(select(Vocabulary.tenant_id, Vocabulary.name, Vocabulary.terms)).all()


def audit_events(app):
    with app.app_context(), system_scope(session):
        return session.scalars(
            select(AuditEvent).where(AuditEvent.action == "vocabulary.changed").order_by(AuditEvent.id)
        ).all()


def test_the_city_edits_the_chains_and_lixia_uses_them_at_once(app, login_client):
    assert chain_choices(app, "lixia") == INDUSTRY_CHAINS  # the declared terms until the city keeps its own
    city = login_client("jinan", "admin")
    listing = city.get("/jinan/admin/vocabularies/").get_data(as_text=True)
    assert 'data-vocabulary="industry_chains"' in listing and "产业链" in listing and "编辑" in listing
    page = city.get(PAGE.format(slug="jinan")).get_data(as_text=True)
    assert '<textarea id="terms" name="terms"' in page and "量子科技" in page and "协会商会 · 所属产业链" in page

    response = save(city, "jinan", NEW_CHAINS)
    assert response.status_code == 200
    assert "已保存词表「产业链」,共 4 项" in response.get_data(as_text=True)

    expected = ("新一代信息技术", "低空经济", "高端装备", "人工智能")
    assert chain_choices(app, "lixia") == expected
    assert chain_choices(app, "jinan") == expected
    assert isinstance(create(app, "lixia", industry_chain="低空经济"), int)
    assert create(app, "lixia", industry_chain="量子科技") == {
        "industry_chain": ["请从以下选项中选择:新一代信息技术、低空经济、高端装备、人工智能"]
    }
    form = login_client("lixia", "editor").get("/lixia/entities/association/new").get_data(as_text=True)
    assert "<option>低空经济</option>" in form and "量子科技" not in form
    assert audit_events(app)[0].actor == "jinan-admin"


def test_a_plain_form_post_saves_and_returns_to_the_page(app, login_client):
    city = login_client("jinan", "admin")
    response = save(city, "jinan", "新材料\n现代农业", headers={})
    assert response.status_code == 303 and response.location.endswith("/jinan/admin/vocabularies/industry_chains")
    assert chain_choices(app, "shizhong") == ("新材料", "现代农业")


def test_a_district_sees_the_city_list_read_only_and_may_not_change_it(app, login_client):
    city = login_client("jinan", "admin")
    assert save(city, "jinan", "新材料\n现代农业").status_code == 200
    lixia = login_client("lixia", "admin")
    page = lixia.get(PAGE.format(slug="lixia")).get_data(as_text=True)
    assert "由济南市维护" in page and "<li>新材料</li>" in page and "<textarea" not in page
    listing = lixia.get("/lixia/admin/vocabularies/").get_data(as_text=True)
    assert "济南市" in listing and "查看" in listing and ">编辑<" not in listing

    assert save(lixia, "lixia", "被篡改").status_code == 403
    assert save(city, "lixia", "被篡改").status_code == 403  # the city acting in lixia
    assert save(login_client("jinan", "editor"), "jinan", "被篡改").status_code == 403
    viewer = login_client("lixia", "viewer")
    assert viewer.get(PAGE.format(slug="lixia")).status_code == 200
    assert save(viewer, "lixia", "被篡改").status_code == 403
    assert chain_choices(app, "lixia") == ("新材料", "现代农业")
    assert [row.terms for row in vocabulary_rows(app)] == [["新材料", "现代农业"]]
    assert lixia.get("/lixia/admin/vocabularies/no_such_list").status_code == 404


def test_a_district_sees_the_declared_list_as_the_citys_before_the_city_saves_it(app, login_client):
    lixia = login_client("lixia", "admin")
    page = lixia.get(PAGE.format(slug="lixia")).get_data(as_text=True)
    assert "由济南市维护" in page and "<li>量子科技</li>" in page
    assert save(lixia, "lixia", "新材料").status_code == 403
    assert vocabulary_rows(app) == []


@pytest.mark.parametrize(
    "text, message",
    [
        ("", "词表至少需要一项,每行一项"),
        ("  \n \n", "词表至少需要一项,每行一项"),
        ("新材料\n高端装备\n新材料", "以下各项重复:新材料"),
        ("新材料\n" + "长" * 41, "每项 1-40 个字,以下各项太长:" + "长" * 20 + "…"),
        ("新材料\n高端\x07装备", "第 2 项含有无法保存的控制字符,请删除后重试"),
        ("\n".join(f"第{n}项" for n in range(501)), "词表最多 500 项"),
    ],
)
def test_bad_terms_are_refused_beside_the_textarea_and_nothing_is_written(app, login_client, text, message):
    city = login_client("jinan", "admin")
    response = save(city, "jinan", text)
    body = response.get_data(as_text=True)
    assert response.status_code == 422
    assert response.headers["HX-Retarget"] == "#vocabulary-form"
    assert f'<small id="err-terms" class="error" data-error="terms">{message}' in body
    assert body.lstrip().startswith('<form id="vocabulary-form"')
    plain = save(city, "jinan", text, headers={})
    assert plain.status_code == 422 and message in plain.get_data(as_text=True)
    assert vocabulary_rows(app) == [] and audit_events(app) == []
    assert chain_choices(app, "lixia") == INDUSTRY_CHAINS


def test_set_terms_checks_its_input_too(app, tenant):
    city = tenant("jinan")
    with app.app_context():
        for bad, key in (([], "terms"), (["a", "a"], "terms"), ([" a"], "terms"), ([1], "terms")):
            with pytest.raises(VocabularyError) as refusal:
                set_terms(session, city, "industry_chains", bad, label="产业链", actor=None)
            assert key in refusal.value.errors
        with pytest.raises(VocabularyError) as refusal:
            set_terms(session, city, "industry_chains", ["a"], label="", actor=None)
        assert refusal.value.errors == {"label": "请填写词表名称"}
        with pytest.raises(ValueError):
            VocabularyDeclaration("Needs", "需求", ("技术",))
        with pytest.raises(ValueError):
            VocabularyDeclaration("needs", "需求", ("技术", "技术"))
    with pytest.raises(DefinitionError):
        Field("need", "需求", kind="choice")
    assert Field("need", "需求", kind="choice", vocabulary="needs").choices == ()


def test_an_old_value_no_longer_listed_survives_unrelated_edits(app, login_client):
    entity_id = create(app, "lixia", industry_chain="量子科技", member_count=30)
    assert save(login_client("jinan", "admin"), "jinan", "新材料\n现代农业").status_code == 200

    editor = login_client("lixia", "editor")
    page = editor.get(f"/lixia/entities/association/{entity_id}").get_data(as_text=True)
    assert "量子科技" in page
    form = editor.get(f"/lixia/entities/association/{entity_id}/edit").get_data(as_text=True)
    assert "<option selected>量子科技</option>" in form

    url = f"/api/v1/lixia/entities/association/{entity_id}"
    changed = editor.patch(url, json={"member_count": 31}, headers={"If-Match": '"1"'})
    assert changed.status_code == 200, changed.get_data(as_text=True)
    assert changed.json["data"]["industry_chain"] == "量子科技" and changed.json["data"]["member_count"] == 31
    # Another value off the list is still refused; a listed one is accepted.
    refused = editor.patch(url, json={"industry_chain": "高端装备"}, headers={"If-Match": '"2"'})
    assert refused.status_code == 422 and "industry_chain" in refused.json["error"]["fields"]
    moved = editor.patch(url, json={"industry_chain": "新材料"}, headers={"If-Match": '"2"'})
    assert moved.status_code == 200 and moved.json["data"]["industry_chain"] == "新材料"
    # Once changed, the old value is gone for good.
    back = editor.patch(url, json={"industry_chain": "量子科技"}, headers={"If-Match": '"3"'})
    assert back.status_code == 422


def test_the_edit_form_round_trips_an_old_value(app, login_client):
    entity_id = create(app, "lixia", industry_chain="量子科技")
    assert save(login_client("jinan", "admin"), "jinan", "新材料").status_code == 200
    editor = login_client("lixia", "editor")
    with app.app_context():
        svc = service(app, "lixia")
        data = svc.get(svc.type("association"), entity_id).data
    form = {key: data[key] for key in ("name", "uscc", "category", "status", "industry_chain")}
    response = editor.post(f"/lixia/entities/association/{entity_id}", data={**form, "member_count": "8", "version": "1"})
    assert response.status_code == 303, response.get_data(as_text=True)[:2000]
    with app.app_context():
        svc = service(app, "lixia")
        data = svc.get(svc.type("association"), entity_id).data
    assert data["industry_chain"] == "量子科技" and data["member_count"] == 8


def test_changes_are_audited_with_before_and_after(app, login_client):
    city = login_client("jinan", "admin")
    assert save(city, "jinan", "新材料\n现代农业").status_code == 200
    assert save(city, "jinan", "现代农业\n人工智能").status_code == 200
    assert save(city, "jinan", "现代农业\n人工智能").status_code == 200  # unchanged: no event
    events = audit_events(app)
    assert [(e.target, e.actor) for e in events] == [("industry_chains", "jinan-admin")] * 2
    assert events[0].detail["before"] is None and events[0].detail["after"] == ["新材料", "现代农业"]
    assert events[1].detail == {
        "before": ["新材料", "现代农业"], "after": ["现代农业", "人工智能"], "added": ["人工智能"], "removed": ["新材料"],
    }
    with app.app_context():
        city_id = tenant_by_slug(session, "jinan").id
    assert {e.tenant_id for e in events} == {city_id}


def test_the_tenant_api_schema_lists_the_terms_in_effect(app, login_client, client):
    assert save(login_client("jinan", "admin"), "jinan", "新材料\n现代农业").status_code == 200
    editor = login_client("lixia", "editor")
    doc = editor.get("/api/v1/lixia/openapi.json").json
    assert doc["components"]["schemas"]["Association"]["properties"]["industry_chain"]["enum"][:2] == ["新材料", "现代农业"]
    global_doc = client.get("/api/openapi.json").json
    assert global_doc["components"]["schemas"]["Association"]["properties"]["industry_chain"]["enum"][:14] == list(
        INDUSTRY_CHAINS
    )
    created = editor.post("/api/v1/lixia/entities/association", json=association(industry_chain="现代农业"))
    assert created.status_code == 201
    refused = editor.post("/api/v1/lixia/entities/association", json=association(industry_chain="量子科技"))
    assert refused.status_code == 422
    assert refused.json["error"]["fields"] == {"industry_chain": ["请从以下选项中选择:新材料、现代农业"]}


def test_a_page_reads_the_vocabularies_once(app, login_client):
    create(app, "lixia", industry_chain="新材料")
    editor = login_client("lixia", "editor")
    engine = app.extensions["quanhui.db"].engine
    statements = []

    def seen(conn, cursor, statement, *args):
        if "FROM vocabularies" in statement:
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert editor.get("/lixia/entities/association/new").status_code == 200
        assert editor.get("/lixia/entities/association/").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert len(statements) == 2  # one per request


def test_init_creates_the_declared_vocabularies_once_and_keeps_the_citys_edits(app, login_client):
    runner = app.test_cli_runner()
    result = runner.invoke(make_cli(), ["init"])
    assert result.exit_code == 0, result.output
    assert "新建词表:industry_chains" in result.output
    with app.app_context():
        city = tenant_by_slug(session, "jinan")
        assert terms(session, city, "industry_chains") == INDUSTRY_CHAINS
        assert terms(session, tenant_by_slug(session, "lixia"), "industry_chains") == INDUSTRY_CHAINS
    created = [(e.target, e.actor_id, e.detail["before"]) for e in audit_events(app)]
    assert ("industry_chains", None, None) in created

    assert save(login_client("jinan", "admin"), "jinan", "新材料").status_code == 200
    again = runner.invoke(make_cli(), ["init"])
    assert again.exit_code == 0 and "新建词表" not in again.output
    assert chain_choices(app, "lixia") == ("新材料",)


def test_init_on_a_fresh_database_creates_the_declared_vocabulary(tmp_path):
    from core.web.app import create_app

    fresh = create_app({"TESTING": True, "QUANHUI_DATABASE_URL": f"sqlite:///{tmp_path / 'fresh.db'}",
                        "QUANHUI_SECRET_KEY": "fresh"})
    result = fresh.test_cli_runner().invoke(make_cli(), ["init"])
    assert result.exit_code == 0, result.output
    assert "新建词表:industry_chains" in result.output
    with fresh.app_context(), system_scope(session):
        row = session.scalar(select(Vocabulary).where(Vocabulary.name == "industry_chains"))
        assert (row.name, row.label, tuple(row.terms)) == ("industry_chains", "产业链", INDUSTRY_CHAINS)
        assert session.scalar(select(func.count(Vocabulary.id)).where(Vocabulary.name == "industry_chains")) == 1
    fresh.extensions["quanhui.db"].engine.dispose()
