"""Alembic environment: migrations run on the connection that ``open_database`` passes in."""

from alembic import context

from streams.store.schema import metadata

connection = context.config.attributes["connection"]
context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
with context.begin_transaction():
    context.run_migrations()
