"""The ``quanhui`` command line: init, demo, serve, db, check, users, tokens, plugins, types, import, export.

Plugins add their own commands through the ``quanhui_cli`` hook.
"""
from __future__ import annotations

import sys
from collections.abc import Iterable
from typing import Any

import click
from flask import current_app
from flask.cli import FlaskGroup, with_appcontext
from sqlalchemy import select
from sqlalchemy.exc import OperationalError

from tenants import TenantFileError, load_tree

from . import __version__
from .auth.accounts import AccountError, create_api_token, create_user
from .auth.models import User
from .db import get_db, session
from .plugin_state import PluginStateError, enabled_in, enabled_names, set_enabled, set_offered
from .plugins import PluginRegistry
from .tenancy import Tenant, TenantScope, set_scope, system_scope, tenant_by_slug, use_scope
from .web.app import create_app
from .web.errors import database_problem

DEMO_PASSWORD = "demo-pass-2026"


def make_cli(plugins: Iterable[Any] = ()) -> click.Group:
    """The command group, with the commands of every installed plugin (and ``plugins``)."""
    plugins = tuple(plugins)

    @click.group(
        cls=FlaskGroup,
        create_app=lambda: create_app(plugins=plugins),
        add_default_commands=False,
        add_version_option=False,
        set_debug_flag=False,
        load_dotenv=False,
    )
    @click.version_option(__version__, prog_name="quanhui")
    def cli():
        """泉汇 quanhui:行业协会商会多租户平台。"""

    for command in (init, demo, serve, db, check_group, backup_command, restore_command, users, tokens, plugins_group, plugin_group, types_group, import_command, export_command):
        cli.add_command(command)
    PluginRegistry(plugins).each("quanhui_cli", cli=cli)
    return cli


def main() -> None:
    make_cli()(prog_name="quanhui")


def _registry() -> PluginRegistry:
    return current_app.extensions["quanhui.plugins"]


def _tenant(slug: str) -> Tenant:
    tenant = tenant_by_slug(session, slug)
    if tenant is None:
        raise click.ClickException(f"没有租户 {slug}(见 tenants/jinan.toml)")
    return tenant


def _upgrade() -> None:
    from .migrations import upgrade

    upgrade(get_db().engine, _registry())


@click.group()
def db():
    """数据库迁移。"""


@db.command("upgrade")
@with_appcontext
def db_upgrade():
    """把数据库升级到核心和所有已安装插件的最新结构。"""
    _upgrade()
    click.echo("数据库已是最新结构")


@click.group("check", invoke_without_command=True)
@click.pass_context
def check_group(context: click.Context):
    """检查部署和数据：不带子命令时列出生产部署还缺哪些设置。"""
    if context.invoked_subcommand is None:
        context.invoke(check_settings)


@with_appcontext
def check_settings():
    from .production import missing_settings

    _report(missing_settings(current_app.config), "生产部署所需的设置都已具备")


@check_group.command("files")
@with_appcontext
def check_files():
    """列出文件引用指向别处的记录（引用的文件不是为这条记录的这一项上传的，下载不到）。"""
    from .entities.files import misplaced_references

    _report(misplaced_references(session), "没有指向别处的文件引用")


@check_group.command("duplicates")
@with_appcontext
def check_duplicates():
    """列出不可重复的字段（如统一社会信用代码）里被多条记录同时使用的值。"""
    from .entities import service_for
    from .entities.unique import duplicates

    with system_scope(session):
        tenants = session.scalars(select(Tenant).order_by(Tenant.path)).all()
        types_by_tenant = [(tenant, service_for(tenant).types()) for tenant in tenants]
    _report(duplicates(session, types_by_tenant), "没有被多条记录同时使用的值")


def _report(problems: list[str], none: str) -> None:
    """Print each problem and exit 1, or print ``none`` and exit 0."""
    for line in problems:
        click.echo(line)
    if problems:
        sys.exit(1)
    click.echo(none)


@click.command()
@click.option("--tree", "tree_file", type=click.Path(dir_okay=False), help="租户树文件(默认 tenants/jinan.toml)")
@with_appcontext
def init(tree_file: str | None):
    """建立或升级数据库,并同步租户树。"""
    _init(tree_file)


def _init(tree_file: str | None) -> None:
    from .tenant_sync import sync_tree

    path = tree_file or current_app.config["QUANHUI_TREE_FILE"]
    try:
        tree = load_tree(path)
    except TenantFileError as fault:
        raise click.ClickException(str(fault)) from None
    _upgrade()
    report = sync_tree(session, tree)
    session.commit()
    click.echo(f"租户树({tree.source},{tree.as_of})已同步:{len(tree.nodes)} 个节点")
    for label, slugs in (("新增", report.created), ("更新", report.updated), ("删除", report.removed)):
        if slugs:
            click.echo(f"  {label}:{', '.join(slugs)}")
    if report.kept:
        click.echo(f"  保留(文件中已没有,但仍有数据):{', '.join(report.kept)}", err=True)
    _create_vocabularies()


def _create_vocabularies() -> None:
    """The vocabularies the plugins declare, created for the root tenant where missing."""
    from .vocabularies import create_declared

    root = session.scalar(select(Tenant).where(Tenant.parent_id.is_(None)).order_by(Tenant.position).limit(1))
    if root is None:
        return
    created = create_declared(session, root, current_app.extensions["quanhui.entities"].vocabularies)
    session.commit()
    if created:
        click.echo(f"  新建词表:{', '.join(created)}")


@click.command()
@click.option("--plugin", "only", multiple=True, metavar="NAME",
              help="只启用这个插件并写入它的演示数据(可重复);用于演示库建好以后才安装的插件")
@with_appcontext
def demo(only: tuple[str, ...]):
    """建立演示库:租户树、每个租户的管理员 <slug>-admin、所有插件和演示数据。

    每个插件在它服务的每一级租户都开放并启用;演示数据每个插件只写一次。
    """
    from .platform_flags import get_flag, set_flag

    registry = _registry()
    toggleable = [p.name for p in registry.loaded if not p.meta.always_on]
    unknown = [name for name in only if name not in toggleable]
    if unknown:
        raise click.ClickException(f"没有可启用的插件:{'、'.join(unknown)}(quanhui plugins list 列出已安装的插件)")
    _init(None)
    with system_scope(session):
        has_users = session.scalar(select(User.id).limit(1)) is not None
    if has_users and get_flag(session, "demo") != "yes":
        raise click.ClickException("这个数据库已有正式用户,demo 只能用于新的或演示用的数据库")
    with system_scope(session):
        set_flag(session, "demo", "yes")
    tenants = list(session.scalars(select(Tenant).order_by(Tenant.position)))
    for tenant in tenants:
        username = f"{tenant.slug}-admin"
        with system_scope(session):
            exists = session.scalar(select(User.id).where(User.username == username))
        if not exists:
            create_user(session, tenant, username, DEMO_PASSWORD, "admin", display_name=f"{tenant.name}管理员")
    chosen = list(only) or toggleable
    for tenant in tenants:
        with use_scope(session, TenantScope.of(tenant)):
            for name in chosen:
                if tenant.tier not in registry.meta(name).levels:
                    continue
                set_offered(session, registry, tenant, name, True, None)
                set_enabled(session, registry, tenant, name, True, None)
    _fill_demo_data(registry, tenants, only)
    session.commit()
    click.echo(f"演示库已就绪:{len(tenants)} 个租户,登录名 <slug>-admin,密码 {DEMO_PASSWORD}")


def _fill_demo_data(registry: PluginRegistry, tenants: list[Tenant], only: tuple[str, ...]) -> None:
    """Each plugin's demo data (only the ``only`` plugins' when given), once: a plugin's flag
    records that it was filled."""
    from .platform_flags import get_flag, set_flag

    for plugin in registry.loaded:
        if only and plugin.name not in only:
            continue
        flag = f"demo_data.{plugin.name}"
        if "quanhui_demo_data" not in registry.hooks_of(plugin.name) or get_flag(session, flag) == "yes":
            continue
        for tenant in tenants:
            with use_scope(session, TenantScope.of(tenant)):
                if plugin.name in enabled_names(session, registry, tenant):
                    registry.call_one(plugin.name, "quanhui_demo_data", session=session, tenant=tenant)
        with system_scope(session):
            set_flag(session, flag, "yes")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--workers", default=2, show_default=True, type=int)
def serve(host: str, port: int, workers: int):
    """用 gunicorn 在本机提供服务。"""
    from gunicorn.app.base import BaseApplication

    class Server(BaseApplication):
        def load_config(self):
            self.cfg.set("bind", f"{host}:{port}")
            self.cfg.set("workers", workers)
            self.cfg.set("accesslog", "-")
            self.cfg.set("preload_app", True)

        def load(self):
            return create_app()

    click.echo(f"泉汇 quanhui 正在 http://{host}:{port}/ 提供服务")
    Server().run()


@click.command("backup")
@click.argument("target", type=click.Path(dir_okay=False))
@with_appcontext
def backup_command(target: str):
    """备份整个数据库到文件(SQLite 在线备份;PostgreSQL 用 pg_dump)。"""
    from .backup import BackupError, backup, fingerprint

    try:
        backup(get_db().engine, target)
    except BackupError as refusal:
        raise click.ClickException(str(refusal)) from None
    rows = sum(count for count, _ in fingerprint(get_db().engine).values())
    click.echo(f"已备份到 {target}(共 {rows} 行)")


@click.command("restore")
@click.argument("source", type=click.Path(dir_okay=False))
@click.option("--yes", is_flag=True, help="不再询问,直接用备份替换当前数据库")
@with_appcontext
def restore_command(source: str, yes: bool):
    """用备份文件替换当前数据库的全部内容(请先停止服务)。"""
    from .backup import BackupError, fingerprint, restore

    if not yes:
        click.confirm(f"用 {source} 替换当前数据库的全部内容?", abort=True)
    try:
        restore(get_db().engine, source)
    except BackupError as refusal:
        raise click.ClickException(str(refusal)) from None
    rows = sum(count for count, _ in fingerprint(get_db().engine).values())
    click.echo(f"已从 {source} 恢复(共 {rows} 行)")


@click.group()
def users():
    """用户管理。"""


@users.command("create")
@click.argument("username")
@click.option("--tenant", "slug", required=True, help="用户所属租户的 slug")
@click.option("--role", default="viewer", show_default=True, type=click.Choice(["admin", "editor", "viewer", "association"]))
@click.option("--name", "display_name", default="", help="显示名")
@click.option("--password-stdin", is_flag=True, help="从标准输入读取密码")
@click.option("--association", "association_code", default="", help="协会账号所属协会商会的统一社会信用代码")
@with_appcontext
def users_create(username: str, slug: str, role: str, display_name: str, password_stdin: bool, association_code: str):
    """创建用户。"""
    tenant = _tenant(slug)
    association_id = _association_id(tenant, association_code) if association_code else None
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = click.prompt("密码", hide_input=True, confirmation_prompt="再输入一次")
    try:
        create_user(session, tenant, username, password, role, display_name=display_name, association_id=association_id)
    except AccountError as refusal:
        raise click.ClickException(";".join(refusal.errors.values())) from None
    session.commit()
    click.echo(f"已创建用户 {username.strip().lower()}({tenant.name},{role})")


def _association_id(tenant: Tenant, code: str) -> int:
    from .entities.models import EntityValue
    from .entities.uscc import normalise

    with use_scope(session, TenantScope.of(tenant)):
        found = session.scalar(
            select(EntityValue.entity_id).where(
                EntityValue.type == "association", EntityValue.field == "uscc", EntityValue.text_value == normalise(code)
            )
        )
    if found is None:
        raise click.ClickException(f"{tenant.name}的名录里没有统一社会信用代码为 {code} 的协会商会")
    return found


@click.group()
def tokens():
    """API 令牌。"""


@tokens.command("create")
@click.option("--user", "username", required=True)
@click.option("--name", required=True, help="令牌用途,例如对接的系统名")
@with_appcontext
def tokens_create(username: str, name: str):
    """为用户创建 API 令牌;令牌只显示这一次。"""
    with system_scope(session):
        user = session.scalar(select(User).where(User.username == username.strip().lower()))
    if user is None:
        raise click.ClickException(f"没有用户 {username}")
    try:
        token = create_api_token(session, user, name)
    except AccountError as refusal:
        raise click.ClickException(";".join(refusal.errors.values())) from None
    session.commit()
    click.echo(token)


def _entity_service(slug: str, type_name: str):
    """The tenant, its entity service (no actor: the command line) and the type as it sees it."""
    from .entities import service_for

    tenant = _tenant(slug)
    set_scope(session, TenantScope.of(tenant))
    service = service_for(tenant)
    entity_type = service.type(type_name)
    if entity_type is None:
        raise click.ClickException(f"{tenant.name}没有记录类型 {type_name}(类型名不对,或它的插件未在该租户启用)")
    return tenant, service, entity_type


@click.command("import")
@click.argument("type_name")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tenant", "slug", required=True, help="导入到哪个租户(slug)")
@click.option("--valid-only", is_flag=True, help="只导入通过校验的行(默认:有任何一行不通过就全部不导入)")
@click.option("--errors-out", type=click.Path(dir_okay=False), help="未通过校验的行写入这个 .xlsx(含错误原因列)")
@with_appcontext
def import_command(type_name: str, file: str, slug: str, valid_only: bool, errors_out: str | None):
    """从 Excel(.xlsx)导入记录,例如 quanhui import association 名录.xlsx --tenant lixia。"""
    from . import audit
    from .entities import excel

    tenant, service, entity_type = _entity_service(slug, type_name)
    shown = [0]

    def progress(done: int, total: int) -> None:
        tenth = done * 10 // total if total else 0
        if tenth > shown[0]:
            shown[0] = tenth
            click.echo(f"已处理 {done}/{total} 行({tenth * 10}%)", err=True)

    try:
        result = excel.import_rows(service, entity_type, file, valid_only=valid_only, progress=progress,
                                   error_workbook=errors_out)
    except excel.ImportRefused as refusal:
        raise click.ClickException(str(refusal)) from None
    except OperationalError as fault:  # rolled back by import_rows: nothing was written
        reason = database_problem(fault) or "数据库无法访问,没有保存任何内容。请稍后重试。"
        raise click.ClickException(f"导入中断:{reason}") from None
    if result.created:
        audit.record(session, "entities.import", tenant_id=tenant.id, target=entity_type.name, actor=audit.COMMAND_LINE,
                     created=result.created, failed=result.failed, file=file[-100:])
        session.commit()
    for error in result.errors[:50]:
        click.echo(str(error), err=True)
    if result.error_count > 50:
        click.echo(f"……共 {result.error_count} 处错误", err=True)
    if result.error_workbook is not None and errors_out:
        click.echo(f"未通过的行已写入 {errors_out}", err=True)
    if result.ok:
        click.echo(f"{tenant.name}:已导入 {result.created} 条{entity_type.label}")
    elif valid_only:
        click.echo(f"{tenant.name}:已导入 {result.created} 条{entity_type.label},{result.failed} 行未通过校验")
        sys.exit(1)
    else:
        raise click.ClickException(f"{result.failed} 行未通过校验,未导入任何数据")


@click.command("export")
@click.argument("type_name")
@click.argument("file", type=click.Path(dir_okay=False, writable=True))
@click.option("--tenant", "slug", required=True, help="导出哪个租户的记录(slug)")
@with_appcontext
def export_command(type_name: str, file: str, slug: str):
    """把一个类型的全部记录导出为 Excel(.xlsx)。"""
    from .entities import excel
    from .entities.models import Entity

    tenant, _service, entity_type = _entity_service(slug, type_name)
    rows = session.scalars(
        select(Entity)
        .where(Entity.tenant_id == tenant.id, Entity.type == entity_type.name, Entity.deleted_at.is_(None))
        .order_by(Entity.id)
        .execution_options(yield_per=1000)
    )
    count = excel.write_export(entity_type, rows, file)
    click.echo(f"{tenant.name}:已导出 {count} 条{entity_type.label}到 {file}")


@click.group("types")
def types_group():
    """记录类型(无代码搭建的类型):导出定义文件、从文件导入。"""


def _type_builder(slug: str):
    """The record-type builder of tenant ``slug``, acting as the command line (no user)."""
    from .entities import service_for
    from .entities.record_type_builder import RecordTypeBuilder

    tenant = _tenant(slug)
    set_scope(session, TenantScope.of(tenant))
    return RecordTypeBuilder(service_for(tenant), command_line=True)


@types_group.command("export")
@click.argument("name")
@click.option("--tenant", "slug", required=True, help="类型由哪个租户搭建(slug)")
@click.option("-o", "--output", type=click.Path(dir_okay=False, writable=True), help="写入这个文件(默认:输出到屏幕)")
@with_appcontext
def types_export(name: str, slug: str, output: str | None):
    """导出记录类型的定义文件,与网页上「导出定义文件」相同,例如 quanhui types export major_report --tenant jinan -o 重大事项.json。"""
    from .entities.designer import UnknownType
    from .entities.record_type_builder import export_text

    builder = _type_builder(slug)
    try:
        text = export_text(builder.definition(name))
    except UnknownType:
        raise click.ClickException(f"{builder.tenant.name}没有自己搭建的记录类型 {name}(上级发布的类型只能在上级导出)") from None
    if output is None:
        click.echo(text)
        return
    with open(output, "w", encoding="utf-8") as target:
        target.write(text + "\n")
    click.echo(f"已导出记录类型 {name} 到 {output}", err=True)


@types_group.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--tenant", "slug", required=True, help="导入到哪个租户(slug)")
@with_appcontext
def types_import(file: str, slug: str):
    """从导出的定义文件新建记录类型,与网页上「导入类型」相同(导入后未发布)。"""
    from .entities.designer import DesignError
    from .entities.record_type_builder import IMPORT_LIMIT, read_file

    builder = _type_builder(slug)
    with open(file, "rb") as source:
        raw = source.read(IMPORT_LIMIT + 1)
    try:
        row = builder.import_definition(read_file(raw))
    except DesignError as refusal:
        raise click.ClickException(";".join(refusal.errors.values())) from None
    session.commit()
    click.echo(f"{builder.tenant.name}:已导入记录类型「{row.label}」({row.name}),尚未发布")


@click.group("plugins")
def plugins_group():
    """插件:列出、启用、停用。"""


@plugins_group.command("list")
@with_appcontext
def plugins_list():
    """列出已安装的插件、版本、实现的钩子和启用的租户。"""
    registry = _registry()
    tenants = list(session.scalars(select(Tenant).order_by(Tenant.position)))
    for plugin in registry.plugins.values():
        meta = plugin.meta
        title = f"{meta.title} {meta.version}" if meta else ""
        click.echo(f"{plugin.name}  {title}  [{_STATUS[plugin.status]}]  来源:{plugin.source}")
        if plugin.error:
            click.echo(f"    原因:{plugin.error}")
        if plugin.loaded:
            click.echo(f"    钩子:{', '.join(registry.hooks_of(plugin.name)) or '无'}")
            enabled = enabled_in(session, registry, plugin.name, [t.id for t in tenants])
            where = [t.slug for t in tenants if t.id in enabled]
            shown = "全部租户" if meta.always_on else (", ".join(where) or "未启用")
            click.echo(f"    启用于:{shown}")


_STATUS = {"loaded": "已加载", "failed": "加载失败", "incompatible": "不兼容"}


@plugins_group.command("enable")
@click.argument("name")
@click.option("--tenant", "slugs", multiple=True, required=True, help="租户 slug,可重复")
@click.option("--offer", is_flag=True, help="同时向下级租户开放")
@with_appcontext
def plugins_enable(name: str, slugs: tuple[str, ...], offer: bool):
    """在指定租户启用插件。"""
    def enable(tenant):
        if offer:
            set_offered(session, _registry(), tenant, name, True, None)
        set_enabled(session, _registry(), tenant, name, True, None)
    _change_each(slugs, enable, f"{name} 已启用")


@plugins_group.command("disable")
@click.argument("name")
@click.option("--tenant", "slugs", multiple=True, required=True, help="租户 slug,可重复")
@with_appcontext
def plugins_disable(name: str, slugs: tuple[str, ...]):
    """在指定租户停用插件(数据全部保留)。"""
    _change_each(slugs, lambda tenant: set_enabled(session, _registry(), tenant, name, False, None), f"{name} 已停用")


@plugins_group.command("offer")
@click.argument("name")
@click.option("--tenant", "slugs", multiple=True, required=True, help="租户 slug,可重复")
@with_appcontext
def plugins_offer(name: str, slugs: tuple[str, ...]):
    """向指定租户的下级开放插件,本级不启用。"""
    _change_each(slugs, lambda tenant: set_offered(session, _registry(), tenant, name, True, None), f"{name} 已向下级开放")


@plugins_group.command("withdraw")
@click.argument("name")
@click.option("--tenant", "slugs", multiple=True, required=True, help="租户 slug,可重复")
@with_appcontext
def plugins_withdraw(name: str, slugs: tuple[str, ...]):
    """收回向下级的开放:下级不能再启用它,已启用的随之不可用(数据全部保留)。"""
    _change_each(slugs, lambda tenant: set_offered(session, _registry(), tenant, name, False, None), f"{name} 已收回开放")


def _change_each(slugs: tuple[str, ...], change, done: str) -> None:
    """Apply ``change`` to each tenant in its own scope and transaction; stop at a refusal."""
    for slug in slugs:
        tenant = _tenant(slug)
        with use_scope(session, TenantScope.of(tenant)):
            try:
                change(tenant)
            except PluginStateError as refusal:
                session.rollback()
                raise click.ClickException(f"{tenant.name}:{refusal}") from None
        session.commit()
        click.echo(f"{tenant.name}:{done}")


@click.group("plugin")
def plugin_group():
    """插件开发:生成新插件的骨架。"""


@plugin_group.command("new")
@click.argument("name")
@click.option("--dir", "directory", default=".", show_default=True, type=click.Path(file_okay=False), help="在哪个目录下生成")
@click.option("--title", default=None, help="插件的中文名(默认同 NAME;用 --from-type 时默认为类型名称)")
@click.option("--from-type", "from_type", default=None, type=click.Path(dir_okay=False),
              help="从「记录类型」页面导出的定义文件生成:类型、流程和报表写成代码")
def plugin_new(name: str, directory: str, title: str | None, from_type: str | None):
    """生成可用 pip 安装的插件包 quanhui-<NAME>/:入口点、钩子、记录类型、页面、报表和测试。"""
    from pathlib import Path

    from .scaffold import ScaffoldError, new_plugin

    try:
        made = new_plugin(name, Path(directory), title, Path(from_type) if from_type else None)
    except ScaffoldError as refusal:
        raise click.ClickException(str(refusal)) from None
    click.echo(f"已生成插件 {name}:{made.root}({len(made.files)} 个文件)")
    click.echo(f"下一步:pip install -e {made.root} && pytest {made.root}")
