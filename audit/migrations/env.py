"""Alembic's entry point. ``audit.storage`` runs it on the connection it opened (``config.attributes``), so there is
no alembic.ini and no second place that knows the database URL."""

from alembic import context

from audit.storage import Base

connection = context.config.attributes["connection"]
# Batch mode rebuilds a table where SQLite cannot ALTER it in place; PostgreSQL alters directly.
context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
