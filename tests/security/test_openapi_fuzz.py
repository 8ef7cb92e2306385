"""schemathesis over /api/openapi.json: whatever it sends, the API never answers 5xx.

Every operation of the published document is exercised against lixia with a valid
bearer token, on a database holding some associations, so requests reach the handlers
rather than stopping at 404. (schemathesis's pytest integration does not run on
pytest 9, so the test drives its strategies with hypothesis directly.)
"""
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis.checks import not_a_server_error

from core.auth.accounts import create_api_token
from core.entities import service_for
from core.entities.uscc import make
from core.tenancy import TenantScope, use_scope

EXAMPLES_PER_OPERATION = 25


def test_the_api_never_answers_a_server_error(app, db_session, tenant, make_user):
    lixia = tenant("lixia")
    with use_scope(db_session, TenantScope.of(lixia)):
        service = service_for(lixia)
        for serial in range(1, 4):
            service.create(service.type("association"), {
                "name": f"历下区第{serial}协会", "uscc": make("5", "1", "370102", serial), "category": "行业协会"})
        service.commit()
    token = create_api_token(db_session, make_user("lixia", "admin"), "schemathesis")
    db_session.commit()
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", app)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 5

    for operation in operations:

        @given(case=operation.as_strategy())
        @settings(max_examples=EXAMPLES_PER_OPERATION, deadline=None, database=None,
                  suppress_health_check=list(HealthCheck))
        def answers_without_a_server_error(case):
            if "tenant" in (case.path_parameters or {}):
                case.path_parameters["tenant"] = "lixia"
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {token}"}  # not a generated one
            with app.app_context():  # a request of its own, not pytest-flask's pushed one (see core.testing)
                response = case.call()
            case.validate_response(response, checks=(not_a_server_error,))

        answers_without_a_server_error()
