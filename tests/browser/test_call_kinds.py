"""Kinds of call in a real browser: a caller in Spanish is heard in Spanish until the
trainee asks for the interpreter, then the interpreter's English is played and shown;
a dropped call offers **Call back** and answers nothing before it.

Uses the shared ``live_server`` (the demo bank, which holds the new folders under
scenarios/) and Debian's chromium. The call is opened for a fresh trainee through the
practice service on the server's database, so the page resumes exactly that call.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import ARTIFACTS, ROOT

pytestmark = pytest.mark.browser

QUESTION_BOX = ".st-key-cs-ask input[type=text]"
START = """
import sys
from sqlmodel import select
from app.services import practice
from app.services.accounts import actor_for
from app.store.db import read_session
from app.store.models import ScenarioVersion, User
with read_session() as s:
    user = s.exec(select(User).where(User.username == sys.argv[1])).one()
    version = s.exec(
        select(ScenarioVersion.id)
        .where(ScenarioVersion.agency_id == user.agency_id)
        .where(ScenarioVersion.scenario_key == sys.argv[2])
        .where(ScenarioVersion.is_current)
    ).one()
    actor = actor_for(user)
print(practice.start_attempt(actor=actor, scenario_version_id=version, mode="standard"))
"""


def _trainee_with_call(server, username: str, scenario_key: str) -> int:
    """A new trainee in the demo agency with ``scenario_key`` open as a standard call."""
    server.create_user(username)
    done = subprocess.run(
        [sys.executable, "-c", START, username, scenario_key],
        text=True,
        cwd=ROOT,
        env=server.env,
        check=True,
        capture_output=True,
    )
    return int(done.stdout.strip().splitlines()[-1])


def _open_call_screen(server, page, username: str) -> None:
    server.login(page, username)
    page.goto(f"{server.base_url}/trainee_call")
    server.wait_idle(page)
    page.get_by_text("Your decision").wait_for(timeout=30_000)
    server.wait_idle(page)


def _ask(server, page, text: str) -> None:
    before = page.evaluate("() => window.csAnswers || 0")
    box = page.locator(QUESTION_BOX)
    box.click()
    page.keyboard.type(text)
    page.keyboard.press("Enter")
    page.wait_for_function(f"() => (window.csAnswers || 0) > {before}", timeout=30_000)
    server.wait_idle(page)


def _playing(page) -> bytes:
    """The clip the player holds, once the browser has read it as audio (duration > 0)."""
    page.wait_for_function(
        "() => { const a = document.querySelector('[data-testid=stAudio] audio, audio');"
        " return a && a.readyState >= 1 && a.duration > 0; }",
        timeout=30_000,
    )
    src = page.locator("[data-testid=stAudio] audio, audio").first.get_attribute("src")
    assert src
    body = page.request.get(src if src.startswith("http") else page.url.split("/trainee")[0] + src)
    assert body.ok
    return body.body()


def test_an_interpreter_call_plays_spanish_then_the_interpreters_english(live_server, page, speech):
    _trainee_with_call(live_server, "ck-interp", "spanish-grandson-meltdown-0001")
    _open_call_screen(live_server, page, "ck-interp")
    expect(page.get_by_text("Now playing: the caller's opening")).to_be_visible()
    opening = _playing(page)
    assert opening[:4] == b"RIFF"

    _ask(live_server, page, "is he awake and breathing")
    expect(
        page.get_by_text("Now playing: the answer to “is he awake and breathing”")
    ).to_be_visible()
    spanish = _playing(page)
    page.keyboard.press("Alt+KeyL")  # show the transcript
    live_server.wait_idle(page)
    transcript = page.locator(".st-key-cs-transcript")
    expect(transcript).to_contain_text("Está despierto, respira, camina.")
    expect(transcript).not_to_contain_text("Interpreter:")

    _ask(live_server, page, "I'm getting an interpreter on the line")
    expect(page.get_by_text("Now playing: the interpreter", exact=False)).to_be_visible()
    expect(transcript).to_contain_text("Interpreter: Yes, please, I don't speak English.")
    _ask(live_server, page, "does he have a weapon")
    expect(
        page.get_by_text("Now playing: the interpreter, on “does he have a weapon”")
    ).to_be_visible()
    english = _playing(page)
    expect(transcript).to_contain_text("No, nada. Guardé las tijeras")
    expect(transcript).to_contain_text("Interpreter: No, nothing. I put the scissors")
    assert spanish[:4] == english[:4] == b"RIFF" and spanish != english
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "call-kinds-interpreter.png"))


def test_a_dropped_call_answers_nothing_until_the_trainee_calls_back(live_server, page):
    _trainee_with_call(live_server, "ck-callback", "hangup-pocket-dial-bus-0001")
    _open_call_screen(live_server, page, "ck-callback")
    expect(page.get_by_text("The line went dead after the opening.")).to_be_visible()
    call_back = page.get_by_role("button", name="Call back")
    expect(call_back).to_be_visible()

    box = page.locator(QUESTION_BOX)
    box.click()
    page.keyboard.type("what happened")
    page.keyboard.press("Enter")
    live_server.wait_idle(page)
    expect(page.get_by_text("The line is dead. Call the number back", exact=False)).to_be_visible()

    before = page.evaluate("() => window.csAnswers || 0")
    call_back.click()
    page.wait_for_function(f"() => (window.csAnswers || 0) > {before}", timeout=30_000)
    live_server.wait_idle(page)
    expect(page.get_by_role("button", name="Call back")).to_have_count(0)
    expect(page.get_by_text("Now playing: the answer to “your call back”")).to_be_visible()
    _ask(live_server, page, "what happened")
    page.keyboard.press("Alt+KeyL")
    live_server.wait_idle(page)
    transcript = page.locator(".st-key-cs-transcript")
    expect(transcript).to_contain_text("You call the number back.")
    expect(transcript).to_contain_text("my phone must have called from my pocket")
    expect(transcript).to_contain_text("Nothing, honestly.")
    page.screenshot(path=str(ARTIFACTS / "call-kinds-callback.png"))


def test_a_text_call_is_a_conversation_without_audio(live_server, page):
    _trainee_with_call(live_server, "ck-text", "text-frequent-panic-0001")
    _open_call_screen(live_server, page, "ck-text")
    expect(page.get_by_text("Text-to-911:", exact=False)).to_be_visible()
    expect(page.get_by_role("heading", name="Text conversation")).to_be_visible()
    transcript = page.locator(".st-key-cs-transcript")
    expect(transcript).to_contain_text("its me again sorry")
    _ask(live_server, page, "are you having any chest pain")
    expect(transcript).to_contain_text("chest is tight but not pain exactly")
    expect(page.locator("audio")).to_have_count(0)
    expect(page.get_by_text("Now playing", exact=False)).to_have_count(0)
