"""智库检索: full-text search over suggestions (title and content), topics, reports and calls.

What a user sees: every word typed must occur; Chinese words of any length are found
(three characters or more through the trigram index, one or two by the fallback); the
hits never include another tenant's records, and an association account finds only its
own association's suggestions; an edit, a delete and a restore show at once; the index
can be rebuilt from the records with ``quanhui think-tank reindex``.
"""
from __future__ import annotations

import re

import pytest
from sqlalchemy import text

from core.cli import make_cli
from core.entities import service_for
from core.tenancy import TenantScope, system_scope, use_scope

pytestmark = pytest.mark.enable_plugins("think_tank", tenants=["jinan", "lixia", "shizhong"])
HX = {"HX-Request": "true"}


def found(client, q, slug="lixia", marked=False, **extra):
    """The search page for ``q`` as text (``marked``: as HTML, with the highlighting)."""
    page = client.get(f"/{slug}/think_tank/search", query_string={"q": q, **extra})
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    return html if marked else re.sub(r"</?mark>", "", html)


@pytest.fixture
def more(app, db_session, tenant, directory):
    """A second lixia suggestion about parking, a topic and a report of lixia."""
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        ids = {
            "parking": service.create(service.type("suggestion"), {
                "title": "关于增设商圈停车位的建议", "association": directory["餐饮商会"], "category": "营商环境",
                "submitted_on": "2025-05-06", "content": "泉城路商圈周末停车难,建议错时开放机关停车场。"}).id,
            "topic": service.create(service.type("research_topic"), {
                "year": 2025, "title": "商协会参与基层治理研究", "summary": "围绕停车难等民生问题的协商机制。"}).id,
            "report": service.create(service.type("industry_report"), {
                "title": "2025年餐饮行业发展报告", "year": 2025, "abstract": "餐饮业恢复情况与融资需求。"}).id,
        }
        service.commit()
    return ids


def test_words_in_the_title_or_the_content_find_the_suggestion(login_client, directory, more):
    staff = login_client("lixia", "viewer")
    by_content = found(staff, "错时开放")  # four characters, only in the content
    assert "关于增设商圈停车位的建议" in by_content and "找到 1 条" in by_content
    assert "<mark>错时开放</mark>" in found(staff, "错时开放", marked=True)  # the excerpt shows where
    by_title = found(staff, "融资难问题")
    assert "软件协会会员企业融资难" in by_title and "餐饮商会会员企业融资难" in by_title
    assert "物流协会" not in by_title  # shizhong's, with the same words: never


def test_one_or_two_characters_are_found_too(login_client, directory, more):
    staff = login_client("lixia", "viewer")
    two = found(staff, "停车")
    assert "关于增设商圈停车位的建议" in two and "商协会参与基层治理研究" in two  # the topic's summary says 停车难
    assert "融资难" not in two
    one = found(staff, "贵")  # only the financing suggestions' content has 贵
    assert "找到 2 条" in one and "停车" not in one


def test_every_word_must_occur_and_the_type_narrows_the_search(login_client, directory, more):
    staff = login_client("lixia", "viewer")
    both = found(staff, "停车 商圈")
    assert "关于增设商圈停车位的建议" in both and "基层治理" not in both
    assert "没有找到" in found(staff, "停车 融资难")
    reports = found(staff, "融资", type="industry_report")
    assert "2025年餐饮行业发展报告" in reports and "会员企业融资难" not in reports
    assert "请输入关键词" in found(staff, "  ")


def test_typing_answers_with_the_results_only(login_client, directory, more):
    staff = login_client("lixia", "viewer")
    part = staff.get("/lixia/think_tank/search", query_string={"q": "停车位"},
                     headers={**HX, "HX-Target": "search-results"}).get_data(as_text=True)
    assert part.lstrip().startswith('<div id="search-results"') and "关于增设商圈<mark>停车位</mark>的建议" in part
    assert "<form" not in part


def test_an_association_account_finds_only_its_own_suggestions(software_account, directory, more):
    page = found(software_account, "融资")
    assert "软件协会会员企业融资难" in page
    assert "餐饮商会会员企业融资难" not in page and "没有找到" in found(software_account, "停车")
    assert "餐饮行业发展报告" not in page  # records no association owns are not the account's


def test_the_city_finds_its_own_records_not_the_districts(login_client, directory, more):
    city = login_client("jinan", "admin")
    assert "没有找到" in found(city, "融资难", slug="jinan")
    assert "软件协会会员企业融资难" in found(city, "融资难", slug="lixia")  # the city reads lixia inside lixia
    assert login_client("shizhong", "admin").get("/lixia/think_tank/search", query_string={"q": "融资"}).status_code == 404


def test_edits_deletes_and_restores_show_at_once(login_client, directory, more):
    editor = login_client("lixia", "editor")
    record = f"/lixia/entities/suggestion/{more['parking']}"
    changed = editor.post(record, data={
        "title": "关于增设商圈充电桩的建议", "association": str(directory["餐饮商会"]), "category": "营商环境",
        "submitted_on": "2025-05-06", "content": "新能源汽车充电难。", "version": "1"}, headers=HX)
    assert changed.status_code == 204
    assert "没有找到" in found(editor, "错时开放")
    assert "关于增设商圈充电桩的建议" in found(editor, "充电桩")
    assert editor.post(f"{record}/delete", data={"version": "2"}, headers=HX).status_code == 204
    assert "没有找到" in found(editor, "充电桩")
    assert editor.post(f"{record}/restore", headers=HX).status_code == 204
    assert "关于增设商圈充电桩的建议" in found(editor, "充电桩")


def test_routing_and_answering_leave_the_index_alone(app, db_session, tenant, directory):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        kind = service.type("suggestion")
        record = service.get(kind, directory["软件协会建议"])
        service.transition(kind, record, "assign", record.version, values={"department": "区金融办"})
        service.commit()
        rows = db_session.execute(text("SELECT title FROM think_tank_search WHERE entity_id = :id"),
                                  {"id": record.id}).scalars().all()
    assert rows == ["关于软件协会会员企业融资难问题的建议"]


def test_reindex_rebuilds_the_index_from_the_records(app, db_session, tenant, login_client, directory, more):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        db_session.execute(text("DELETE FROM think_tank_search"))
        db_session.commit()
    staff = login_client("lixia", "viewer")
    assert "没有找到" in found(staff, "错时开放")
    runner, cli = app.test_cli_runner(), make_cli()
    result = runner.invoke(cli, ["think-tank", "reindex", "--tenant", "lixia"])
    assert result.exit_code == 0, result.output
    assert "历下区:已索引 5 条记录" in result.output  # two suggestions, the parking one, a topic, a report
    assert "关于增设商圈停车位的建议" in found(staff, "错时开放")
    assert "没有简称为 nowhere 的单位" in runner.invoke(cli, ["think-tank", "reindex", "--tenant", "nowhere"]).output


def test_the_database_index_serves_trigram_queries(db_session, directory):
    """SQLite: the FTS5 trigram table answers MATCH (for every tenant: the search joins its
    hits back to the scoped records); PostgreSQL: the GIN trigram index serves ILIKE."""
    if db_session.get_bind().dialect.name == "sqlite":
        ids = db_session.execute(text(
            "SELECT rowid FROM think_tank_search_fts WHERE think_tank_search_fts MATCH '\"贷款贵\"'")).scalars().all()
        assert sorted(ids) == sorted([directory["软件协会建议"], directory["餐饮商会建议"], directory["物流协会建议"]])
        return
    with system_scope(db_session):  # the plan of the bare condition, with no tenant filter to prefer
        db_session.execute(text("SET LOCAL enable_seqscan = off"))
        plan = "\n".join(db_session.execute(text(
            "EXPLAIN SELECT entity_id FROM think_tank_search WHERE body ILIKE '%贷款贵%'")).scalars())
        assert "ix_think_tank_search_body_trgm" in plan
