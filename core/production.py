"""What a production set-up needs that this one lacks, for ``quanhui check``."""
from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def missing_settings(config: Mapping[str, Any]) -> list[str]:
    """One line for each setting a production server should have and this one does not."""
    lines = []
    if not str(config.get("QUANHUI_DATABASE_URL") or "").startswith("postgresql"):
        lines.append("数据库不是 PostgreSQL：请把 QUANHUI_DATABASE_URL 设为 PostgreSQL 的地址"
                     "（租户隔离的行级安全只在 PostgreSQL 上生效）")
    if not config.get("QUANHUI_SECRET_KEY"):
        lines.append("未设置 QUANHUI_SECRET_KEY：会话密钥取自 instance 目录中的文件，多台服务器之间不一致")
    if not config.get("QUANHUI_SECURE_COOKIES"):
        lines.append("未开启 QUANHUI_SECURE_COOKIES：登录 Cookie 也会经 HTTP 明文发送（HTTPS 部署请设为 1）")
    return lines
