"""The public API for plugins: everything a plugin needs, from one module.

Bundled and third-party plugins import from here and nowhere else in ``core``; what
is not exported here may change without notice.
"""
from collections.abc import Iterable

from flask_login import current_user

from . import __version__

from .audit import record as audit
from .auth.models import User
from .auth.permissions import Permission, has_permission, require_permission
from .commands import command_tenants
from .db import Base, BigId, UTCDateTime, session, utcnow
from .entities import current_service, service_for
from .entities.definitions import EntityType, Field, State, Transition, Workflow
from .entities.designer import FieldDesigner
from .entities.forms import TransitionForm, transition_form
from .entities.models import Entity, EntityRevision, EntityValue
from .entities.record_types import count_by_month
from .entities.confirmation import counted
from .entities.rights import STAFF
from .entities.scope import RecordScope, ScopeRefused, record_scope
from .entities.service import Conflict, EntityService, Forbidden, Invalid, NotFound, Taken
from .jobs.runner import JobCancelled, JobContext, JobFailed, JobKind, latest_job, start_job
from .jobs.schedules import Schedule
from .migrations.rls import enable_tenant_rls
from .plugin_state import enabled_in
from .plugins import PluginMeta, hookimpl
from .reports import Chart, Column, Parameter, Report, ReportContext, count_by, sum_by
from .tenancy import (
    SYSTEM,
    Tenant,
    TenantOwned,
    TenantScope,
    subtree_ids,
    system_scope,
    tenant_by_slug,
    use_scope,
)
from .vocabularies import VocabularyDeclaration
from .vocabularies import terms as vocabulary_terms
from .web.htmx import invalid_form, is_htmx, redirect_to
from .web.malformed import int_argument, whole_number
from .web.pagination import Page
from .web.shell import DashboardScope, NavItem, Widget


#: The plugin API's version, "MAJOR.MINOR" of the core's: what changed in each is in
#: CHANGELOG.md, and a name is removed only after a minor version of deprecation warnings.
API_VERSION = ".".join(__version__.split(".")[:2])


def plugin_enabled_in(name: str, tenant_ids: Iterable[int]) -> frozenset[int]:
    """The ids among ``tenant_ids`` of the tenants where plugin ``name`` is enabled, in one
    query: link another tenant's pages of a plugin only where they exist (elsewhere they 404)."""
    from flask import current_app

    return enabled_in(session, current_app.extensions["quanhui.plugins"], name, tenant_ids)


def data_version(tenant: Tenant) -> int:
    """How many times ``tenant``'s records have changed: a result computed from them (a job's)
    is current while this stays the same."""
    from .entities.data_versions import data_version as counter

    return counter(session, tenant.id)


def current_tenant() -> Tenant:
    """The tenant of the current request (resolved and access-checked by the core)."""
    from flask import g

    return g.tenant


__all__ = [
    "API_VERSION",
    "STAFF",
    "SYSTEM",
    "Base",
    "BigId",
    "Chart",
    "Column",
    "Conflict",
    "DashboardScope",
    "Entity",
    "EntityRevision",
    "EntityService",
    "EntityType",
    "EntityValue",
    "Field",
    "FieldDesigner",
    "Forbidden",
    "Invalid",
    "JobCancelled",
    "JobContext",
    "JobFailed",
    "JobKind",
    "NavItem",
    "NotFound",
    "Page",
    "Parameter",
    "Permission",
    "PluginMeta",
    "RecordScope",
    "Report",
    "ReportContext",
    "Schedule",
    "ScopeRefused",
    "State",
    "Taken",
    "Tenant",
    "TenantOwned",
    "TenantScope",
    "Transition",
    "TransitionForm",
    "UTCDateTime",
    "User",
    "VocabularyDeclaration",
    "Widget",
    "Workflow",
    "audit",
    "command_tenants",
    "count_by",
    "count_by_month",
    "counted",
    "current_service",
    "current_tenant",
    "current_user",
    "data_version",
    "enable_tenant_rls",
    "has_permission",
    "hookimpl",
    "int_argument",
    "invalid_form",
    "is_htmx",
    "latest_job",
    "plugin_enabled_in",
    "record_scope",
    "redirect_to",
    "require_permission",
    "service_for",
    "session",
    "subtree_ids",
    "start_job",
    "sum_by",
    "system_scope",
    "tenant_by_slug",
    "transition_form",
    "use_scope",
    "utcnow",
    "vocabulary_terms",
    "whole_number",
]
