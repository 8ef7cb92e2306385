"""The hooks a quanhui plugin can implement: the plugin author's reference.

A plugin is a module (or any object) with a ``meta`` attribute, a
:class:`core.api.PluginMeta`, and functions marked with ``core.api.hookimpl`` whose
names match the specifications below. Implement only the hooks you need; arguments
are passed by name, so an implementation may accept fewer than the spec lists.

Tenant-scoped hooks (navigation, widgets, lifecycle, demo data) run only for the
plugins enabled in that tenant. Hooks that build the application (blueprints,
permissions, CLI commands, migrations) run once at start-up for every installed
plugin; what they register is then gated per tenant, so a disabled plugin's routes
answer 404 and its items vanish.

A minimal plugin::

    from core.api import PluginMeta, NavItem, hookimpl

    meta = PluginMeta(name="hello", title="你好", version="1.0.0")

    @hookimpl
    def quanhui_nav_items(tenant, user):
        return [NavItem("你好", "hello.index")]
"""
from __future__ import annotations

import pluggy

hookspec = pluggy.HookspecMarker("quanhui")


@hookspec
def quanhui_blueprints():
    """Return Flask blueprints with the plugin's pages.

    Each is mounted at ``/<tenant>/<plugin name>/`` and its views receive the tenant
    slug as ``tenant`` (the core has already resolved it: use ``core.api.current_tenant()``).
    Requests for a tenant where the plugin is not enabled answer 404 before the view runs.
    A blueprint's ``template_folder`` and ``static_folder`` serve its templates and files.

    Example::

        bp = Blueprint("hello", __name__, template_folder="templates")

        @bp.get("/")
        def index(tenant):
            return render_template("hello/index.html")

        @hookimpl
        def quanhui_blueprints():
            return [bp]
    """


@hookspec
def quanhui_api_blueprints():
    """Return Flask blueprints with the plugin's JSON API.

    Each is mounted at ``/api/v1/<tenant>/<plugin name>/``. Callers authenticate with a
    bearer token or the browser session; the core answers 401, 404 and the JSON error
    body before the view runs.

    Example::

        api = Blueprint("hello_api", __name__)

        @api.get("/greetings")
        def greetings(tenant):
            return {"items": ["你好"]}

        @hookimpl
        def quanhui_api_blueprints():
            return [api]
    """


@hookspec
def quanhui_nav_items(tenant, user):
    """Return :class:`core.api.NavItem` entries for the navigation of ``tenant``.

    ``user`` is the signed-in :class:`core.api.User`. Items whose ``permission`` the
    user lacks are hidden by the core.

    Example::

        @hookimpl
        def quanhui_nav_items(tenant, user):
            return [NavItem("公告", "noticeboard.index", order=50)]
    """


@hookspec
def quanhui_dashboard_widgets(tenant, user, scope):
    """Return :class:`core.api.Widget` panels for the dashboard of ``tenant``.

    A widget names a template and its context. If this hook or the widget's template
    raises, the dashboard still renders and that panel says it failed.

    ``scope`` (a :class:`core.api.DashboardScope`) is what the user chose to see: 本级
    (``scope.kind == "own"``) or, on a tenant with descendants, 全市 / 本级及下级
    (``"subtree"``, the default there), with ``scope.tenant_ids``. A widget that counts
    over those ids says so with ``scopes=("own", "subtree")``; any other widget is
    labelled 本级 on a 全市 dashboard, never passed off as 全市.

    Example::

        @hookimpl
        def quanhui_dashboard_widgets(tenant, user, scope):
            with scope.reading(core.api.session):
                count = core.api.session.scalar(
                    select(func.count(Notice.id)).where(Notice.tenant_id.in_(scope.tenant_ids)))
            return [Widget("公告", "noticeboard/widget.html", {"count": count}, scopes=("own", "subtree"))]
    """


@hookspec
def quanhui_permissions():
    """Return the :class:`core.api.Permission` objects the plugin adds.

    Each names the roles that hold it. Check one in a view with
    ``core.api.require_permission("hello.post")``.

    Example::

        @hookimpl
        def quanhui_permissions():
            return [Permission("hello.post", "发布问候", roles=("admin", "editor"))]
    """


@hookspec
def quanhui_plugin_enabled(session, tenant, actor):
    """Called on this plugin alone, inside the transaction that enables it for ``tenant``.

    Use it to create per-tenant defaults. Raising refuses the change: nothing is committed.

    Example::

        @hookimpl
        def quanhui_plugin_enabled(session, tenant, actor):
            session.add(Notice(tenant_id=tenant.id, title="欢迎使用公告栏"))
    """


@hookspec
def quanhui_plugin_disabled(session, tenant, actor):
    """Called on this plugin alone, inside the transaction that disables it for ``tenant``.

    The plugin's rows are kept: enabling it again shows them again. Do not delete data here.

    Example::

        @hookimpl
        def quanhui_plugin_disabled(session, tenant, actor):
            logger.info("disabled in %s by %s", tenant.slug, actor.username)
    """


@hookspec
def quanhui_cli(cli):
    """Add commands to the ``quanhui`` command line; ``cli`` is its click group.

    Commands run inside an application context.

    Example::

        @hookimpl
        def quanhui_cli(cli):
            @cli.command("hello")
            def hello():
                click.echo("你好")
    """


@hookspec
def quanhui_demo_data(session, tenant):
    """Add demo rows for ``tenant``; ``quanhui demo`` calls it for every tenant where
    the plugin is enabled, with the session already scoped to that tenant.

    Example::

        @hookimpl
        def quanhui_demo_data(session, tenant):
            session.add(Notice(title=f"{tenant.name}公告"))
    """


@hookspec
def quanhui_migrations():
    """Return the folder of the plugin's Alembic migrations, for its own tables.

    The plugin's revisions form their own branch (``branch_labels = ("hello",)``) that
    ``depends_on`` the core's; ``quanhui db upgrade`` applies every installed plugin's
    branch. Call ``core.api.enable_tenant_rls(op, "hello_greetings")`` in the revision
    so PostgreSQL confines the table's rows to their tenant.

    Example::

        @hookimpl
        def quanhui_migrations():
            return str(Path(__file__).with_name("migrations"))
    """


@hookspec
def quanhui_entity_types():
    """Return the :class:`core.api.EntityType` definitions the plugin adds.

    Every type gets list, detail, create and edit pages, revisions, the recycle view,
    Excel and the JSON API from the core, in each tenant where the plugin is enabled.
    Tenant admins may add fields of their own to it without code. Type names are
    global: a name another plugin declared first is refused (and logged).

    A type may carry a :class:`core.entities.definitions.Workflow`: states kept in a
    choice field (added to the type if it does not declare it; indexed and listed, so
    lists filter on it), transitions with the roles (and optionally the permission) that
    may fire each, a reason where one is needed, fields filled while firing, and a guard
    that refuses with a Chinese message. The state is the initial one on create and
    changes only through ``EntityService.transition`` (buttons on the detail page,
    ``POST /api/v1/<tenant>/entities/<type>/<id>/transitions/<name>``); each firing is a
    revision ``transition:<name>`` with its reason and an ``entity.transition`` audit
    event. ``quanhui_validate_entity`` sees a transition's new data too.

    Example::

        @hookimpl
        def quanhui_entity_types():
            return [
                EntityType("party_org", "党组织", fields=(
                    Field("name", "名称", required=True, indexed=True, listed=True),
                    Field("kind", "类型", kind="choice", choices=("党委", "党支部"), indexed=True),
                )),
                EntityType("suggestion", "意见建议", fields=(
                    Field("title", "标题", required=True, indexed=True),
                    Field("reply", "答复", kind="long_text"),
                ), title_field="title", workflow=Workflow(
                    field="stage",
                    states=(State("已提交"), State("已分办"), State("已答复", final=True)),
                    initial="已提交",
                    transitions=(
                        Transition("assign", "分办", ("已提交",), "已分办", roles=("admin",)),
                        Transition("answer", "答复", ("已分办",), "已答复", fields=("reply",),
                                   guard=lambda data, ctx: None if len(data["reply"]) >= 10 else "答复至少 10 个字"),
                        Transition("reopen", "重新办理", ("已答复",), "已分办", needs_reason=True),
                    ),
                )),
            ]
    """


@hookspec
def quanhui_vocabularies():
    """Return the :class:`core.api.VocabularyDeclaration` lists the plugin's fields use.

    A vocabulary is a named, ordered list of terms the city maintains under 「词表」 and
    every district uses read-only (the nearest ancestor-or-self that defines it wins). A
    choice or multi-choice field names one with ``vocabulary=`` instead of listing
    ``choices``; its choices are then the terms as the tenant sees them, in forms,
    validation, Excel templates and the tenant's OpenAPI document, changed at once when
    the city edits the list. ``quanhui init`` creates each declared vocabulary the city
    does not have yet, with the declared terms, which also apply until then. A stored
    value that was later taken off the list still shows, and survives unrelated edits.
    Vocabulary names are global: a name another plugin declared first is ignored (and logged).

    Example::

        @hookimpl
        def quanhui_vocabularies():
            return [VocabularyDeclaration("needs", "需求类别", ("产业发展", "技术", "销售渠道", "融资"))]

        # in quanhui_entity_types:
        Field("need", "需求类别", kind="choice", vocabulary="needs", indexed=True)
    """


@hookspec
def quanhui_validate_entity(tenant, entity_type, data, previous, before, actor, entity_id, action):
    """Check a record beyond its fields' own rules; return ``{field: message}`` for each fault.

    ``data`` holds the typed values after field validation (a ``Decimal`` for money, a
    ``date`` for a date); ``before`` the record's values before this change, typed the same
    way (``None`` when creating), so ``data["amount"] != before["amount"]`` means the amount
    changed. ``actor`` is the :class:`core.api.User` making the change (``None`` from the
    command line), ``entity_id`` the record's id (``None`` when creating), ``action``
    ``create``, ``update`` or ``transition:<name>``. ``previous`` is the stored JSON before
    the change, as plugin API 0.1 gave it. Take only the arguments you need: hooks are
    called by name. Return ``{}`` or ``None`` when all is well; the messages reach the user
    beside the named fields.

    Example::

        @hookimpl
        def quanhui_validate_entity(entity_type, data, before, actor, action):
            if entity_type.name == "party_org" and data.get("member_count", 0) < 3:
                return {"member_count": "正式党员 3 人以上才能成立党支部"}
            if action == "update" and data.get("amount") != (before or {}).get("amount") and actor is None:
                return {"amount": "金额只能在页面上由工作人员修改"}
    """


@hookspec
def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
    """Called after a change to a record has been committed, in the tenant it happened in.

    ``action`` is ``create``, ``update``, ``delete``, ``restore`` or ``transition:<name>``;
    ``before`` and ``after`` are the stored data (``None`` where there is none). A plugin
    that reacts by changing other records does so through ``core.api.entity_service`` and
    commits them itself.

    Example::

        @hookimpl
        def quanhui_entity_changed(session, tenant, entity_type, entity_id, action, before, after):
            if entity_type.name == "rectification_case" and (after or {}).get("measure") == "撤销登记":
                ...  # set the association's status to 撤销
    """


@hookspec
def quanhui_reports():
    """Return the :class:`core.reports.Report` definitions the plugin adds.

    Each report gets a page with a table (and a 合计 row) and a chart, an Excel download
    and JSON at ``/api/v1/<tenant>/reports/<name>``, in each tenant where the plugin is
    enabled; ``/api/v1/<tenant>/reports`` lists them. ``query(context)`` returns the rows
    and aggregates in SQL: :func:`core.reports.count_by` and :func:`core.reports.sum_by`
    group the indexed fields of a type in one statement. With ``rollup=True``, in a
    tenant with descendants (the city) ``context.tenant_ids`` is the whole subtree and
    the session may read it for this query only. Add ``per_tenant=True`` when each
    tenant's rows depend only on that tenant's own records (and today's date), each
    row carrying ``tenant_id``: the core keeps every tenant's rows and, on the next
    request, runs ``query`` only for the tenants whose records changed since. Report
    names are global: a name another plugin declared first is refused (and logged).

    Example::

        def by_kind(context):
            return count_by(context, "party_org", group_by=("tenant", "kind"))

        @hookimpl
        def quanhui_reports():
            return [
                Report("party_org_kinds", "党组织按类型统计", query=by_kind, rollup=True, per_tenant=True,
                       columns=(Column("tenant", "单位"), Column("kind", "类型"),
                                Column("count", "数量", "integer")),
                       chart=Chart("bar", label="tenant", series=("count",))),
            ]
    """


@hookspec
def quanhui_jobs():
    """Return the :class:`core.api.JobKind` s the plugin runs off the request, in a worker.

    Start one with ``core.api.start_job(name, params=..., files=...)``: the job is queued
    in the current tenant on behalf of the signed-in user and runs in ``quanhui worker``
    under that same tenant scope and actor (``core.api.current_service()`` and
    ``current_user`` work as in the request). ``run(job)`` gets a :class:`core.api.JobContext`:
    ``job.params``, ``job.file(name)``, ``job.keep(name, filename, data)`` and
    ``job.progress(done, total)``, which also raises :class:`core.api.JobCancelled` once an
    admin cancels the job (so call it between batches). Raise :class:`core.api.JobFailed`
    with a Chinese message to end failed; what ``run`` returns (JSON-able) is the result.
    Job names are global: prefix them with the plugin's name.

    Example::

        def recount(job):
            ids = job.params["ids"]
            for done, entity_id in enumerate(ids, 1):
                ...  # one batch of work
                job.progress(done, len(ids))
            return {"recounted": len(ids)}

        @hookimpl
        def quanhui_jobs():
            return [JobKind("hello.recount", "重新统计", run=recount, idempotent=True)]
    """


@hookspec
def quanhui_schedules():
    """Return the :class:`core.api.Schedule` s of jobs that run by themselves.

    At each due time (Huey crontab fields, Asia/Shanghai time) a worker starts the named
    job (a :class:`core.api.JobKind` of the plugin) once in every tenant where the plugin
    is enabled, with the actor 系统 and that tenant's scope. A due time missed while no
    worker ran is caught up when one starts. ``quanhui jobs schedules`` and the admins'
    jobs page list them.

    Example::

        @hookimpl
        def quanhui_schedules():
            return [Schedule("hello.nightly", "每晚重新统计", job="hello.recount",
                             cron={"minute": "0", "hour": "2"}, when="每天 2:00",
                             params=lambda due: {"day": due.date().isoformat()})]
    """
