"""Fixtures the core's tests share."""
import pytest

from core.entities import service_for
from core.tenancy import TenantScope, use_scope


@pytest.fixture
def lixia_service(app, db_session, tenant):
    """历下区's entity service, inside its scope."""
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        yield service_for(lixia)
