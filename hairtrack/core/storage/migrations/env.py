"""Alembic environment: HairTrack always passes an open connection in."""

from alembic import context

from hairtrack.core.storage.models import Base

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("HairTrack migrations run through hairtrack.core.storage.database.upgrade")

context.configure(connection=connection, target_metadata=Base.metadata,
                  render_as_batch=True, compare_type=True)
with context.begin_transaction():
    context.run_migrations()
