"""A trainee may keep the call transcript shown on every call.

``user.always_show_transcripts``: the call screen starts with the transcript hidden in
Standard, Timed and exam calls (the trainee listens, as on a real call); a trainee who
needs the text sets this once. Rows already there get ``false`` (the server default).

Plain ADD/DROP COLUMN on both backends (as in 0008 and 0009).

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-06 06:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user",
        sa.Column(
            "always_show_transcripts",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("user", "always_show_transcripts")
