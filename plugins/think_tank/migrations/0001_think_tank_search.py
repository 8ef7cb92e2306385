"""智库与会企之声的全文检索索引,在插件自己的迁移分支上。

SQLite:FTS5 外部内容表(三字组分词),由三个触发器与 ``think_tank_search`` 同步。
PostgreSQL:pg_trgm 扩展,标题和正文各一个 GIN 三字组索引(LIKE/ILIKE 用得上);
表受行级安全约束。

Revision ID: 0001_think_tank
Revises:
Create Date: 2026-11-26
"""
import sqlalchemy as sa
from alembic import op

from core.api import BigId, enable_tenant_rls

revision = "0001_think_tank"
down_revision = None
branch_labels = ("think_tank",)
depends_on = "0002_entities"

SQLITE_FTS = (
    "CREATE VIRTUAL TABLE think_tank_search_fts USING fts5("
    "title, body, content='think_tank_search', content_rowid='entity_id', tokenize='trigram')",
    "CREATE TRIGGER think_tank_search_ai AFTER INSERT ON think_tank_search BEGIN "
    "INSERT INTO think_tank_search_fts(rowid, title, body) VALUES (new.entity_id, new.title, new.body); END",
    "CREATE TRIGGER think_tank_search_ad AFTER DELETE ON think_tank_search BEGIN "
    "INSERT INTO think_tank_search_fts(think_tank_search_fts, rowid, title, body) "
    "VALUES ('delete', old.entity_id, old.title, old.body); END",
    "CREATE TRIGGER think_tank_search_au AFTER UPDATE ON think_tank_search BEGIN "
    "INSERT INTO think_tank_search_fts(think_tank_search_fts, rowid, title, body) "
    "VALUES ('delete', old.entity_id, old.title, old.body); "
    "INSERT INTO think_tank_search_fts(rowid, title, body) VALUES (new.entity_id, new.title, new.body); END",
)


def upgrade():
    op.create_table(
        "think_tank_search",
        sa.Column("entity_id", BigId,
                  sa.ForeignKey("entities.id", name="fk_think_tank_search_entity", ondelete="CASCADE"),
                  primary_key=True),
        sa.Column("tenant_id", BigId, sa.ForeignKey("tenants.id", name="fk_think_tank_search_tenant"), nullable=False),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("title", sa.String(400), nullable=False),
        sa.Column("body", sa.Text, nullable=False),
    )
    op.create_index("ix_think_tank_search_tenant_type", "think_tank_search", ["tenant_id", "type", "entity_id"])
    dialect = op.get_bind().dialect.name
    if dialect == "sqlite":
        for statement in SQLITE_FTS:
            op.execute(statement)
    elif dialect == "postgresql":
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute("CREATE INDEX ix_think_tank_search_title_trgm ON think_tank_search USING gin (title gin_trgm_ops)")
        op.execute("CREATE INDEX ix_think_tank_search_body_trgm ON think_tank_search USING gin (body gin_trgm_ops)")
    enable_tenant_rls(op, "think_tank_search")


def downgrade():
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TABLE IF EXISTS think_tank_search_fts")
    op.drop_table("think_tank_search")
