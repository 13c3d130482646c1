"""Kinds of call in a real browser: a caller in Spanish is heard in Spanish until the
trainee asks for the interpreter; from then on each answer plays the caller's Spanish and
then the interpreter's English, one after the other, and both are shown; a dropped call
offers **Call back** and answers nothing before it.

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


CLIPS = ".st-key-cs-clips audio"
# Logs every play, pause and end of a player, with its clip and the time, on the page
# itself (the events do not bubble: listened for in the capture phase, as the app does).
MEDIA_LOG = """() => {
  window.testMedia = [];
  for (const type of ["play", "playing", "pause", "ended"]) {
    document.addEventListener(type, (e) => {
      const a = e.target;
      if (!(a instanceof HTMLMediaElement)) return;
      window.testMedia.push({type, src: a.currentSrc || a.src, t: performance.now()});
    }, true);
  }
}"""


def _playing(page) -> bytes:
    """The clip the first player holds, once the browser has read it as audio."""
    return _clips(page, 1)[0]


def _clips(page, count: int) -> list[bytes]:
    """The clips of the answer on screen, in order (exactly ``count`` players), once the
    browser has read each one as audio (duration > 0)."""
    page.wait_for_function(
        "(n) => { const all = [...document.querySelectorAll('.st-key-cs-clips audio')];"
        " return all.length === n && all.every((a) => a.readyState >= 1 && a.duration > 0); }",
        arg=count,
        timeout=30_000,
    )
    out = []
    for player in page.locator(CLIPS).all():
        src = player.get_attribute("src")
        assert src
        body = page.request.get(
            src if src.startswith("http") else page.url.split("/trainee")[0] + src
        )
        assert body.ok
        out.append(body.body())
    return out


def _srcs(page) -> list[str]:
    return page.eval_on_selector_all(CLIPS, "(all) => all.map((a) => a.currentSrc || a.src)")


def test_an_interpreter_call_plays_spanish_then_the_interpreters_english(live_server, page, speech):
    _trainee_with_call(live_server, "ck-interp", "spanish-grandson-meltdown-0001")
    _open_call_screen(live_server, page, "ck-interp")
    page.evaluate(MEDIA_LOG)
    expect(page.get_by_text("Now playing: the caller's opening")).to_be_visible()
    opening = _playing(page)
    assert opening[:4] == b"RIFF"

    _ask(live_server, page, "is he awake and breathing")
    expect(
        page.get_by_text("Now playing: the answer to “is he awake and breathing”")
    ).to_be_visible()
    [spanish] = _clips(page, 1)  # nobody relays it yet: the caller's Spanish only
    page.keyboard.press("Alt+KeyL")  # show the transcript
    live_server.wait_idle(page)
    transcript = page.locator(".st-key-cs-transcript")
    expect(transcript).to_contain_text("Está despierto, respira, camina.")
    expect(transcript).not_to_contain_text("Interpreter:")

    _ask(live_server, page, "I'm getting an interpreter on the line")
    expect(
        page.get_by_text("Now playing: the caller, then the interpreter", exact=False)
    ).to_be_visible()
    expect(transcript).to_contain_text("Interpreter: Yes, please, I don't speak English.")
    _clips(page, 2)

    page.evaluate("() => { window.testMedia = []; }")
    _ask(live_server, page, "does he have a weapon")
    expect(
        page.get_by_text(
            "Now playing: the caller, then the interpreter, on “does he have a weapon”"
        )
    ).to_be_visible()
    caller, english = _clips(page, 2)
    assert spanish[:4] == caller[:4] == english[:4] == b"RIFF"
    assert len({spanish, caller, english}) == 3  # the Spanish answer, then its English
    expect(page.get_by_text("First: the caller")).to_be_visible()
    expect(page.get_by_text("Then: the interpreter")).to_be_visible()
    expect(transcript).to_contain_text("No, nada. Guardé las tijeras")
    expect(transcript).to_contain_text("Interpreter: No, nothing. I put the scissors")
    first, second = _srcs(page)
    # The caller's clip plays by itself; the interpreter's starts when it has ended.
    page.wait_for_function(
        "(src) => (window.testMedia || []).some((e) => e.type === 'ended' && e.src === src)",
        arg=second,
        timeout=60_000,
    )
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "call-kinds-interpreter.png"))
    log = [
        (e["type"], "caller" if e["src"] == first else "interpreter", e["t"])
        for e in page.evaluate("() => window.testMedia")
        if e["src"] in (first, second) and e["type"] in ("play", "ended")
    ]
    assert [(kind, who) for kind, who, _ in log] == [
        ("play", "caller"),
        ("ended", "caller"),
        ("play", "interpreter"),
        ("ended", "interpreter"),
    ], log
    assert log[2][2] >= log[1][2]  # no overlap: the interpreter starts after the caller ends
    state = page.eval_on_selector_all(
        CLIPS, "(all) => all.map((a) => [a.ended, a.currentTime, a.duration])"
    )
    assert [ended for ended, _, _ in state] == [True, True]
    assert all(at > 0 and abs(at - length) < 0.1 for _, at, length in state)
    # The focus is back in the question box, ready for the next question.
    assert page.evaluate(
        "(sel) => document.activeElement === document.querySelector(sel)", QUESTION_BOX
    )

    # One voice at a time: playing the caller again pauses the interpreter.
    page.evaluate(
        "() => { const [a, b] = document.querySelectorAll('.st-key-cs-clips audio');"
        " b.currentTime = 0; return b.play(); }"
    )
    page.wait_for_function(
        "() => !document.querySelectorAll('.st-key-cs-clips audio')[1].paused", timeout=10_000
    )
    page.evaluate("() => document.querySelector('.st-key-cs-clips audio').play()")
    page.wait_for_function(
        "() => { const [a, b] = document.querySelectorAll('.st-key-cs-clips audio');"
        " return !a.paused && b.paused; }",
        timeout=10_000,
    )


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
    # The transcript scrolls in a box of fixed height: it takes the focus, so the keyboard
    # can scroll it, and says what it is (axe: scrollable-region-focusable).
    expect(transcript).to_have_attribute("tabindex", "0")
    expect(transcript).to_have_attribute("aria-label", "Transcript")
    transcript.focus()
    expect(transcript).to_be_focused()
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
