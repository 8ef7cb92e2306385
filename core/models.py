"""Every core table, imported in one place so the metadata is complete for migrations."""
from .audit import AuditEvent
from .auth.models import ApiToken, LoginSession, User
from .plugin_state import PluginSetting
from .platform_flags import PlatformFlag
from .tenancy import Tenant

__all__ = ["ApiToken", "AuditEvent", "LoginSession", "PlatformFlag", "PluginSetting", "Tenant", "User"]
