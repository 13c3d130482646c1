"""Rollups of submitted attempts, kept by database triggers on SQLite and PostgreSQL.

The supervisor dashboards (app/services/review.py) read a few thousand rollup rows
instead of scanning a center's million attempts. Triggers rather than application code
keep them, so every writer — the app, imports, bulk loads, hand-run SQL — keeps them
right: a row's contribution is added when it becomes ``submitted`` and taken back when
a submitted row changes or is deleted (``tests/store/test_rollups.py`` checks that the
rollups always equal a fresh count over the attempts).

Every statement here is built from constants in this module; nothing a user typed
takes part.
"""

from __future__ import annotations

SECONDS_BIN_WIDTH = 5  # seconds per time-to-decision bin
SECONDS_LAST_BIN = 60  # bin 60 holds every decision of 300 s or more; bin 0 anything < 5 s
TRIGGER_COLUMNS = (
    "status, agency_id, user_id, scenario_version_id, submitted_at, started_at, passed, "
    "score, unsafe, over_routed, seconds, disposition, expert_disposition, "
    "missed_disqualifiers, over_disqualifiers"
)
TABLES = ("traineerollup", "dayrouterollup", "dayerrorrollup", "daysecondsrollup")


def _flag(expr: str) -> str:
    return f"CASE WHEN {expr} THEN 1 ELSE 0 END"


class _Dialect:
    """The few expressions that differ between SQLite and PostgreSQL."""

    def __init__(self, name: str) -> None:
        self.sqlite = name == "sqlite"

    def day(self, row: str) -> str:
        stamp = f"COALESCE({row}submitted_at, {row}started_at)"
        return f"date({stamp})" if self.sqlite else f"({stamp} AT TIME ZONE 'UTC')::date"

    def seconds_bin(self, row: str) -> str:
        # CAST truncates toward zero, which is floor() for the non-negative values kept.
        width, last = SECONDS_BIN_WIDTH, SECONDS_LAST_BIN
        if self.sqlite:
            return f"MAX(0, MIN({last}, CAST({row}seconds / {width}.0 AS INTEGER)))"
        return f"LEAST(GREATEST(FLOOR({row}seconds / {width}.0), 0), {last})::integer"

    def later(self, a: str, b: str) -> str:
        return f"CASE WHEN {a} IS NULL OR {b} > {a} THEN {b} ELSE {a} END"


def _key_disqualifiers(row: str) -> str:
    return (
        "COALESCE((SELECT disqualifiers FROM scenarioversion "
        f"WHERE scenarioversion.id = {row}scenario_version_id), '')"
    )


def _last_submitted(row: str) -> str:
    return (
        "(SELECT MAX(submitted_at) FROM attempt "
        f"WHERE agency_id = {row}agency_id AND status = 'submitted' AND user_id = {row}user_id)"
    )


def _add(d: _Dialect, r: str) -> list[str]:
    """Statements adding row ``r`` (``NEW.``) to every rollup."""
    day = d.day(r)
    return [
        "INSERT INTO traineerollup (user_id, agency_id, attempts, passes, score_sum, unsafe, "
        f"over_routed, last_at) VALUES ({r}user_id, {r}agency_id, 1, {_flag(r + 'passed')}, "
        f"COALESCE({r}score, 0), {_flag(r + 'unsafe')}, {_flag(r + 'over_routed')}, "
        f"{r}submitted_at) ON CONFLICT (user_id) DO UPDATE SET "
        "attempts = traineerollup.attempts + 1, "
        "passes = traineerollup.passes + excluded.passes, "
        "score_sum = traineerollup.score_sum + excluded.score_sum, "
        "unsafe = traineerollup.unsafe + excluded.unsafe, "
        "over_routed = traineerollup.over_routed + excluded.over_routed, "
        f"last_at = {d.later('traineerollup.last_at', 'excluded.last_at')}",
        "INSERT INTO dayrouterollup (agency_id, day, expert_disposition, disposition, "
        f"attempts, passes, unsafe, over_routed) VALUES ({r}agency_id, {day}, "
        f"COALESCE({r}expert_disposition, ''), COALESCE({r}disposition, ''), 1, "
        f"{_flag(r + 'passed')}, {_flag(r + 'unsafe')}, {_flag(r + 'over_routed')}) "
        "ON CONFLICT (agency_id, day, expert_disposition, disposition) DO UPDATE SET "
        "attempts = dayrouterollup.attempts + 1, "
        "passes = dayrouterollup.passes + excluded.passes, "
        "unsafe = dayrouterollup.unsafe + excluded.unsafe, "
        "over_routed = dayrouterollup.over_routed + excluded.over_routed",
        "INSERT INTO dayerrorrollup (agency_id, day, key_disqualifiers, missed_disqualifiers, "
        f"over_disqualifiers, attempts) VALUES ({r}agency_id, {day}, {_key_disqualifiers(r)}, "
        f"COALESCE({r}missed_disqualifiers, ''), COALESCE({r}over_disqualifiers, ''), 1) "
        "ON CONFLICT (agency_id, day, key_disqualifiers, missed_disqualifiers, "
        "over_disqualifiers) DO UPDATE SET attempts = dayerrorrollup.attempts + 1",
        "INSERT INTO daysecondsrollup (agency_id, day, bin, attempts) "
        f"SELECT {r}agency_id, {day}, {d.seconds_bin(r)}, 1 WHERE {r}seconds IS NOT NULL "
        "ON CONFLICT (agency_id, day, bin) DO UPDATE SET "
        "attempts = daysecondsrollup.attempts + 1",
    ]


def _remove(d: _Dialect, r: str) -> list[str]:
    """Statements taking row ``r`` (``OLD.``) back out of every rollup."""
    day = d.day(r)
    return [
        f"UPDATE traineerollup SET attempts = attempts - 1, passes = passes - "
        f"{_flag(r + 'passed')}, score_sum = score_sum - COALESCE({r}score, 0), "
        f"unsafe = unsafe - {_flag(r + 'unsafe')}, over_routed = over_routed - "
        f"{_flag(r + 'over_routed')}, last_at = {_last_submitted(r)} "
        f"WHERE user_id = {r}user_id",
        f"UPDATE dayrouterollup SET attempts = attempts - 1, passes = passes - "
        f"{_flag(r + 'passed')}, unsafe = unsafe - {_flag(r + 'unsafe')}, "
        f"over_routed = over_routed - {_flag(r + 'over_routed')} "
        f"WHERE agency_id = {r}agency_id AND day = {day} "
        f"AND expert_disposition = COALESCE({r}expert_disposition, '') "
        f"AND disposition = COALESCE({r}disposition, '')",
        f"UPDATE dayerrorrollup SET attempts = attempts - 1 "
        f"WHERE agency_id = {r}agency_id AND day = {day} "
        f"AND key_disqualifiers = {_key_disqualifiers(r)} "
        f"AND missed_disqualifiers = COALESCE({r}missed_disqualifiers, '') "
        f"AND over_disqualifiers = COALESCE({r}over_disqualifiers, '')",
        f"UPDATE daysecondsrollup SET attempts = attempts - 1 "
        f"WHERE {r}seconds IS NOT NULL AND agency_id = {r}agency_id AND day = {day} "
        f"AND bin = {d.seconds_bin(r)}",
    ]


def create_statements(dialect_name: str) -> list[str]:
    """The triggers that keep the rollups (idempotent)."""
    d = _Dialect(dialect_name)
    if d.sqlite:

        def trigger(name: str, event: str, when: str, body: list[str]) -> str:
            statements = "".join(f"{s};\n" for s in body)
            return (
                f"CREATE TRIGGER IF NOT EXISTS {name} AFTER {event} ON attempt "
                f"FOR EACH ROW WHEN {when}\nBEGIN\n{statements}END"
            )

        return [
            trigger("attempt_rollup_insert", "INSERT", "NEW.status = 'submitted'", _add(d, "NEW.")),
            trigger(
                "attempt_rollup_update_old",
                f"UPDATE OF {TRIGGER_COLUMNS}",
                "OLD.status = 'submitted'",
                _remove(d, "OLD."),
            ),
            trigger(
                "attempt_rollup_update_new",
                f"UPDATE OF {TRIGGER_COLUMNS}",
                "NEW.status = 'submitted'",
                _add(d, "NEW."),
            ),
            trigger(
                "attempt_rollup_delete", "DELETE", "OLD.status = 'submitted'", _remove(d, "OLD.")
            ),
        ]
    remove = "".join(f"      {s};\n" for s in _remove(d, "OLD."))
    add = "".join(f"      {s};\n" for s in _add(d, "NEW."))
    return [
        "CREATE OR REPLACE FUNCTION attempt_rollup() RETURNS trigger AS $$\n"
        "BEGIN\n"
        "  IF TG_OP <> 'INSERT' THEN\n"
        f"    IF OLD.status = 'submitted' THEN\n{remove}    END IF;\n"
        "  END IF;\n"
        "  IF TG_OP <> 'DELETE' THEN\n"
        f"    IF NEW.status = 'submitted' THEN\n{add}    END IF;\n"
        "  END IF;\n"
        "  RETURN NULL;\n"
        "END; $$ LANGUAGE plpgsql",
        "DROP TRIGGER IF EXISTS attempt_rollup ON attempt",
        f"CREATE TRIGGER attempt_rollup AFTER INSERT OR UPDATE OF {TRIGGER_COLUMNS} OR DELETE "
        "ON attempt FOR EACH ROW EXECUTE FUNCTION attempt_rollup()",
    ]


def drop_statements(dialect_name: str) -> list[str]:
    """Remove the triggers (a bulk load drops them, then rebuilds and recreates them)."""
    if dialect_name == "sqlite":
        return [
            f"DROP TRIGGER IF EXISTS attempt_rollup_{event}"
            for event in ("insert", "update_old", "update_new", "delete")
        ]
    return [
        "DROP TRIGGER IF EXISTS attempt_rollup ON attempt",
        "DROP FUNCTION IF EXISTS attempt_rollup()",
    ]


def rebuild_statements(dialect_name: str) -> list[str]:
    """Recount every rollup from the attempts (migration backfill, after a bulk load)."""
    d = _Dialect(dialect_name)
    submitted = "FROM attempt WHERE status = 'submitted'"
    day = d.day("")
    return [
        *(f"DELETE FROM {table}" for table in TABLES),
        "INSERT INTO traineerollup (user_id, agency_id, attempts, passes, score_sum, unsafe, "
        f"over_routed, last_at) SELECT user_id, MAX(agency_id), COUNT(*), "
        f"SUM({_flag('passed')}), SUM(COALESCE(score, 0)), SUM({_flag('unsafe')}), "
        f"SUM({_flag('over_routed')}), MAX(submitted_at) {submitted} GROUP BY user_id",
        "INSERT INTO dayrouterollup (agency_id, day, expert_disposition, disposition, attempts, "
        f"passes, unsafe, over_routed) SELECT agency_id, {day}, "
        "COALESCE(expert_disposition, ''), COALESCE(disposition, ''), COUNT(*), "
        f"SUM({_flag('passed')}), SUM({_flag('unsafe')}), SUM({_flag('over_routed')}) "
        f"{submitted} GROUP BY 1, 2, 3, 4",
        "INSERT INTO dayerrorrollup (agency_id, day, key_disqualifiers, missed_disqualifiers, "
        f"over_disqualifiers, attempts) SELECT attempt.agency_id, {day}, "
        "COALESCE(scenarioversion.disqualifiers, ''), COALESCE(missed_disqualifiers, ''), "
        "COALESCE(over_disqualifiers, ''), COUNT(*) FROM attempt "
        "LEFT JOIN scenarioversion ON scenarioversion.id = attempt.scenario_version_id "
        "WHERE attempt.status = 'submitted' GROUP BY 1, 2, 3, 4, 5",
        "INSERT INTO daysecondsrollup (agency_id, day, bin, attempts) "
        f"SELECT agency_id, {day}, {d.seconds_bin('')}, COUNT(*) {submitted} "
        "AND seconds IS NOT NULL GROUP BY 1, 2, 3",
    ]
