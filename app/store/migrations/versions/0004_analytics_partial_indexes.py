"""Analytics indexes, second pass: route cells by time, partial indexes for errors and flags.

``ix_attempt_an_route`` puts ``submitted_at`` right after the route pair so the
newest attempts of one cell come straight off the index. Two partial indexes hold
only the attempts with a disqualifier error, or an unsafe or over-routed dispatch
(a minority), newest first; they replace ``ix_attempt_an_dq``. Queries repeat the
index conditions verbatim (app.store.models.ATTEMPT_ERRORS / ATTEMPT_FLAGS) so
both SQLite and PostgreSQL can use them.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-25 12:08:15.480605
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ERRORS = "missed_disqualifiers <> '' OR over_disqualifiers <> ''"
FLAGS = "unsafe OR over_routed"


def upgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_an_dq")
        batch_op.drop_index("ix_attempt_an_route")
        batch_op.create_index(
            "ix_attempt_an_route",
            [
                "agency_id",
                "status",
                "expert_disposition",
                "disposition",
                "submitted_at",
                "unsafe",
                "over_routed",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_attempt_an_errors",
            ["agency_id", "status", "submitted_at", "missed_disqualifiers", "over_disqualifiers"],
            unique=False,
            sqlite_where=sa.text(ERRORS),
            postgresql_where=sa.text(ERRORS),
        )
        batch_op.create_index(
            "ix_attempt_an_flags",
            ["agency_id", "status", "submitted_at", "unsafe", "over_routed"],
            unique=False,
            sqlite_where=sa.text(FLAGS),
            postgresql_where=sa.text(FLAGS),
        )


def downgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        batch_op.drop_index("ix_attempt_an_flags")
        batch_op.drop_index("ix_attempt_an_errors")
        batch_op.drop_index("ix_attempt_an_route")
        batch_op.create_index(
            "ix_attempt_an_route",
            [
                "agency_id",
                "status",
                "expert_disposition",
                "disposition",
                "unsafe",
                "over_routed",
                "submitted_at",
            ],
            unique=False,
        )
        batch_op.create_index(
            "ix_attempt_an_dq",
            ["agency_id", "status", "missed_disqualifiers", "over_disqualifiers", "submitted_at"],
            unique=False,
        )
