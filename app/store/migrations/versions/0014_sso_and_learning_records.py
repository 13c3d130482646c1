"""Single sign-on identities and the learning-record outbox (issue 21).

``user.email``: the address a first single sign-on is matched against (lower-case,
optional). ``useridentity``: a user's account at their agency's identity provider
(provider name and the token's ``sub``), unique per provider. ``learningrecord``: the
outbox of xAPI statements, written in the same transaction as the attempt, exam result
or certificate change it records, and delivered to the Learning Record Store by the
sender in ``app/services/lrs/``.

Plain CREATE TABLE and ADD/DROP COLUMN on both backends (as in 0008 to 0010); the
triggers of 0006 are on other tables and are not touched.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-06 07:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
import sqlmodel
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_text = sqlmodel.sql.sqltypes.AutoString
_when = sqlmodel.sql.sqltypes.UTCDateTime


def upgrade() -> None:
    op.add_column("user", sa.Column("email", _text(length=254), nullable=True))
    op.create_index(op.f("ix_user_email"), "user", ["email"])

    op.create_table(
        "useridentity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("provider", _text(length=64), nullable=False),
        sa.Column("subject", _text(length=255), nullable=False),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("last_login_at", _when(), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_useridentity_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_useridentity")),
        sa.UniqueConstraint("provider", "subject", name=op.f("uq_useridentity_provider_subject")),
    )
    op.create_index(op.f("ix_useridentity_user_id"), "useridentity", ["user_id"])

    op.create_table(
        "learningrecord",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("agency_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("event_key", _text(length=200), nullable=False),
        sa.Column("statement_id", _text(length=36), nullable=False),
        sa.Column("verb", _text(length=32), nullable=False),
        sa.Column("statement", sa.JSON(), nullable=True),
        sa.Column("created_at", _when(), nullable=False),
        sa.Column("status", _text(length=16), nullable=False),
        sa.Column("tries", sa.Integer(), nullable=False),
        sa.Column("next_try_at", _when(), nullable=False),
        sa.Column("lease_until", _when(), nullable=True),
        sa.Column("sent_at", _when(), nullable=True),
        sa.Column("last_error", _text(length=500), nullable=True),
        sa.ForeignKeyConstraint(
            ["agency_id"], ["agency.id"], name=op.f("fk_learningrecord_agency_id_agency")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["user.id"], name=op.f("fk_learningrecord_user_id_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_learningrecord")),
        sa.UniqueConstraint("event_key", name=op.f("uq_learningrecord_event_key")),
        sa.UniqueConstraint("statement_id", name=op.f("uq_learningrecord_statement_id")),
    )
    op.create_index(op.f("ix_learningrecord_agency_id"), "learningrecord", ["agency_id"])
    op.create_index(op.f("ix_learningrecord_user_id"), "learningrecord", ["user_id"])
    op.create_index(op.f("ix_learningrecord_created_at"), "learningrecord", ["created_at"])
    op.create_index(
        "ix_learningrecord_status_next_try_at", "learningrecord", ["status", "next_try_at"]
    )


def downgrade() -> None:
    op.drop_index("ix_learningrecord_status_next_try_at", table_name="learningrecord")
    op.drop_index(op.f("ix_learningrecord_created_at"), table_name="learningrecord")
    op.drop_index(op.f("ix_learningrecord_user_id"), table_name="learningrecord")
    op.drop_index(op.f("ix_learningrecord_agency_id"), table_name="learningrecord")
    op.drop_table("learningrecord")
    op.drop_index(op.f("ix_useridentity_user_id"), table_name="useridentity")
    op.drop_table("useridentity")
    op.drop_index(op.f("ix_user_email"), table_name="user")
    op.drop_column("user", "email")
