"""Content review: drafts, approvals and the two-person rule (issue 18, content part).

``agency.review_required`` (publishing needs a second trainer's approval; on by default,
so every agency already there gets it) and ``agency.calibration_required`` (publishing
also needs a calibration panel that agrees; off by default).

``scenarioversion``: ``editors`` (who saved the version's text), ``key_author`` (who
wrote its expert key: the creator of every version already there), ``approved_by`` /
``approved_at`` and ``published_at``. Versions already published count as published at
their creation.

Plain ADD/DROP COLUMN on both backends (as in 0008 to 0010). The user ids carry no
foreign key: SQLite cannot add one without copying the table, which would drop the
triggers of 0006 (users are disabled, never deleted).

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _time() -> sa.types.TypeEngine:
    return sqlmodel.sql.sqltypes.UTCDateTime()


def upgrade() -> None:
    op.add_column(
        "agency",
        sa.Column("review_required", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "agency",
        sa.Column("calibration_required", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("scenarioversion", sa.Column("editors", sa.JSON(), nullable=True))
    op.add_column("scenarioversion", sa.Column("key_author", sa.Integer(), nullable=True))
    op.add_column("scenarioversion", sa.Column("approved_by", sa.Integer(), nullable=True))
    op.add_column("scenarioversion", sa.Column("approved_at", _time(), nullable=True))
    op.add_column("scenarioversion", sa.Column("published_at", _time(), nullable=True))
    op.execute("UPDATE scenarioversion SET key_author = created_by")
    op.execute("UPDATE scenarioversion SET published_at = created_at WHERE status <> 'draft'")


def downgrade() -> None:
    for name in ("published_at", "approved_at", "approved_by", "key_author", "editors"):
        op.drop_column("scenarioversion", name)
    op.drop_column("agency", "calibration_required")
    op.drop_column("agency", "review_required")
