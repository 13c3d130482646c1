"""Real-browser tests: a real ``streamlit run`` server and Debian's Chromium.

``playwright install`` cannot download browsers here, so pytest-playwright is
pointed at /usr/bin/chromium. The server gets its own SQLite database, seeded by
``python -m app demo`` with a known DEMO_PASSWORD.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.conftest import require_or_skip

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "test-artifacts"
DEMO_PASSWORD = "browser-test-passphrase"
# A call in English on a live line, heard as audio (for tests about the player).
VOICE_CALL = "unhoused-cafe-0001"
CHROMIUM_FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--autoplay-policy=no-user-gesture-required",
]


def pytest_collection_modifyitems(items):
    for item in items:
        if "tests/browser/" in str(item.fspath):
            item.add_marker(pytest.mark.browser)


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    chromium = shutil.which("chromium")
    require_or_skip(chromium is not None, "chromium is not installed (apt-get install chromium)")
    return {**browser_type_launch_args, "executable_path": chromium, "args": CHROMIUM_FLAGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "viewport": {"width": 1400, "height": 1000}}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _wait_healthy(base_url: str, proc: subprocess.Popen, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"streamlit exited with {proc.returncode}")
        try:
            with urllib.request.urlopen(f"{base_url}/_stcore/health", timeout=2) as resp:
                if resp.read().strip() == b"ok":
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError("streamlit did not become healthy")


def actor_of(database_url: str, username: str):
    """The account ``username`` of the server's database, as the services see it."""
    from sqlmodel import select

    from app.services.accounts import actor_for
    from app.store.db import read_session, use_database
    from app.store.models import User

    with use_database(database_url), read_session() as session:
        return actor_for(session.exec(select(User).where(User.username == username)).one())


def open_practice_call(
    database_url: str, username: str, scenario_key: str, mode: str = "standard"
) -> int:
    """Open a practice call of ``scenario_key`` for ``username`` through the practice
    service, on the server's database; the trainee's Take a call page resumes it.

    Tests that need a particular kind of call (one with a voice, say) open it here: a
    call the app chooses is random, and the bank holds text-to-911 chats, dropped lines
    and callers who speak Spanish. Returns the attempt id."""
    from sqlmodel import select

    from app.services import practice
    from app.store.db import read_session, use_database
    from app.store.models import ScenarioVersion

    actor = actor_of(database_url, username)
    with use_database(database_url):
        with read_session() as session:
            version_id = session.exec(
                select(ScenarioVersion.id)
                .where(ScenarioVersion.agency_id == actor.agency_id)
                .where(ScenarioVersion.scenario_key == scenario_key)
                .where(ScenarioVersion.is_current)
            ).one()
        return practice.start_attempt(actor=actor, scenario_version_id=version_id, mode=mode)


@dataclass
class LiveServer:
    base_url: str
    env: dict
    accounts: dict[str, str] = field(default_factory=dict)

    def wait_idle(self, page) -> None:
        """Wait until Streamlit has finished running the script (never sleeps)."""
        page.wait_for_selector(
            "[data-testid='stApp'][data-test-script-state='notRunning']", timeout=30_000
        )

    def ring_back_if_dead(self, page) -> None:
        """Call back a dropped or hung-up call (the bank and the generator both hold some;
        a dead line answers no question until the trainee rings back), as a trainee would,
        and wait for the answer. Nothing happens on a live line."""
        call_back = page.get_by_role("button", name="Call back")
        if not call_back.count():
            return
        before = page.evaluate("() => window.csAnswers || 0")
        call_back.click()
        page.wait_for_function(f"() => (window.csAnswers || 0) > {before}", timeout=30_000)
        self.wait_idle(page)

    def open_call(self, username: str, scenario_key: str, mode: str = "standard") -> int:
        """A practice call of ``scenario_key`` opened for ``username``
        (:func:`open_practice_call`)."""
        return open_practice_call(self.env["DATABASE_URL"], username, scenario_key, mode)

    def create_user(
        self, username: str, role: str = "trainee", agency: str = "riverside", name: str = ""
    ) -> str:
        """A new account in a demo agency (the demo password), made through the CLI, so it
        is not asked to change its password at the first login. ``name`` is the display
        name (the user name when empty)."""
        subprocess.run(
            [sys.executable, "-m", "app", "create-user", "--role", role, "--name", name]
            + ["--agency", agency, "--password-stdin", username],
            input=DEMO_PASSWORD,
            text=True,
            cwd=ROOT,
            env=self.env,
            check=True,
            capture_output=True,
        )
        return username

    def login(self, page, username: str) -> None:
        page.goto(self.base_url)
        self.wait_idle(page)
        page.get_by_label("User name").fill(username)
        page.get_by_label("Password", exact=True).fill(DEMO_PASSWORD)
        page.get_by_role("button", name="Log in").click()
        page.wait_for_selector("[data-testid='stSidebarNav']", timeout=30_000)
        self.wait_idle(page)
        # The login cookie is written by a script in the page after the rerun; a
        # refresh before it ran would start logged out (as it would for a person).
        # The token is HttpOnly: the page marks the moment the server route has set it.
        page.wait_for_function(
            "document.documentElement.dataset.callscreenSession === 'set'", timeout=30_000
        )


@pytest.fixture(scope="session")
def live_server(tmp_path_factory):
    """A seeded Streamlit server on a free loopback port for the whole test session."""
    data = tmp_path_factory.mktemp("live")
    env = dict(
        os.environ,
        DATABASE_URL=f"sqlite:///{data / 'live.db'}",
        DATA_DIR=str(data),
        AUDIO_CACHE_DIR=str(data / "audio"),
        DEMO_PASSWORD=DEMO_PASSWORD,
        APP_ENV="test",
    )
    subprocess.run(
        [sys.executable, "-m", "app", "demo"], cwd=ROOT, env=env, check=True, capture_output=True
    )
    port = _free_port()
    base_url = f"http://127.0.0.1:{port}"
    env["PUBLIC_URL"] = base_url  # certificates print the absolute verify address
    cmd = [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        "app/asgi.py",  # the app with its session-cookie routes, as `python -m app serve` runs it
        "--server.port",
        str(port),
        "--server.address",
        "127.0.0.1",
        "--server.headless",
        "true",
    ]
    log = open(data / "streamlit.log", "w")  # noqa: SIM115 - closed below
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        _wait_healthy(base_url, proc)
        ARTIFACTS.mkdir(exist_ok=True)
        from app.cli.demo import DEMO_USERS

        yield LiveServer(base_url, env, {u[1]: DEMO_PASSWORD for u in DEMO_USERS})
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
