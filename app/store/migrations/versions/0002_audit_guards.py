"""The audit log refuses UPDATE and DELETE (database triggers).

Revision ID: 0002
Revises: 0001
"""

from collections.abc import Sequence

from alembic import op

from app.store.guards import audit_guard_statements

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for statement in audit_guard_statements(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_update")
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_delete")
    else:
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_change ON auditentry")
        op.execute("DROP TRIGGER IF EXISTS auditentry_no_truncate ON auditentry")
        op.execute("DROP FUNCTION IF EXISTS auditentry_refuse_change()")
