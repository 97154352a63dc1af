"""run leases: orphaned runs of a dead instance are found and ended

Revision ID: 0005
Revises: 0003
Create Date: 2026-11-22 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0003"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "runs",
        sa.Column(
            "lease_expires_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now() + interval '30 seconds'"),
            nullable=False,
        ),
    )
    # The recovery sweep of every instance looks for expired leases of running runs only.
    op.create_index(
        "ix_runs_running_lease",
        "runs",
        ["lease_expires_at"],
        unique=False,
        postgresql_where=sa.text("status = 'running'"),
    )


def downgrade() -> None:
    op.drop_index("ix_runs_running_lease", table_name="runs")
    op.drop_column("runs", "lease_expires_at")
