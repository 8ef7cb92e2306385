"""Every core table, imported in one place so the metadata is complete for migrations."""
from .audit import AuditEvent
from .auth.models import ApiToken, LoginSession, User
from .entities.data_versions import TenantDataVersion
from .entities.files import EntityFile
from .jobs.models import Job, JobFile
from .entities.models import CustomField, Entity, EntityRevision, EntitySearchText, EntityValue
from .plugin_state import PluginSetting
from .reports.rollup_cache import KeptRollupRows
from .platform_flags import PlatformFlag
from .tenancy import Tenant
from .vocabularies import Vocabulary

__all__ = [
    "ApiToken", "AuditEvent", "CustomField", "Entity", "EntityFile", "EntityRevision", "EntitySearchText", "EntityValue",
    "Job", "JobFile", "KeptRollupRows", "LoginSession", "PlatformFlag", "PluginSetting", "Tenant", "TenantDataVersion", "User",
    "Vocabulary",
]
