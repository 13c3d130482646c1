"""Accounts: an admin's one-time password forces a change at the next login (issue 18).

``user.must_change_password``: set when an admin resets a user's password to a one-time
password; until the user sets a password of their own, every page and every service
refuses them and the app shows only the form to set a new one. Rows already there get
``false`` (the server default).

Plain ADD/DROP COLUMN on both backends (as in 0008 to 0010).

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "user",
        sa.Column(
            "must_change_password",
            sa.Boolean(),
            server_default=sa.false(),
            nullable=False,
        ),
    )


def downgrade() -> None:
    op.drop_column("user", "must_change_password")
