"""Alembic environment: run on the connection :func:`core.migrations.upgrade` passes in."""
from alembic import context

from core.db import Base

config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run migrations with `quanhui db upgrade`, which supplies the connection")
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
