"""The ORM layer of tenant isolation: criteria on every statement, checks on every flush."""
import pytest
from sqlalchemy import delete, func, insert, select, update

from core.audit import AuditEvent
from core.tenancy import SYSTEM, ScopeError, TenantScope, set_scope, system_scope, use_scope
from tests.noticeboard import Notice

pytestmark = [
    pytest.mark.quanhui_plugins("tests.noticeboard"),
    pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"]),
]


@pytest.fixture
def lixia(tenant):
    return tenant("lixia")


@pytest.fixture
def shizhong(tenant):
    return tenant("shizhong")


def titles(db_session):
    return sorted(db_session.scalars(select(Notice.title)))


def test_a_session_without_a_scope_fails_closed(db_session):
    set_scope(db_session, None)
    with pytest.raises(ScopeError):
        db_session.scalars(select(Notice)).all()
    db_session.add(Notice(tenant_id=1, title="无范围"))
    with pytest.raises(ScopeError):
        db_session.flush()


def test_selects_see_only_the_scope(db_session, lixia, shizhong):
    with use_scope(db_session, TenantScope.of(lixia)):
        db_session.add(Notice(title="历下区公告"))
        db_session.commit()
        assert titles(db_session) == ["历下区公告", "欢迎使用公告栏"]
        assert {n.tenant_id for n in db_session.scalars(select(Notice))} == {lixia.id}
        assert db_session.scalar(select(func.count()).select_from(Notice)) == 2
    with use_scope(db_session, SYSTEM):
        assert db_session.scalar(select(func.count(Notice.id))) == 3


def test_a_roll_up_scope_reads_a_subtree(db_session, lixia, shizhong):
    wide = TenantScope.of(lixia).widened_to([shizhong.id])
    with use_scope(db_session, wide):
        assert db_session.scalar(select(func.count(Notice.id))) == 2


def test_bulk_updates_and_deletes_touch_only_the_scope(db_session, lixia, shizhong):
    with use_scope(db_session, TenantScope.of(lixia)):
        changed = db_session.execute(update(Notice).values(title="改了")).rowcount
        removed = db_session.execute(delete(Notice).where(Notice.title == "改了")).rowcount
        db_session.commit()
    assert (changed, removed) == (1, 1)
    with use_scope(db_session, TenantScope.of(shizhong)):
        assert titles(db_session) == ["欢迎使用公告栏"]


def test_a_new_row_takes_the_scopes_tenant_and_cannot_name_another(db_session, lixia, shizhong):
    with use_scope(db_session, TenantScope.of(lixia)):
        notice = Notice(title="自动归属")
        db_session.add(notice)
        db_session.flush()
        assert notice.tenant_id == lixia.id
        db_session.add(Notice(tenant_id=shizhong.id, title="越界"))
        with pytest.raises(ScopeError):
            db_session.flush()
        db_session.rollback()


def test_a_row_cannot_be_moved_to_another_tenant(db_session, lixia, shizhong):
    with use_scope(db_session, TenantScope.of(lixia)):
        notice = db_session.scalars(select(Notice)).one()
        notice.tenant_id = shizhong.id
        with pytest.raises(ScopeError):
            db_session.flush()
        db_session.rollback()


def test_orm_bulk_inserts_are_checked_too(db_session, lixia, shizhong):
    with use_scope(db_session, TenantScope.of(lixia)):
        with pytest.raises(ScopeError):
            db_session.execute(insert(Notice), [{"tenant_id": shizhong.id, "title": "批量越界"}])
        db_session.rollback()


def test_a_read_only_scope_cannot_write(db_session, lixia):
    with use_scope(db_session, TenantScope.of(lixia, writable=False)):
        assert titles(db_session) == ["欢迎使用公告栏"]
        db_session.add(Notice(title="只读"))
        with pytest.raises(ScopeError):
            db_session.flush()
        db_session.rollback()


def test_the_audit_log_cannot_be_changed_or_deleted(db_session, lixia):
    with system_scope(db_session):
        event = db_session.scalars(select(AuditEvent)).first()
        event.action = "tampered"
        with pytest.raises(PermissionError, match="审计日志只能追加"):
            db_session.flush()
        db_session.rollback()
        db_session.delete(db_session.scalars(select(AuditEvent)).first())
        with pytest.raises(PermissionError):
            db_session.flush()
        db_session.rollback()


def test_counts_over_subqueries_and_joins_are_scoped_too(db_session, lixia, shizhong):
    from core.tenancy import Tenant

    with use_scope(db_session, TenantScope.of(lixia)):
        inner = select(Notice).subquery()
        assert db_session.scalar(select(func.count()).select_from(inner)) == 1
        joined = select(Tenant.slug).join(Notice, Notice.tenant_id == Tenant.id)
        assert list(db_session.scalars(joined)) == ["lixia"]
