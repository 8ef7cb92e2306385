"""The isolation sweep: every route of the app, requested by every kind of actor.

``ROUTES`` is the table of record. It says, for each ``(endpoint, method)`` in
``app.url_map``, how to fill the URL's arguments, what form data a POST sends, and the
status each actor must get. Requests target lixia (历下区); the routes that take an
object id are also asked for shizhong's (市中区) object *under /lixia/*, which must
answer 404 like an object that does not exist. Routes on a record are also asked for
another association of lixia, one lixia's association account does not act for: the
staff reach it as any record, the association account gets 404.

A route that is in ``app.url_map`` but not in the table fails the sweep: whoever adds a
route decides here who may reach it.

Actors: anonymous; lixia's viewer, editor and admin; shizhong's admin (a sibling
district: everything under /lixia/ is 404 to it); jinan's admin (the city, an ancestor:
it reads every descendant and keeps its role there, so it gets what lixia's admin gets);
lixia's association account, bound to lixia's live association (the one the sweep names
as ``Ref("association")``): it views and edits records (``entities.view``/``edit``) but
only those its association owns, so any other association (another of lixia's,
shizhong's) is 404 to it wherever its permissions would let it act; it neither creates
associations, deletes, restores, imports, reads reports nor administers (403).
"""
from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest
from sqlalchemy import func, select

from core.entities.uscc import make

ACTORS = (
    "anonymous", "lixia-viewer", "lixia-editor", "lixia-admin", "shizhong-admin", "jinan-admin", "lixia-association",
)
SKIPPED_ENDPOINTS = {"static"}
SKIPPED_METHODS = {"HEAD", "OPTIONS"}
STATE_CHANGING = {"POST", "PUT", "PATCH", "DELETE"}
NEW_PASSWORD = "Quanhui-new-Pass-7391"


@dataclasses.dataclass(frozen=True)
class Ref:
    """A URL argument or form value filled at run time from the ids of the test's objects."""

    key: str


@dataclasses.dataclass(frozen=True)
class Route:
    #: URL arguments; ``Ref("notice")`` is lixia's welcome notice (shizhong's in the foreign variant).
    args: Mapping
    #: Status per actor for lixia's own object.
    expect: Mapping[str, int]
    #: Form data for state-changing methods: a request that would succeed for an admin.
    data: Mapping = dataclasses.field(default_factory=dict)
    #: Form data for the CSRF test: it would change something visible if the token were not checked.
    csrf_data: Mapping | None = None
    #: Status per actor when the id arguments name shizhong's object (under /lixia/).
    foreign: Mapping[str, int] | None = None
    #: Status per actor when ``Ref("association")`` names another live association of lixia,
    #: one the association account does not act for: the staff see it, the account gets 404.
    other: Mapping[str, int] | None = None


def statuses(anonymous, viewer, editor, admin, sibling, city, association) -> dict[str, int]:
    return dict(zip(ACTORS, (anonymous, viewer, editor, admin, sibling, city, association), strict=True))


# Profiles. Anonymous: 302 to /login for pages, 401 JSON for /api/. Sibling: 404 for
# anything under /lixia/. City admin: what lixia's admin gets. Association account: what
# a viewer gets, plus editing the records its association owns.
MEMBER_PAGE = statuses(302, 200, 200, 200, 404, 200, 200)
MEMBER_API = statuses(401, 200, 200, 200, 404, 200, 200)
ADMIN_PAGE = statuses(302, 403, 403, 200, 404, 200, 403)
EDITOR_POST = statuses(302, 403, 200, 200, 404, 200, 403)
#: Reports are for the staff (``reports.view``), not for association accounts.
STAFF_PAGE = statuses(302, 200, 200, 200, 404, 200, 403)
STAFF_API = statuses(401, 200, 200, 200, 404, 200, 403)
#: A foreign object under /lixia/: 404 once the actor passes the permission check.
FOREIGN_PAGE = statuses(302, 404, 404, 404, 404, 404, 404)
FOREIGN_API = statuses(401, 404, 404, 404, 404, 404, 404)
FOREIGN_ADMIN_POST = statuses(302, 403, 403, 404, 404, 404, 403)
#: Entity pages: editors change records; a change answers 303 to the record or the list.
#: The association account edits (``entities.edit``) its own association...
EDITOR_PAGE = statuses(302, 403, 200, 200, 404, 200, 200)
EDITOR_CHANGE = statuses(302, 403, 303, 303, 404, 303, 303)
FOREIGN_EDITOR = statuses(302, 403, 404, 404, 404, 404, 404)
#: ...but deleting, restoring and importing are the staff editors' (403 to it), and so is
#: creating an association (the service refuses: 403).
STAFF_EDITOR_PAGE = statuses(302, 403, 200, 200, 404, 200, 403)
STAFF_EDITOR_CHANGE = statuses(302, 403, 303, 303, 404, 303, 403)
FOREIGN_STAFF_EDITOR = statuses(302, 403, 404, 404, 404, 404, 403)
#: A route every member may reach, on an object it does not apply to (a type without a workflow).
MEMBER_NOT_FOUND_PAGE = statuses(302, 404, 404, 404, 404, 404, 404)
MEMBER_NOT_FOUND_API = statuses(401, 404, 404, 404, 404, 404, 404)
#: Admin changes by plain form post answer 303 back to the page.
ADMIN_CHANGE = statuses(302, 403, 403, 303, 404, 303, 403)
#: A page that sends every member on to another page of the tenant (switching tenant).
MEMBER_REDIRECT = statuses(302, 303, 303, 303, 404, 303, 303)
#: The signed-in user's own pages (API tokens) exist only in the home tenant: the city's
#: admin visiting lixia gets 404 there, like the sibling.
OWN_PAGE = statuses(302, 200, 200, 200, 404, 404, 200)
OWN_CHANGE = statuses(302, 303, 303, 303, 404, 404, 303)
FOREIGN_OWN = statuses(302, 404, 404, 404, 404, 404, 404)
#: Another association of lixia: what the staff get on any record, 404 to the association account.
OTHER_PAGE = statuses(302, 200, 200, 200, 404, 200, 404)
OTHER_API = statuses(401, 200, 200, 200, 404, 200, 404)
OTHER_EDITOR_PAGE = statuses(302, 403, 200, 200, 404, 200, 404)
OTHER_EDITOR_CHANGE = statuses(302, 403, 303, 303, 404, 303, 404)
LIXIA = {"tenant": "lixia"}
ASSOCIATIONS = {"tenant": "lixia", "type_name": "association"}
ASSOCIATION = {**ASSOCIATIONS, "entity_id": Ref("association")}
DESIGNED_FIELD = {**ASSOCIATIONS, "name": "sweep_note"}
BUILT_TYPE = {"tenant": "lixia", "name": Ref("record_type")}
RECORD = {"name": "历下区软件行业协会", "uscc": "51420000MJH200395N", "category": "行业协会", "status": "正常"}
#: An edit that leaves the credit code as it is (a code is held once in the whole tree).
EDIT = {key: value for key, value in RECORD.items() if key != "uscc"}

ROUTES: dict[tuple[str, str], Route] = {
    # Public routes.
    ("health.healthz", "GET"): Route({}, statuses(200, 200, 200, 200, 200, 200, 200)),
    ("auth.home", "GET"): Route({}, statuses(302, 302, 302, 302, 302, 302, 302)),
    ("auth.login", "GET"): Route({}, statuses(200, 302, 302, 302, 302, 302, 302)),
    # The tenant shell and the core's admin pages.
    ("shell.dashboard", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("shell.switch", "GET"): Route(LIXIA, MEMBER_REDIRECT),
    ("admin.plugins", "GET"): Route(LIXIA, ADMIN_PAGE),
    ("admin.users", "GET"): Route(LIXIA, ADMIN_PAGE),
    ("admin.audit_log", "GET"): Route(LIXIA, ADMIN_PAGE),
    ("admin.toggle_plugin", "POST"): Route(
        {"tenant": "lixia", "name": "noticeboard", "switch": "enabled"},
        ADMIN_CHANGE,
        data={"on": "1"},  # already on: succeeds without switching the plugin off mid-sweep
        csrf_data={"on": ""},  # would switch noticeboard off in lixia
    ),
    ("admin.create_user_view", "POST"): Route(
        LIXIA,
        ADMIN_CHANGE,
        data={"username": "lixia-new", "display_name": "新同事", "role": "viewer", "password": NEW_PASSWORD},
    ),
    ("admin.set_user_active", "POST"): Route(
        {"tenant": "lixia", "user_id": Ref("user")},
        ADMIN_CHANGE,
        data={"on": "1"},
        csrf_data={"on": ""},  # would deactivate the user
        foreign=FOREIGN_ADMIN_POST,
    ),
    # An admin revokes an API token of the tenant's users (lixia's target user's; shizhong's
    # target user's in the foreign variant).
    ("admin.revoke_token", "POST"): Route(
        {"tenant": "lixia", "token_id": Ref("user_token")}, ADMIN_CHANGE, foreign=FOREIGN_ADMIN_POST
    ),
    # The user's own API tokens, in the home tenant only. ``Ref("token")`` is the actor's own
    # token (shizhong's target user's in the foreign variant: someone else's is 404).
    ("account.tokens", "GET"): Route(LIXIA, OWN_PAGE),
    # Creating answers 200: the page with the new token, shown once (no redirect).
    ("account.create_token", "POST"): Route(LIXIA, statuses(302, 200, 200, 200, 404, 404, 200), data={"name": "巡检令牌"}),
    ("account.revoke_token", "POST"): Route(
        {"tenant": "lixia", "token_id": Ref("token")}, OWN_CHANGE, foreign=FOREIGN_OWN
    ),
    # The generic entity pages, on the core's association type.
    ("entities.index", "GET"): Route(ASSOCIATIONS, MEMBER_PAGE),
    ("entities.new", "GET"): Route(ASSOCIATIONS, STAFF_EDITOR_PAGE),
    ("entities.create", "POST"): Route(ASSOCIATIONS, STAFF_EDITOR_CHANGE, data=RECORD),
    ("entities.check_field", "POST"): Route({**ASSOCIATIONS, "field_name": "uscc"}, MEMBER_PAGE, data=RECORD),
    ("entities.detail", "GET"): Route(ASSOCIATION, MEMBER_PAGE, foreign=FOREIGN_PAGE, other=OTHER_PAGE),
    ("entities.revision", "GET"): Route(
        {**ASSOCIATION, "version": 1}, MEMBER_PAGE, foreign=FOREIGN_PAGE, other=OTHER_PAGE
    ),
    ("entities.edit", "GET"): Route(ASSOCIATION, EDITOR_PAGE, foreign=FOREIGN_EDITOR, other=OTHER_EDITOR_PAGE),
    ("entities.update", "POST"): Route(
        ASSOCIATION, EDITOR_CHANGE, data={**EDIT, "version": "1"},
        csrf_data={**EDIT, "name": "被篡改的名称", "version": "1"}, foreign=FOREIGN_EDITOR, other=OTHER_EDITOR_CHANGE,
    ),
    # Workflow transitions: the association has no workflow, so every member who may read
    # it gets 404 (who may fire a real transition is the transition's own rule:
    # tests/core/test_workflows.py).
    ("entities.transition", "POST"): Route(
        {**ASSOCIATION, "name": "verify"}, MEMBER_NOT_FOUND_PAGE, data={"version": "1"}, foreign=MEMBER_NOT_FOUND_PAGE,
        other=MEMBER_NOT_FOUND_PAGE,
    ),
    # A record's file: the association has no file field, so the download is 404 to every
    # member who may read it (downloads themselves: tests/core/test_entity_files.py).
    ("entities.download_file", "GET"): Route(
        {**ASSOCIATION, "field_name": "name"}, MEMBER_NOT_FOUND_PAGE, foreign=MEMBER_NOT_FOUND_PAGE,
        other=MEMBER_NOT_FOUND_PAGE,
    ),
    ("entities.recycle", "GET"): Route(ASSOCIATIONS, STAFF_EDITOR_PAGE),
    # Merging a record that is not a duplicate of this one is refused (409) for whoever may delete.
    ("entities.merge", "POST"): Route(
        ASSOCIATION, statuses(302, 403, 409, 409, 404, 409, 403), data={"drop": Ref("other_association")},
        foreign=FOREIGN_STAFF_EDITOR,
    ),
    ("entities.restore", "POST"): Route(
        {**ASSOCIATIONS, "entity_id": Ref("deleted_association")}, STAFF_EDITOR_CHANGE, foreign=FOREIGN_STAFF_EDITOR
    ),
    # 待确认: the staff's list; confirming or rejecting a record that waits for nothing (the
    # association's type needs no confirmation) is refused with a message (422).
    ("entities.pending", "GET"): Route(LIXIA, STAFF_EDITOR_PAGE),
    ("entities.confirm", "POST"): Route(
        ASSOCIATION, statuses(302, 403, 422, 422, 404, 422, 403), data={"version": "1"},
        foreign=statuses(302, 403, 404, 404, 404, 404, 403), other=statuses(302, 403, 422, 422, 404, 422, 403),
    ),
    ("entities.reject", "POST"): Route(
        ASSOCIATION, statuses(302, 403, 422, 422, 404, 422, 403), data={"version": "1", "reason": "巡检"},
        foreign=statuses(302, 403, 404, 404, 404, 404, 403), other=statuses(302, 403, 422, 422, 404, 422, 403),
    ),
    # Excel: template, export, import (an upload without a file is refused), progress.
    ("entity_excel.page", "GET"): Route(ASSOCIATIONS, MEMBER_PAGE),
    ("entity_excel.template", "GET"): Route(ASSOCIATIONS, MEMBER_PAGE),
    ("entity_excel.export", "GET"): Route(ASSOCIATIONS, MEMBER_PAGE),
    ("entity_excel.import_", "POST"): Route(
        ASSOCIATIONS, statuses(302, 403, 422, 422, 404, 422, 403), data={"mode": "all"}
    ),
    # An import job nobody started: 404 once the actor may import.
    ("entity_excel.progress", "GET"): Route(
        {**ASSOCIATIONS, "job_id": 999999}, statuses(302, 403, 404, 404, 404, 404, 403)
    ),
    ("entity_excel.errors", "GET"): Route(
        {**ASSOCIATIONS, "job_id": 999999}, statuses(302, 403, 404, 404, 404, 404, 403)
    ),
    # A long list's export job nobody started: 404 to every member.
    ("entity_excel.export_job", "GET"): Route({**ASSOCIATIONS, "job_id": 999999}, MEMBER_NOT_FOUND_PAGE),
    ("entity_excel.export_file", "GET"): Route({**ASSOCIATIONS, "job_id": 999999}, MEMBER_NOT_FOUND_PAGE),
    # Background jobs: each member sees the jobs they started; admins cancel and retry (a job
    # nobody started: 404).
    ("jobs.index", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("jobs.cancel_job", "POST"): Route({**LIXIA, "job_id": 999999}, statuses(302, 403, 403, 404, 404, 404, 403)),
    ("jobs.retry_job", "POST"): Route({**LIXIA, "job_id": 999999}, statuses(302, 403, 403, 404, 404, 404, 403)),
    # The field designer.
    ("field_designer.index", "GET"): Route(LIXIA, ADMIN_PAGE),
    ("field_designer.type_fields", "GET"): Route(ASSOCIATIONS, ADMIN_PAGE),
    ("field_designer.new_form", "GET"): Route(ASSOCIATIONS, ADMIN_PAGE),
    ("field_designer.add_field", "POST"): Route(
        ASSOCIATIONS, ADMIN_CHANGE, data={"name": "sweep_note", "label": "巡检备注", "kind": "text"}
    ),
    ("field_designer.edit_field", "GET"): Route(DESIGNED_FIELD, ADMIN_PAGE),
    ("field_designer.change_field", "POST"): Route(
        DESIGNED_FIELD, ADMIN_CHANGE, data={"label": "巡检备注", "required": "1"}, csrf_data={"label": "被篡改的名称"}
    ),
    ("field_designer.move_field", "POST"): Route(DESIGNED_FIELD, ADMIN_CHANGE, data={"direction": "up"}),
    ("field_designer.retire_field", "POST"): Route(DESIGNED_FIELD, ADMIN_CHANGE),
    ("field_designer.restore_field", "POST"): Route(DESIGNED_FIELD, ADMIN_CHANGE),
    # Record types built without code (core/entities/record_type_views.py): admins only.
    # ``Ref("record_type")`` is a type lixia built (shizhong's in the foreign variant).
    ("record_types.index", "GET"): Route(LIXIA, ADMIN_PAGE),
    ("record_types.create", "POST"): Route(LIXIA, ADMIN_CHANGE, data={"name": "sweep_new", "label": "巡检新类型"}),
    ("record_types.import_type", "POST"): Route(LIXIA, statuses(302, 403, 403, 422, 404, 422, 403)),
    ("record_types.builder", "GET"): Route(BUILT_TYPE, ADMIN_PAGE, foreign=FOREIGN_ADMIN_POST),
    ("record_types.change", "POST"): Route(
        {**BUILT_TYPE, "part": "basics"}, ADMIN_CHANGE, data={"label": "巡检类型", "in_nav": "1", "nav_order": "60"},
        csrf_data={"label": "被篡改的名称"}, foreign=FOREIGN_ADMIN_POST,
    ),
    ("record_types.change_item", "POST"): Route(
        {**BUILT_TYPE, "part": "fields", "item": "note", "action": "retire"}, ADMIN_CHANGE, foreign=FOREIGN_ADMIN_POST
    ),
    ("record_types.edit_field", "GET"): Route({**BUILT_TYPE, "item": "title"}, ADMIN_PAGE, foreign=FOREIGN_ADMIN_POST),
    ("record_types.change_field", "POST"): Route(
        {**BUILT_TYPE, "item": "title"}, ADMIN_CHANGE, data={"label": "巡检标题", "required": "1"},
        csrf_data={"label": "被篡改的名称", "required": "1"},
        foreign=FOREIGN_ADMIN_POST,
    ),
    ("record_types.publish", "POST"): Route(BUILT_TYPE, ADMIN_CHANGE, data={"on": "0"}, foreign=FOREIGN_ADMIN_POST),
    ("record_types.versions", "GET"): Route(BUILT_TYPE, ADMIN_PAGE, foreign=FOREIGN_ADMIN_POST),
    ("record_types.export", "GET"): Route(BUILT_TYPE, ADMIN_PAGE, foreign=FOREIGN_ADMIN_POST),
    ("record_types.retire", "POST"): Route(BUILT_TYPE, ADMIN_CHANGE, data={"on": "1"}, foreign=FOREIGN_ADMIN_POST),
    ("record_types.confirm_delete", "GET"): Route(BUILT_TYPE, ADMIN_PAGE, foreign=FOREIGN_ADMIN_POST),
    # Deletes lixia's type (it never had a record): after every route that reads it.
    ("record_types.delete", "POST"): Route(BUILT_TYPE, ADMIN_CHANGE, data={"confirm": "1"}, foreign=FOREIGN_ADMIN_POST),
    # The records API (JSON bodies: the sweep's form bodies are refused as 400 before any write).
    ("entity_api.openapi_document", "GET"): Route({}, statuses(200, 200, 200, 200, 200, 200, 200)),
    ("entity_api.tenant_openapi_document", "GET"): Route(LIXIA, MEMBER_API),
    ("entity_api.list_entities", "GET"): Route(ASSOCIATIONS, MEMBER_API),
    ("entity_api.get_entity", "GET"): Route(ASSOCIATION, MEMBER_API, foreign=FOREIGN_API, other=OTHER_API),
    ("entity_api.create_entity", "POST"): Route(
        ASSOCIATIONS, statuses(401, 403, 400, 400, 404, 400, 400), data=RECORD
    ),
    ("entity_api.update_entity", "PATCH"): Route(
        ASSOCIATION, statuses(401, 403, 428, 428, 404, 428, 428), foreign=statuses(401, 403, 404, 404, 404, 404, 404),
        other=statuses(401, 403, 428, 428, 404, 428, 404),
    ),
    # Reports: the tenant's list, a report's page, its Excel and its JSON.
    ("reports.index", "GET"): Route(LIXIA, STAFF_PAGE),
    ("reports.show", "GET"): Route({"tenant": "lixia", "name": "association_status"}, STAFF_PAGE),
    ("reports.download", "GET"): Route({"tenant": "lixia", "name": "association_status"}, STAFF_PAGE),
    ("report_api.list_reports", "GET"): Route(LIXIA, STAFF_API),
    ("report_api.report", "GET"): Route({"tenant": "lixia", "name": "association_status"}, STAFF_API),
    # Vocabularies: every member reads them; the city's lists are read-only in a district,
    # so even lixia's admin (and the city's admin acting in lixia) gets 403 on a save.
    ("vocabularies.index", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("vocabularies.show", "GET"): Route({"tenant": "lixia", "name": "industry_chains"}, MEMBER_PAGE),
    ("vocabularies.save", "POST"): Route(
        {"tenant": "lixia", "name": "industry_chains"}, statuses(302, 403, 403, 403, 404, 403, 403), data={"terms": "新材料"}
    ),
    # A file upload: the association has no file field, so it is 404 to every editor (uploads
    # themselves: tests/security/test_file_binding.py).
    ("entity_api.upload_file", "POST"): Route(
        {**ASSOCIATION, "field_name": "name"}, statuses(401, 403, 404, 404, 404, 404, 404),
        foreign=statuses(401, 403, 404, 404, 404, 404, 404), other=statuses(401, 403, 404, 404, 404, 404, 404),
    ),
    ("entity_api.transition_entity", "POST"): Route(
        {**ASSOCIATION, "name": "verify"}, MEMBER_NOT_FOUND_API, foreign=MEMBER_NOT_FOUND_API, other=MEMBER_NOT_FOUND_API
    ),
    # The core API.
    ("api.tenant_info", "GET"): Route(LIXIA, MEMBER_API),
    ("api.plugins", "GET"): Route(LIXIA, MEMBER_API),
    # The noticeboard plugin, enabled in lixia and shizhong.
    ("noticeboard.index", "GET"): Route(LIXIA, MEMBER_PAGE),
    ("noticeboard.static", "GET"): Route({**LIXIA, "filename": "noticeboard.css"}, MEMBER_PAGE),
    ("noticeboard.post", "POST"): Route(LIXIA, EDITOR_POST, data={"title": "本周五下午召开理事会"}),
    ("noticeboard.detail", "GET"): Route(
        {"tenant": "lixia", "notice_id": Ref("notice")}, MEMBER_PAGE, foreign=FOREIGN_PAGE
    ),
    ("noticeboard_api.api_notices", "GET"): Route(LIXIA, MEMBER_API),
    ("noticeboard_api.api_notice", "GET"): Route(
        {"tenant": "lixia", "notice_id": Ref("notice")}, MEMBER_API, foreign=FOREIGN_API
    ),
    # The think_tank plugin (智库与会企之声): not enabled in this sweep, so its pages answer 404
    # to every signed-in actor (a disabled plugin's routes vanish); tests/plugins/think_tank/
    # checks who reaches them where it is enabled.
    ("think_tank.inbox", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.new", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.similar", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    # think_tank's inbox panel, search, topic board, report library, proposal ledger, static files.
    ("think_tank.suggestion", "GET"): Route({**LIXIA, "entity_id": 1}, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.act", "POST"): Route(
        {**LIXIA, "entity_id": 1, "name": "assign"}, statuses(302, 404, 404, 404, 404, 404, 404),
        data={"version": "1", "department": "区金融办"},
    ),
    ("think_tank.search", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.topics", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.library", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.proposals", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("think_tank.static", "GET"): Route(
        {**LIXIA, "filename": "think_tank/think_tank.css"}, statuses(302, 404, 404, 404, 404, 404, 404)
    ),
    # The matching plugin (百会联百村): not enabled in this sweep, so its pages answer 404 to
    # every signed-in actor; tests/plugins/matching/ checks who reaches them where it is enabled.
    ("matching.workbench", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("matching.start_pairing", "POST"): Route(
        LIXIA, statuses(302, 404, 404, 404, 404, 404, 404), data={"programme": "百会联百村", "target": "1", "association": "1"}
    ),
    ("matching.assign", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("matching.confirm", "POST"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404), data={"programme": "百会联百村"}),
    ("matching.board", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("matching.ledger", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    # The rectification plugin (规范整治): not enabled in this sweep either, so its pages answer
    # 404 to every signed-in actor; tests/plugins/rectification/ checks who reaches them where
    # it is enabled (catalogues kept by the city, association accounts on their own cases).
    ("rectification.board", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("rectification.cases", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("rectification.case", "GET"): Route({**LIXIA, "case_id": 1}, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("rectification.transition", "POST"): Route(
        {**LIXIA, "case_id": 1, "name": "verify"}, statuses(302, 404, 404, 404, 404, 404, 404), data={"version": "1"}
    ),
    ("rectification.self_inspection", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("rectification.self_inspection", "POST"): Route(
        LIXIA, statuses(302, 404, 404, 404, 404, 404, 404), data={"title": "未按期换届"}
    ),
    ("rectification.static", "GET"): Route(
        {**LIXIA, "filename": "rectification/rectification.css"}, statuses(302, 404, 404, 404, 404, 404, 404)
    ),
    # The coverage plugin's pages (党建覆盖): not enabled in this sweep either, so 404 to every
    # signed-in actor; tests/plugins/coverage/test_pages.py checks who reaches them where it is enabled.
    ("coverage.dashboard", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.summary", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.uncovered", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.row", "GET"): Route(
        {**LIXIA, "association_id": Ref("association")}, statuses(302, 404, 404, 404, 404, 404, 404),
        foreign=statuses(302, 404, 404, 404, 404, 404, 404),
    ),
    ("coverage.act", "GET"): Route(
        {**LIXIA, "association_id": Ref("association"), "action": "instructor"},
        statuses(302, 404, 404, 404, 404, 404, 404), foreign=statuses(302, 404, 404, 404, 404, 404, 404),
    ),
    ("coverage.act", "POST"): Route(
        {**LIXIA, "association_id": Ref("association"), "action": "temporary-branch"},
        statuses(302, 404, 404, 404, 404, 404, 404), data={"name": "巡检临时党支部", "mark": "none"},
        foreign=statuses(302, 404, 404, 404, 404, 404, 404),
    ),
    ("coverage.instructors", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.brands", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.themes", "GET"): Route(LIXIA, statuses(302, 404, 404, 404, 404, 404, 404)),
    ("coverage.static", "GET"): Route({**LIXIA, "filename": "coverage.css"}, statuses(302, 404, 404, 404, 404, 404, 404)),
    # Deletes lixia's association: after every route that reads it.
    ("entities.delete", "POST"): Route(
        ASSOCIATION, STAFF_EDITOR_CHANGE, foreign=FOREIGN_STAFF_EDITOR, other=STAFF_EDITOR_CHANGE
    ),
    # Deletes an association of its own, after every route that reads the shared one.
    ("entity_api.delete_entity", "DELETE"): Route(
        {**ASSOCIATIONS, "entity_id": Ref("api_association")}, statuses(401, 403, 204, 204, 404, 204, 403),
        foreign=statuses(401, 403, 404, 404, 404, 404, 403),
    ),
    # Last, because they change who the client is: signing out, then in again as oneself
    # (anonymous signs in as lixia's target user).
    ("auth.logout", "POST"): Route({}, statuses(302, 303, 303, 303, 303, 303, 303)),
    ("auth.login", "POST"): Route(
        {},
        statuses(303, 303, 303, 303, 303, 303, 303),
        data={"username": Ref("own_username"), "password": Ref("password")},
        csrf_data={"username": Ref("other_username"), "password": Ref("password")},
    ),
}


def url_map_routes(app) -> list[tuple[str, str]]:
    found = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint in SKIPPED_ENDPOINTS:
            continue
        for method in sorted(rule.methods - SKIPPED_METHODS):
            found.append((rule.endpoint, method))
    return found


def routes_in_sweep_order(app) -> list[tuple[str, str]]:
    """Every route of ``app.url_map``, in table order; fails on a route the table lacks."""
    found = url_map_routes(app)
    missing = [key for key in found if key not in ROUTES]
    assert not missing, (
        f"routes missing from ROUTES in {__file__}: {missing}. Add each with its URL arguments "
        "and the status every actor must get."
    )
    order = list(ROUTES)
    return sorted(found, key=order.index)


def resolve(value, ids: Mapping):
    if isinstance(value, Ref):
        return ids[value.key]
    return value


def build_url(app, endpoint: str, method: str, args: Mapping, ids: Mapping) -> str:
    rule = next(r for r in app.url_map.iter_rules(endpoint))
    assert set(args) == set(rule.arguments), f"{endpoint}: table gives {sorted(args)}, rule needs {sorted(rule.arguments)}"
    adapter = app.url_map.bind("localhost")
    return adapter.build(endpoint, {k: resolve(v, ids) for k, v in args.items()}, method=method)


def request(client, method: str, url: str, data: Mapping, ids: Mapping, **kwargs):
    form = {k: resolve(v, ids) for k, v in data.items()}
    return client.open(url, method=method, data=form if method in STATE_CHANGING else None, **kwargs)


@pytest.fixture
def world(app, db_session, make_user):
    """The objects the sweep names: welcome notices, a user to (de)activate in each district."""
    from core.tenancy import Tenant, system_scope
    from tests.noticeboard import Notice

    lixia_target = make_user("lixia", "viewer", username="lixia-target")
    shizhong_target = make_user("shizhong", "viewer", username="shizhong-target")
    lixia_token, shizhong_token = token_id(app, lixia_target), token_id(app, shizhong_target)
    with system_scope(db_session):
        notices = dict(
            db_session.execute(
                select(Tenant.slug, func.min(Notice.id)).join(Tenant, Tenant.id == Notice.tenant_id).group_by(Tenant.slug)
            ).all()
        )
    assert set(notices) == {"lixia", "shizhong"}, notices
    return {
        "lixia": {
            "notice": notices["lixia"], "user": lixia_target.id, "user_token": lixia_token,
            **associations(db_session, "lixia"), **built_type(db_session, "lixia"),
        },
        "shizhong": {
            "notice": notices["shizhong"], "user": shizhong_target.id, "user_token": shizhong_token,
            "token": shizhong_token, **associations(db_session, "shizhong"), **built_type(db_session, "shizhong"),
        },
    }


def token_id(app, user) -> int:
    """The id of a new API token of ``user``."""
    from core.auth.accounts import create_api_token
    from core.auth.models import ApiToken
    from core.db import session
    from core.tenancy import system_scope

    with app.app_context():
        create_api_token(session, user, "巡检用令牌", actor=None)
        session.commit()
        with system_scope(session):
            return session.scalar(select(func.max(ApiToken.id)).where(ApiToken.user_id == user.id))


def associations(db_session, slug: str) -> dict[str, int]:
    """A live and a deleted association of the tenant, made through the entity service."""
    from core.entities import service_for
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    tenant = tenant_by_slug(db_session, slug)
    with use_scope(db_session, TenantScope.of(tenant)):
        service = service_for(tenant)
        association = service.type("association")
        division = "370102" if slug == "lixia" else "370103"
        live, other, for_the_api, deleted = (
            service.create(association, {**RECORD, "uscc": make("5", "1", division, n)}) for n in range(1, 5))
        service.delete(association, deleted)
        service.commit()
    return {
        "association": live.id, "other_association": other.id, "api_association": for_the_api.id,
        "deleted_association": deleted.id,
    }


def built_type(db_session, slug: str) -> dict[str, str]:
    """A record type the tenant built, with one field besides its title."""
    from core.entities import service_for
    from core.entities.record_type_builder import RecordTypeBuilder
    from core.tenancy import TenantScope, tenant_by_slug, use_scope

    tenant = tenant_by_slug(db_session, slug)
    with use_scope(db_session, TenantScope.of(tenant)):
        builder = RecordTypeBuilder(service_for(tenant))
        name = builder.create({"name": f"sweep_{slug}", "label": "巡检类型"}).name
        builder.add_field(name, {"name": "note", "label": "备注", "kind": "text"})
        db_session.commit()
    return {"record_type": name}


def actor_client(app, make_user, actor: str, world: Mapping):
    """A client signed in as ``actor``, its username and password, and the id of an API
    token of its own (lixia's target user's for anonymous)."""
    from core.testing import TEST_PASSWORD

    client = app.test_client()
    if actor == "anonymous":
        return client, "lixia-target", TEST_PASSWORD, world["lixia"]["user_token"]
    slug, role = actor.split("-")
    if role == "association":
        user = association_account(app, slug, world[slug]["association"])
    else:
        user = make_user(slug, role)
    response = client.login(user.username)
    assert response.status_code == 303, response.get_data(as_text=True)
    return client, user.username, TEST_PASSWORD, token_id(app, user)


def association_account(app, slug: str, association_id: int):
    """An association account of ``slug`` acting for the association ``association_id``."""
    from core.auth.accounts import create_user
    from core.db import session
    from core.tenancy import tenant_by_slug
    from core.testing import TEST_PASSWORD

    with app.app_context():
        user = create_user(
            session, tenant_by_slug(session, slug), f"{slug}-association", TEST_PASSWORD, "association",
            association_id=association_id, actor=None,
        )
        session.commit()
        return user


def check_answer(response, expected: int, label: str, problems: list[str]) -> None:
    if response.status_code != expected:
        problems.append(f"{label}: expected {expected}, got {response.status_code}")
        return
    path = label.split(" ", 2)[1]
    if expected == 302 and path.startswith("/lixia/") and not response.location.startswith("/login?next="):
        problems.append(f"{label}: 302 to {response.location}, expected /login?next=...")
    if expected == 401:
        body = response.get_json(silent=True) or {}
        if body.get("error", {}).get("code") != "unauthorized":
            problems.append(f"{label}: 401 without the JSON error body: {response.get_data(as_text=True)[:200]}")
    if expected == 404 and path.startswith("/api/"):
        body = response.get_json(silent=True) or {}
        if body.get("error", {}).get("status") != 404:
            problems.append(f"{label}: 404 without the JSON error body")


@pytest.mark.quanhui_plugins("tests.noticeboard")
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
def test_every_route_is_in_the_table(app):
    """A route without a table entry fails; so does an entry for a route removed or renamed."""
    routes_in_sweep_order(app)
    stale = set(ROUTES) - set(url_map_routes(app))
    assert not stale, f"ROUTES names routes the app does not have: {sorted(stale)}"


@pytest.mark.quanhui_plugins("tests.noticeboard")
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
@pytest.mark.parametrize("actor", ACTORS)
def test_route_matrix(app, make_user, world, actor):
    client, own_username, password, own_token = actor_client(app, make_user, actor, world)
    ids = {
        "own_username": own_username,
        "other_username": "lixia-target",
        "password": password,
        "token": own_token,
    }
    problems: list[str] = []
    for endpoint, method in routes_in_sweep_order(app):
        route = ROUTES[(endpoint, method)]
        variants = [("", world["lixia"], route.expect)]
        if route.foreign is not None:
            variants.append((" (shizhong's id)", world["shizhong"], route.foreign))
        if route.other is not None:
            other = {**world["lixia"], "association": world["lixia"]["other_association"]}
            variants.append((" (another lixia association)", other, route.other))
        for note, object_ids, expected in variants:
            values = {**ids, **object_ids}
            url = build_url(app, endpoint, method, route.args, values)
            response = request(client, method, url, route.data, values)
            check_answer(response, expected[actor], f"{method} {url} [{endpoint}]{note} as {actor}", problems)
    assert not problems, "\n".join(problems)


@pytest.mark.quanhui_plugins("tests.noticeboard")
@pytest.mark.enable_plugins("noticeboard", tenants=["lixia", "shizhong"])
@pytest.mark.parametrize("token", ["missing", "wrong"])
def test_state_changes_need_the_csrf_token(app, db_session, make_user, world, token):
    """Every state-changing route refuses a request without a valid CSRF token (400),
    even for lixia's admin, and nothing changes."""
    from core.auth.models import ApiToken, LoginSession, User
    from core.plugin_state import PluginSetting
    from core.tenancy import system_scope
    from tests.noticeboard import Notice

    client, own_username, password, own_token = actor_client(app, make_user, "lixia-admin", world)
    values = {
        **world["lixia"], "own_username": own_username, "other_username": "lixia-target", "password": password,
        "token": own_token,
    }

    def snapshot():
        db_session.rollback()
        with system_scope(db_session):
            return {
                "notices": db_session.scalar(select(func.count(Notice.id))),
                "users": db_session.scalar(select(func.count(User.id))),
                "active users": db_session.scalar(select(func.count(User.id)).where(User.active.is_(True))),
                "login sessions": db_session.scalar(select(func.count(LoginSession.id))),
                "api tokens": db_session.scalar(select(func.count(ApiToken.id))),
                "revoked api tokens": db_session.scalar(
                    select(func.count(ApiToken.id)).where(ApiToken.revoked_at.is_not(None))
                ),
                "open login sessions": db_session.scalar(
                    select(func.count(LoginSession.id)).where(LoginSession.revoked_at.is_(None))
                ),
                "enabled plugins": sorted(
                    db_session.execute(
                        select(PluginSetting.tenant_id, PluginSetting.plugin).where(PluginSetting.enabled.is_(True))
                    ).all()
                ),
            }

    before = snapshot()
    checked = []
    for endpoint, method in routes_in_sweep_order(app):
        if method not in STATE_CHANGING:
            continue
        route = ROUTES[(endpoint, method)]
        url = build_url(app, endpoint, method, route.args, values)
        data = route.csrf_data if route.csrf_data is not None else route.data
        if token == "missing":
            response = request(client, method, url, data, values, csrf=False)
        else:
            response = request(client, method, url, data, values, headers={"X-CSRFToken": "forged-token"})
        assert response.status_code == 400, f"{method} {url} without a valid CSRF token: {response.status_code}"
        checked.append(endpoint)
    assert {"noticeboard.post", "auth.logout", "account.create_token", "account.revoke_token"} <= set(checked)
    assert snapshot() == before
    # Still signed in as lixia's admin: neither the login nor the logout went through.
    assert client.get("/lixia/admin/users").status_code == 200
