"""Each attempt records the grading rules of its grade; a place for the regraded grade.

``attempt.rules``: the rules the stored grade was made under. Rows already there were
graded under rules 1 (the server default). ``attempt.regrade``: the grade under newer
rules, stored beside the original by ``python -m app regrade --apply``.

Plain ALTER TABLE on both backends (SQLite has ADD and DROP COLUMN since 3.35): a
batch "move and copy" of ``attempt`` on SQLite would drop the rollup triggers (0006)
and the partial indexes (0004) with the old table. Neither column is one the rollup
triggers watch, so they need nothing.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-06 04:27:40.304792
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "attempt",
        sa.Column("rules", sa.Integer(), server_default=sa.text("1"), nullable=False),
    )
    op.add_column("attempt", sa.Column("regrade", sa.JSON(), nullable=True))


def downgrade() -> None:
    op.drop_column("attempt", "regrade")
    op.drop_column("attempt", "rules")
