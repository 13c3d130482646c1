"""Learning records: the outbox is written with the event, and a real LRS (Ralph) gets each
statement exactly once, even when it is stopped in the middle of a run.

Ralph (``ralph-malph``) pins older FastAPI/Starlette than the app, so ``.ci/setup --test``
installs it into ``.venv-ralph``; these tests start its LRS API from there
(``lrs_ralph_launcher.py`` says why not ``ralph runserver``).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import socket
import subprocess
import time
import urllib.request
import uuid
from base64 import b64encode
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import update
from sqlmodel import col, select

from app.errors import SettingsError
from app.services import certification, lrs, practice
from app.services.lrs import statements as xapi
from app.services.lrs.sender import FIRST_WAIT_S, LONGEST_WAIT_S, backoff_seconds
from app.settings import get_settings
from app.store.db import read_session, write_session
from app.store.models import Attempt, LearningRecord, ScenarioVersion, utcnow
from tests.conftest import require_or_skip
from tests.services.test_certification import passed_exam
from tests.services.test_certification_support import build_bank, practice_ids, practise

ROOT = Path(__file__).resolve().parents[2]
RALPH = ROOT / ".venv-ralph" / "bin" / "ralph"
RALPH_PYTHON = ROOT / ".venv-ralph" / "bin" / "python"
LAUNCHER = Path(__file__).with_name("lrs_ralph_launcher.py")
LRS_USER, LRS_PASSWORD = "academy", "lrs-test-password"
FAR_FUTURE = utcnow() + dt.timedelta(days=3650)


# ------------------------------------------------------------------ pure rules


@given(st.text(min_size=1, max_size=80), st.text(min_size=1, max_size=80))
def test_statement_ids_are_stable_and_differ_per_event(first, second):
    home = "https://academy.example.org"
    assert xapi.statement_id(home, first) == xapi.statement_id(home + "/", first)
    assert uuid.UUID(xapi.statement_id(home, first)).version == 5
    if first != second:
        assert xapi.statement_id(home, first) != xapi.statement_id(home, second)


@given(st.integers(min_value=1, max_value=10_000))
def test_backoff_doubles_up_to_an_hour(tries):
    wait = backoff_seconds(tries)
    assert FIRST_WAIT_S <= wait <= LONGEST_WAIT_S
    assert backoff_seconds(tries + 1) >= wait
    if wait < LONGEST_WAIT_S // 2:
        assert backoff_seconds(tries + 1) == 2 * wait


@pytest.mark.parametrize(
    "url",
    ["", "ftp://lrs.example.org/xAPI/", "lrs.example.org", "https://u:p@lrs.example.org/xAPI/"],
)
def test_a_bad_lrs_address_is_one_plain_line(url, monkeypatch):
    monkeypatch.setenv("LRS_URL", url)
    get_settings.cache_clear()
    try:
        with pytest.raises(SettingsError) as caught:
            lrs.lrs_config()
        assert "\n" not in str(caught.value) and "LRS_URL" in str(caught.value)
    finally:
        get_settings.cache_clear()


# ------------------------------------------------------------------ the outbox


def _records() -> list[LearningRecord]:
    with read_session() as session:
        return list(session.exec(select(LearningRecord).order_by(col(LearningRecord.id))).all())


def test_each_event_is_recorded_once_with_the_event(database, world):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    actor, exam_id, _ = passed_exam(world)
    assert actor == trainee
    rows = _records()
    calls = [r for r in rows if r.event_key.startswith("attempt:")]
    exams = [r for r in rows if r.event_key.startswith("exam:")]
    assert len(exams) == 1 and exams[0].verb == "passed"
    assert len(calls) == len({r.event_key for r in calls}) >= 20
    call = calls[0].statement
    assert call["verb"]["id"] == "http://adlnet.gov/expapi/verbs/completed"
    assert call["result"]["completion"] is True
    assert 0 <= call["result"]["score"]["scaled"] <= 1
    extensions = call["result"]["extensions"]
    assert {"disqualifiers", "route", "rules", "scenario-version"} <= {
        key.rsplit("/", 1)[1] for key in extensions
    }
    assert call["actor"]["account"]["name"] == "trainee-a"

    cert = certification.sign_off(
        actor=supervisor, exam_id=exam_id, attested=True, calls_opened=(1,)
    )
    certification.revoke(
        actor=supervisor, certificate_id=cert["certificate_id"], reason="Issued in error"
    )
    verbs = [r.verb for r in _records() if r.event_key.startswith("certificate:")]
    assert verbs == ["earned", "revoked"]
    # Submitting the same call again stores nothing new (the grade comes back as stored).
    before = len(_records())
    first = calls[0]
    with read_session() as session:
        from app.store.models import Attempt

        attempt = session.get(Attempt, int(first.event_key.split(":")[1]))
    practice.submit_attempt(
        actor=trainee,
        attempt_id=attempt.id,
        answer=attempt.answer,
        idempotency_key=attempt.idempotency_key,
    )
    assert len(_records()) == before


def test_a_rolled_back_event_leaves_no_statement(database, world):
    trainee = world["trainee-a"]
    ids = build_bank(world.agencies["a"])
    practise(trainee, practice_ids(ids, 1, 3))
    (row,) = _records()
    attempt_id = int(row.event_key.split(":")[1])
    with write_session() as session:
        session.exec(update(LearningRecord).values(event_key="moved", statement_id="moved"))
    with pytest.raises(RuntimeError), write_session() as session:
        attempt = session.get(Attempt, attempt_id)
        lrs.attempt_submitted(
            session,
            attempt,
            session.get(ScenarioVersion, attempt.scenario_version_id),
            username=trainee.username,
            display_name=trainee.display_name,
            agency_slug="a",
        )
        raise RuntimeError("the event's transaction fails")
    assert [r.event_key for r in _records()] == ["moved"]


# ------------------------------------------------------------------ a real LRS (Ralph)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Ralph:
    """``ralph runserver`` with the file-system backend in a folder of its own."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}/xAPI/"
        self.env = dict(
            os.environ,
            RALPH_APP_DIR=str(folder),
            RALPH_AUTH_FILE=str(folder / "auth.json"),
            RALPH_RUNSERVER_BACKEND="fs",
            RALPH_BACKENDS__LRS__FS__DEFAULT_DIRECTORY_PATH=str(folder / "data"),
        )
        self.proc: subprocess.Popen | None = None
        subprocess.run(
            [str(RALPH), "auth", "-u", LRS_USER, "-p", LRS_PASSWORD, "-s", "all"]
            + ["-A", LRS_USER, "https://academy.example.org", "-w"],
            env=self.env,
            check=True,
            capture_output=True,
        )

    def start(self) -> None:
        log = open(self.folder / "ralph.log", "a")  # noqa: SIM115 - the process keeps it
        self.proc = subprocess.Popen(
            [str(RALPH_PYTHON), str(LAUNCHER), "127.0.0.1", str(self.port)],
            cwd=self.folder,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"ralph exited: {(self.folder / 'ralph.log').read_text()}")
            try:
                self.get("statements?limit=1")
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError("ralph did not start")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(20)
            self.proc = None

    def get(self, path: str) -> dict:
        auth = b64encode(f"{LRS_USER}:{LRS_PASSWORD}".encode()).decode()
        request = urllib.request.Request(
            self.url + path,
            headers={"Authorization": f"Basic {auth}", "X-Experience-API-Version": "1.0.3"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            return json.loads(response.read())

    def statement(self, statement_id: str) -> dict:
        """One statement read back by id (Ralph answers with a one-statement list)."""
        body = self.get(f"statements?statementId={statement_id}")
        found = body["statements"] if "statements" in body else [body]
        assert len(found) == 1
        return found[0]

    def stored_ids(self) -> list[str]:
        """Every statement id in Ralph's files, duplicates included."""
        ids = []
        for path in sorted((self.folder / "data").glob("*")):
            for line in path.read_text().splitlines():
                if line.strip():
                    ids.append(json.loads(line)["id"])
        return ids

    def validate(self, statements: list[dict]) -> None:
        """Check each statement against Ralph's own xAPI statement model."""
        script = (
            "import json, sys\n"
            "from ralph.models.xapi.base.statements import BaseXapiStatement\n"
            "for line in sys.stdin:\n"
            "    BaseXapiStatement.model_validate(json.loads(line))\n"
        )
        subprocess.run(
            [str(RALPH_PYTHON), "-c", script],
            input="\n".join(json.dumps(s) for s in statements),
            text=True,
            check=True,
            capture_output=True,
        )


@pytest.fixture
def ralph(tmp_path, monkeypatch):
    require_or_skip(RALPH.exists(), "Ralph is not installed in .venv-ralph (bash .ci/setup --test)")
    server = Ralph(tmp_path / "ralph")
    server.folder.mkdir(exist_ok=True)
    server.start()
    monkeypatch.setenv("LRS_URL", server.url)
    monkeypatch.setenv("LRS_USERNAME", LRS_USER)
    monkeypatch.setenv("LRS_PASSWORD", LRS_PASSWORD)
    get_settings.cache_clear()
    yield server
    server.stop()
    get_settings.cache_clear()


def _push_everything() -> lrs.PushReport:
    total = lrs.PushReport()
    while True:
        report = lrs.push(now=FAR_FUTURE)
        total.sent += report.sent
        total.rejected += report.rejected
        total.retry += report.retry
        if report.problem or report.sent + report.rejected == 0:
            total.problem = report.problem
            return total


def test_statements_reach_ralph_exactly_once_across_an_outage(sqlite_db, world, ralph):
    trainee, supervisor = world["trainee-a"], world["supervisor-a"]
    ids = build_bank(world.agencies["a"])
    practise(trainee, practice_ids(ids, 3, 7))
    assert lrs.push().sent == 3

    ralph.stop()  # the LRS goes down in the middle of the run
    _, exam_id, _ = passed_exam(world)
    certification.sign_off(actor=supervisor, exam_id=exam_id, attested=True, calls_opened=(1,))
    down = lrs.push()
    assert down.sent == 0 and down.retry == 1 and "no answer" in (down.problem or "")
    waiting = [r for r in _records() if r.status == "pending"]
    assert len(waiting) > 20 and waiting[0].tries == 1 and waiting[0].last_error

    ralph.start()  # back again: everything arrives, nothing twice
    _push_everything()
    rows = _records()
    assert {r.status for r in rows} == {"sent"}
    assert sorted(ralph.stored_ids()) == sorted(r.statement_id for r in rows)

    # A lost answer means sending again: the LRS still keeps one copy of each.
    assert lrs.replay(since=utcnow() - dt.timedelta(days=1)) == len(rows)
    _push_everything()
    assert sorted(ralph.stored_ids()) == sorted(r.statement_id for r in rows)

    # Read back from the LRS: the call and the exam are there and fit Ralph's xAPI model.
    exam_row = next(r for r in rows if r.event_key.startswith("exam:"))
    call_row = next(r for r in rows if r.event_key.startswith("attempt:"))
    back = [ralph.statement(r.statement_id) for r in (call_row, exam_row)]
    assert [b["id"] for b in back] == [call_row.statement_id, exam_row.statement_id]
    assert back[0]["result"]["score"] == call_row.statement["result"]["score"]
    assert back[1]["verb"]["id"] == "http://adlnet.gov/expapi/verbs/passed"
    ralph.validate(back)
    ralph.validate([r.statement for r in rows])


def test_a_statement_the_lrs_refuses_is_kept_with_the_reason(sqlite_db, world, ralph, capsys):
    from app.cli import main

    trainee = world["trainee-a"]
    ids = build_bank(world.agencies["a"])
    practise(trainee, practice_ids(ids, 2, 5))
    first = _records()[0]
    broken = {k: v for k, v in first.statement.items() if k != "actor"}  # whose call?
    with write_session() as session:
        session.exec(
            update(LearningRecord)
            .where(col(LearningRecord.id) == first.id)
            .values(statement=broken)
        )
    report = lrs.push()
    assert (report.sent, report.rejected) == (1, 1)
    status = lrs.outbox_status()
    assert (status["sent"], status["rejected"]) == (1, 1)
    (row,) = status["rejected_rows"]
    assert row["statement_id"] == first.statement_id
    assert row["reason"].startswith("LRS answered 4") and "actor" in row["reason"]
    assert ralph.stored_ids() == [r.statement_id for r in _records() if r.status == "sent"]
    capsys.readouterr()
    assert main(["lrs", "status"]) == 0
    shown = capsys.readouterr().out
    assert "waiting 0  sent 1  rejected 1" in shown
    assert f"rejected {first.statement_id}" in shown and row["reason"] in shown


def test_cli_says_one_line_when_the_lrs_is_wrong(sqlite_db, monkeypatch, capsys):
    from app.cli import main

    port = _free_port()
    monkeypatch.setenv("LRS_URL", f"http://127.0.0.1:{port}/xAPI/")
    get_settings.cache_clear()
    assert main(["lrs", "push"]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith("error: Cannot reach the LRS") and "\n" not in err
    monkeypatch.setenv("LRS_URL", "lrs.example.org")
    get_settings.cache_clear()
    assert main(["lrs", "status"]) == 2
    assert capsys.readouterr().err.strip().count("\n") == 0
    assert main(["lrs", "replay", "--since", "last week"]) == 2
    assert "--since" in capsys.readouterr().err
    get_settings.cache_clear()


def test_the_servers_background_sender_delivers_by_itself(sqlite_db, world, ralph, monkeypatch):
    """What app/asgi.py starts with the server: no push from anyone else here."""
    monkeypatch.setenv("LRS_SEND_SECONDS", "1")
    get_settings.cache_clear()
    ids = build_bank(world.agencies["a"])
    practise(world["trainee-a"], practice_ids(ids, 2, 11))
    sender = lrs.start_background_sender()
    assert sender is not None
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and lrs.outbox_status()["pending"]:
            time.sleep(0.2)
    finally:
        sender.stop()
    assert (lrs.outbox_status()["pending"], lrs.outbox_status()["sent"]) == (0, 2)
    assert sorted(ralph.stored_ids()) == sorted(r.statement_id for r in _records())
    monkeypatch.setenv("LRS_SEND_SECONDS", "0")
    get_settings.cache_clear()
    assert lrs.start_background_sender() is None


@given(st.datetimes(timezones=st.just(dt.UTC)), st.datetimes(timezones=st.just(dt.UTC)))
def test_each_renewal_is_its_own_statement_issue_and_revoke_are_one(first, second):
    key = xapi.certificate_event_key
    assert (key(7, "renewed", first) == key(7, "renewed", second)) == (
        first.replace(microsecond=first.microsecond // 1000 * 1000)
        == second.replace(microsecond=second.microsecond // 1000 * 1000)
    )
    assert key(7, "issued", first) == key(7, "issued", second) == "certificate:7:issued"
    assert key(7, "revoked", first) == key(7, "revoked", second)
