"""Merging a duplicate record into the one that stays: references across types move, the
association accounts bound to it follow, and both histories are kept."""
from sqlalchemy import select

from core.auth.models import User
from core.db import session
from core.entities.models import Entity, EntityRevision, EntityUniqueKey
from core.tenancy import system_scope

from .test_entity_pages import HX, create, entity_id
from .test_unique_fields import CODE, plant_code


def revisions(app, target: int) -> list[tuple[str, str | None]]:
    with app.app_context(), system_scope(session):
        return [(r.action, r.reason) for r in session.scalars(
            select(EntityRevision).where(EntityRevision.entity_id == target).order_by(EntityRevision.version))]


def test_a_duplicate_is_merged_into_the_record_that_stays(app, login_client, make_user):
    admin = login_client("lixia", "admin")
    assert admin.post("/lixia/admin/fields/association", headers=HX, data={
        "name": "parent", "label": "上级协会", "kind": "reference", "target": "association"}).status_code == 200
    keep = entity_id(create(admin, name="济南市软件行业协会"))
    drop = entity_id(create(admin, name="济南软件协会", uscc="51370102MJD0000012"))
    plant_code(app, drop, CODE)  # the same legal entity, registered twice before codes were unique
    branch = entity_id(create(admin, name="软件协会历下分会", uscc="51370102MJD0000025", parent=str(drop)))
    account = make_user("lixia", "association", username="ruanjian", association_id=drop)

    page = admin.get(f"/lixia/entities/association/{keep}").get_data(as_text=True)
    assert "重复的记录" in page and "济南软件协会" in page and "并入本记录" in page
    merged = admin.post(f"/lixia/entities/association/{keep}/merge", data={"drop": str(drop)}, headers=HX)
    assert merged.status_code == 204

    with app.app_context(), system_scope(session):
        assert session.get(Entity, drop).deleted_at is not None
        assert session.get(Entity, branch).data["parent"] == keep
        assert session.get(User, account.id).association_id == keep
        assert set(session.scalars(select(EntityUniqueKey.entity_id).where(EntityUniqueKey.value == CODE))) == {keep}
    assert revisions(app, drop)[-1] == ("merge", "并入「济南市软件行业协会」")
    assert revisions(app, keep)[-1] == ("merge", "并入了重复记录「济南软件协会」")
    assert [action for action, _ in revisions(app, branch)] == ["create", "update"]
    history = admin.get(f"/lixia/entities/association/{keep}").get_data(as_text=True)
    assert "合并" in history and "重复的记录" not in history


def test_only_a_duplicate_can_be_merged_and_only_by_who_may_delete(app, login_client):
    admin = login_client("lixia", "admin")
    keep = entity_id(create(admin))
    other = entity_id(create(admin, name="另一个协会", uscc="51370102MJD0000012"))
    refused = admin.post(f"/lixia/entities/association/{keep}/merge", data={"drop": str(other)}, headers=HX)
    assert refused.status_code == 409 and "只能合并与本记录重复的记录" in refused.get_data(as_text=True)
    viewer = login_client("lixia", "viewer")
    assert viewer.post(f"/lixia/entities/association/{keep}/merge", data={"drop": str(other)}, headers=HX).status_code == 403
    with app.app_context(), system_scope(session):
        assert session.get(Entity, other).deleted_at is None
