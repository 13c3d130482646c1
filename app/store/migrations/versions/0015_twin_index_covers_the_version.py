"""The twin index covers the scenario version each attempt took.

The equity audit names, for each twin pair, the newest version the agency's trainees took
(``MAX(scenario_version_id)``, issue 18). The column was not in ``ix_attempt_an_twin``,
so that query read every twin attempt's row instead of the index alone (about 60 ms more
per view on the bench's 100,000 attempts). Plain DROP INDEX and CREATE INDEX on both
backends; the rollup triggers of 0006 do not use this index.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-06 15:15:00.000000
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

NAME = "ix_attempt_an_twin"
BEFORE = [
    "agency_id",
    "twin_group",
    "user_id",
    "twin_variant",
    "status",
    "disposition",
    "submitted_at",
]
AFTER = [*BEFORE, "scenario_version_id"]


def upgrade() -> None:
    op.drop_index(NAME, table_name="attempt")
    op.create_index(NAME, "attempt", AFTER, unique=False)


def downgrade() -> None:
    op.drop_index(NAME, table_name="attempt")
    op.create_index(NAME, "attempt", BEFORE, unique=False)
