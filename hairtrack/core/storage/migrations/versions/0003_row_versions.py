"""Row versions for optimistic concurrency: edits check nobody else changed the row.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25

Several desktops may share one database (PostgreSQL). Every UPDATE of a row
that people edit says `WHERE version = <the version it read>` and bumps it, so
a desktop that edits a stale copy is told instead of silently overwriting.
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VERSIONED = ("patients", "visits", "photos", "treatment_events", "view_settings")


# Plain ALTER TABLE, not batch mode: SQLite (3.35+) adds and drops these columns in place,
# while a batch "recreate" would drop `patients` and cascade-delete every child row.


def upgrade() -> None:
    for table in VERSIONED:
        op.add_column(table, sa.Column("version", sa.Integer(), nullable=False,
                                       server_default=sa.text("1")))


def downgrade() -> None:
    for table in reversed(VERSIONED):
        op.drop_column(table, "version")
