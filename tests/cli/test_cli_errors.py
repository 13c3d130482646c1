"""Bad input gets one clear line and exit code 2, never a traceback."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def run_cli(*args: str, env: dict | None = None, stdin: str | None = None):
    return subprocess.run(
        [sys.executable, "-m", "app", *args],
        cwd=ROOT,
        env={**os.environ, **(env or {})},
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_one_line_error(result, fragment: str) -> None:
    assert result.returncode == 2, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), result.stderr
    assert fragment in lines[0]


@pytest.mark.parametrize(
    "url",
    [
        "not a url",
        "postgresql+psycopg://u@h:notaport/db",
        "mysql://x@localhost/db",
        "sqlite:////proc/forbidden/x.db",
    ],
)
def test_malformed_database_url(url, tmp_path):
    result = run_cli("init-db", env={"DATABASE_URL": url, "DATA_DIR": str(tmp_path)})
    expected = {"mysql": "only sqlite", "proc": "cannot create the folder"}
    fragment = next((v for k, v in expected.items() if k in url), "DATABASE_URL")
    assert_one_line_error(result, fragment)


def test_unreachable_database(tmp_path):
    result = run_cli(
        "init-db",
        env={
            "DATABASE_URL": "postgresql+psycopg://postgres@127.0.0.1:1/none",
            "DATA_DIR": str(tmp_path),
        },
    )
    assert_one_line_error(result, "cannot reach the database")


def test_bad_setting(tmp_path):
    result = run_cli("init-db", env={"AUDIO_WORKERS": "lots", "DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "AUDIO_WORKERS")


def test_production_refuses_default_cookie_secret(tmp_path):
    result = run_cli("init-db", env={"APP_ENV": "production", "DATA_DIR": str(tmp_path)})
    assert_one_line_error(result, "COOKIE_SECRET")


def test_create_user_password_rules_and_idempotent_init(tmp_path):
    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'c.db'}", "DATA_DIR": str(tmp_path)}
    assert run_cli("init-db", env=env).returncode == 0
    assert run_cli("init-db", env=env).returncode == 0  # idempotent
    base = ["create-user", "boss", "--role", "admin", "--agency", "hq", "--password-stdin"]
    too_long = run_cli(*base, "--agency-name", "HQ", env=env, stdin="x" * 200 + "\n")
    assert_one_line_error(too_long, "at most")
    common = run_cli(*base, "--agency-name", "HQ", env=env, stdin="password123\n")
    assert_one_line_error(common, "commonly used")
    ok = run_cli(*base, "--agency-name", "HQ", env=env, stdin="a sound passphrase\n")
    assert ok.returncode == 0, ok.stderr
    again = run_cli(*base, env=env, stdin="a sound passphrase\n")
    assert_one_line_error(again, "taken")
    reset = run_cli(
        "set-password", "boss", "--password-stdin", env=env, stdin="a newer passphrase\n"
    )
    assert reset.returncode == 0, reset.stderr
    unknown = run_cli(
        "set-password", "nobody", "--password-stdin", env=env, stdin="whatever it is\n"
    )
    assert_one_line_error(unknown, "no user")


def test_backup_makes_a_consistent_copy(tmp_path):
    import sqlite3

    env = {"DATABASE_URL": f"sqlite:///{tmp_path / 'b.db'}", "DATA_DIR": str(tmp_path)}
    assert run_cli("init-db", env=env).returncode == 0
    result = run_cli("backup", str(tmp_path / "copy.db"), env=env)
    assert result.returncode == 0, result.stderr
    copy = sqlite3.connect(tmp_path / "copy.db")
    assert copy.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert copy.execute("SELECT count(*) FROM alembic_version").fetchone()[0] == 1
    assert_one_line_error(run_cli("backup", str(tmp_path / "copy.db"), env=env), "exists")
