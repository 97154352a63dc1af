"""plans: every account has one (Free by default), which sets its quotas

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07 08:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: Sequence[str] | None = None
depends_on: Sequence[str] | None = None


def upgrade() -> None:
    # A constant default: PostgreSQL adds the column without rewriting the table.
    op.add_column(
        "users",
        sa.Column("plan", sa.String(16), server_default=sa.text("'free'"), nullable=False),
    )
    op.create_check_constraint(
        "ck_users_plan_known", "users", "plan IN ('free', 'early', 'mid', 'enterprise')"
    )


def downgrade() -> None:
    op.drop_constraint("ck_users_plan_known", "users", type_="check")
    op.drop_column("users", "plan")
