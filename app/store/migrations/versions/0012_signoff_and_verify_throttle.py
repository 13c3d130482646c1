"""Sign-off attestation and the verify-page throttle kept in the database (issue 18, certification part).

``exam.signoff_attestation``: what the supervisor attested when signing off an exam (the
statement they confirmed, which calls they opened and how many the exam had), next to
``signed_off_by`` and ``signed_off_at``. The same is in the audit log's ``sign_off`` event.
``verifylookup``: one row per lookup on the public verify page, by client address, so
its rate limit holds across browser sessions and replicas (the pattern of
``loginfailure``, 0009).

Plain ADD COLUMN and CREATE TABLE on both backends: nothing here needs SQLite's batch
"move and copy", so the audit-log triggers of 0006 stay as they are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column("exam", sa.Column("signoff_attestation", sa.JSON(), nullable=True))
    op.create_table(
        "verifylookup",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("address", sqlmodel.sql.sqltypes.AutoString(length=64), nullable=False),
        sa.Column("at", sqlmodel.sql.sqltypes.UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_verifylookup")),
    )
    op.create_index("ix_verifylookup_address_at", "verifylookup", ["address", "at"])
    op.create_index(op.f("ix_verifylookup_at"), "verifylookup", ["at"])


def downgrade() -> None:
    op.drop_index(op.f("ix_verifylookup_at"), table_name="verifylookup")
    op.drop_index("ix_verifylookup_address_at", table_name="verifylookup")
    op.drop_table("verifylookup")
    op.drop_column("exam", "signoff_attestation")
