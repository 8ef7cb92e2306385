"""Helpers for tests that create associations through the entity service, as a script would."""
import itertools

from core.db import session
from core.entities import service_for, uscc
from core.entities.service import EntityService, Invalid
from core.tenancy import TenantScope, set_scope, tenant_by_slug

#: Credit-code serials of records made here; above those of the Excel tests' rows
#: (test_entity_excel.association_row), since a code is unique in the whole tree.
_serials = itertools.count(10_000)


def service(app, slug: str) -> EntityService:
    """The entity service of ``slug``, the app context's session scoped to it."""
    tenant = tenant_by_slug(session, slug)
    set_scope(session, TenantScope.of(tenant))
    return service_for(tenant)


def association(**extra) -> dict:
    """A valid association's fields, with a fresh credit code each time."""
    code = uscc.make("5", "1", "370102", next(_serials))
    return {"name": f"测试协会{code[-6:]}", "uscc": code, "category": "行业协会", **extra}


def create(app, slug: str, **extra):
    """Create an association in ``slug``; its id, or the refusal's messages per field."""
    with app.app_context():
        svc = service(app, slug)
        try:
            entity = svc.create(svc.type("association"), association(**extra))
        except Invalid as refusal:
            svc.rollback()
            return refusal.errors
        svc.commit()
        return entity.id
