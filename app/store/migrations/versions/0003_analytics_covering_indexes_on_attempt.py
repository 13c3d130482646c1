"""Covering indexes on attempt for the supervisor dashboards.

Each dashboard query (app/services/review.py) reads one of these index-only, so a
million attempts aggregate in well under a second without touching the wide
JSON columns.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-25 11:38:23.061298
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_attempt_an_dq": [
        "agency_id",
        "status",
        "missed_disqualifiers",
        "over_disqualifiers",
        "submitted_at",
    ],
    "ix_attempt_an_route": [
        "agency_id",
        "status",
        "expert_disposition",
        "disposition",
        "unsafe",
        "over_routed",
        "submitted_at",
    ],
    "ix_attempt_an_scenario": ["agency_id", "status", "scenario_version_id", "submitted_at"],
    "ix_attempt_an_seconds": ["agency_id", "status", "seconds", "submitted_at"],
    "ix_attempt_an_time": [
        "agency_id",
        "status",
        "submitted_at",
        "user_id",
        "passed",
        "missed_disqualifiers",
    ],
    "ix_attempt_an_twin": [
        "agency_id",
        "twin_group",
        "user_id",
        "twin_variant",
        "status",
        "disposition",
        "submitted_at",
    ],
    "ix_attempt_an_user": [
        "agency_id",
        "status",
        "user_id",
        "submitted_at",
        "passed",
        "score",
        "unsafe",
        "over_routed",
    ],
}


def upgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        for name, columns in INDEXES.items():
            batch_op.create_index(name, columns, unique=False)


def downgrade() -> None:
    with op.batch_alter_table("attempt", schema=None) as batch_op:
        for name in reversed(list(INDEXES)):
            batch_op.drop_index(name)
