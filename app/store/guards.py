"""Database-level guards: the audit log refuses UPDATE and DELETE on every backend."""

SQLITE_AUDIT_GUARDS = [
    """CREATE TRIGGER IF NOT EXISTS auditentry_no_update BEFORE UPDATE ON auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
    """CREATE TRIGGER IF NOT EXISTS auditentry_no_delete BEFORE DELETE ON auditentry
       BEGIN SELECT RAISE(ABORT, 'audit log is append-only'); END""",
]

POSTGRES_AUDIT_GUARDS = [
    """CREATE OR REPLACE FUNCTION auditentry_refuse_change() RETURNS trigger AS $$
       BEGIN RAISE EXCEPTION 'audit log is append-only'; END; $$ LANGUAGE plpgsql""",
    "DROP TRIGGER IF EXISTS auditentry_no_change ON auditentry",
    """CREATE TRIGGER auditentry_no_change BEFORE UPDATE OR DELETE ON auditentry
       FOR EACH ROW EXECUTE FUNCTION auditentry_refuse_change()""",
    "DROP TRIGGER IF EXISTS auditentry_no_truncate ON auditentry",
    """CREATE TRIGGER auditentry_no_truncate BEFORE TRUNCATE ON auditentry
       FOR EACH STATEMENT EXECUTE FUNCTION auditentry_refuse_change()""",
]


def audit_guard_statements(dialect_name: str) -> list[str]:
    return SQLITE_AUDIT_GUARDS if dialect_name == "sqlite" else POSTGRES_AUDIT_GUARDS
