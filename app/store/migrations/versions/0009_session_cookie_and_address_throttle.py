"""Login sessions get an idle clock, a role-and-password stamp and a hand-over code;
failed logins are kept per client address.

``loginsession.last_seen_at``: for the idle timeout. ``loginsession.stamp``: a digest of
the user's role and password hash at login; a login whose stamp no longer matches is
over. ``loginsession.handoff_until``: while set, ``token_hash`` is the hash of a one-time
code the browser trades for its HttpOnly cookie (``app/session_routes.py``).
``loginfailure``: one row per failed login, by client address, for throttling password
spraying across accounts; every replica sees the same rows.

Logins made before this revision had their token in a cookie that page scripts could
read; they are ended here, so everyone logs in once more.

Plain ADD/DROP COLUMN on both backends (as in 0008): nothing here needs SQLite's batch
"move and copy".

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-06 04:59:42.889454
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "loginfailure",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_loginfailure")),
    )
    op.create_index("ix_loginfailure_address_at", "loginfailure", ["address", "at"])
    op.create_index(op.f("ix_loginfailure_at"), "loginfailure", ["at"])

    op.add_column(
        "loginsession",
        sa.Column("last_seen_at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.add_column(
        "loginsession",
        sa.Column("stamp", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=True),
    )
    op.add_column(
        "loginsession",
        sa.Column("handoff_until", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=True),
    )
    op.execute(sa.text("UPDATE loginsession SET revoked = true WHERE revoked = false"))


def downgrade() -> None:
    op.drop_column("loginsession", "handoff_until")
    op.drop_column("loginsession", "stamp")
    op.drop_column("loginsession", "last_seen_at")
    op.drop_index(op.f("ix_loginfailure_at"), table_name="loginfailure")
    op.drop_index("ix_loginfailure_address_at", table_name="loginfailure")
    op.drop_table("loginfailure")
