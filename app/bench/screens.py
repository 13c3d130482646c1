"""Server time per interaction, measured through ``streamlit.testing.v1.AppTest``.

:func:`call_screen_timings` drives the real trainee call page (start a call, ask
questions, mark, submit, next call) and times every ``at.run()``; the same driver
runs :mod:`app.bench.floor_page`, which has the same widgets and nothing else, so
the two numbers side by side say how much of each interaction is our code.
:func:`dashboard_page_timings` renders the supervisor pages the same way.

AppTest runs the script in this process, as the server would, minus the network.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from pathlib import Path

from app.settings import PROJECT_ROOT

CALL_PAGE = PROJECT_ROOT / "app" / "app_pages" / "trainee_call.py"
FLOOR_PAGE = Path(__file__).with_name("floor_page.py")
SUPERVISOR_PAGES = (
    "supervisor_dashboard.py",
    "supervisor_errors.py",
    "supervisor_equity.py",
    "supervisor_trainee.py",
    "trainer_items.py",
)
MODES = ("standard", "guided", "timed")
# Screening questions a trainee asks first; one more is picked at random per call.
FIRST_QUESTIONS = ("weapons", "threats", "medical")
CALL_TYPE_CHOICES = ("WELFARE_CHECK", "MENTAL_HEALTH", "DISTURBANCE", "TYPE_03", "TYPE_07")
ROUTE_CHOICES = ("community_responder", "police", "community_responder_with_police", "ems")
RUN_TIMEOUT_S = 120
PAGE_URL = "http://localhost:8501/practice"  # the address a browser would report


Samples = dict[str, list[float]]
TTS = "+tts"  # suffix of a step during which a clip was rendered (an audio cache miss)
# Prefix of a step's CPU time: what this process spent on it, all threads. On a shared
# machine the wall clock also counts other tenants; CPU time mostly does not, so it is
# the steadier figure for comparing two versions of the code.
CPU = "cpu:"


def clip_counter(folder: Path) -> Callable[[], int]:
    """Counts the clips in the audio cache (a step that adds one rendered speech)."""

    def count() -> int:
        return sum(1 for _ in folder.glob("*/*.wav")) if folder.exists() else 0

    return count


Probe = Callable[[], int] | None


def _timed(samples: Samples, step: str, at, probe: Probe = None) -> None:
    before = probe() if probe else 0
    started, cpu_started = time.perf_counter(), time.process_time()
    at.run(timeout=RUN_TIMEOUT_S)
    elapsed = (time.perf_counter() - started) * 1000.0
    cpu = (time.process_time() - cpu_started) * 1000.0
    if probe and probe() > before:
        step += TTS
    samples.setdefault(step, []).append(elapsed)
    samples.setdefault(CPU + step, []).append(cpu)
    if at.exception:
        raise RuntimeError(f"{step}: the page raised {at.exception[0].value}")


def _pick(widget, choices) -> object | None:
    """The first of ``choices`` the widget offers (by its formatted label)."""
    options = list(widget.options)
    for value in choices:
        try:
            label = widget.format_func(value)
        except Exception:  # noqa: S112 - an option this widget does not know
            continue
        if label in options:
            return value
    return None


def _button(at, *, key: str | None = None, label: str | None = None):
    for button in at.button:
        if key is not None and button.key == key:
            return button
        if label is not None and button.label == label:
            return button
    return None


def _one_call(at, samples: Samples, rng: random.Random, probe: Probe) -> None:
    attempt = at.session_state["practice.attempt_id"]
    prefix = f"call{attempt}."
    call_back = _button(at, key=prefix + "callback")
    if call_back is not None and not call_back.disabled:  # a dropped call: ring back first
        call_back.click()
        _timed(samples, "ask", at, probe)
    typed = [t for t in at.text_input if t.key == prefix + "typed"]
    if typed:  # Standard, Timed and exam calls: questions typed in the trainee's words
        from app.core.protocol import QUESTION_IDS, load_protocol

        questions = load_protocol().questions
        others = [q for q in QUESTION_IDS if q not in FIRST_QUESTIONS]
        for question in [*FIRST_QUESTIONS, rng.choice(others)]:
            at.text_input(key=prefix + "typed").input(questions[question].text)
            ask = _button(at, label="Ask")
            if ask is None:
                raise RuntimeError("the call screen has no Ask button")
            ask.click()
            _timed(samples, "ask", at, probe)
    else:  # Guided calls keep the question cards
        asks = [b for b in at.button if b.key and b.key.startswith(prefix + "ask.")]
        if not asks:
            raise RuntimeError("the call screen shows neither a question box nor cards")
        by_id = {b.key.rsplit(".", 1)[1]: b for b in asks}
        wanted = [q for q in FIRST_QUESTIONS if q in by_id]
        rest = [q for q in by_id if q not in wanted]
        if rest:
            wanted.append(rng.choice(rest))
        for question in wanted:
            button = _button(at, key=prefix + "ask." + question)
            if button is not None and not button.disabled:
                button.click()
                _timed(samples, "ask", at, probe)
    if rng.random() < 0.5:
        at.checkbox(key=prefix + "dq." + rng.choice(["weapon", "threat", "medical"])).check()
        _timed(samples, "mark", at, probe)
    box = at.selectbox(key=prefix + "call_type")
    choice = _pick(box, CALL_TYPE_CHOICES)
    if choice is not None:
        box.set_value(choice)
        _timed(samples, "mark", at, probe)
    at.segmented_control(key=prefix + "priority").set_value(rng.choice([2, 3]))
    _timed(samples, "mark", at, probe)
    radio = at.radio(key=prefix + "disposition")
    choice = _pick(radio, ROUTE_CHOICES)
    if choice is not None:
        radio.set_value(choice)
        _timed(samples, "mark", at, probe)
    submit = _button(at, label="Submit call")
    if submit is None:
        raise RuntimeError("the call screen has no Submit button")
    submit.click()
    _timed(samples, "submit", at, probe)


def drive_call_page(
    page: Path,
    *,
    user_id: int | None,
    calls: int,
    seed: int = 0,
    modes=MODES,
    probe: Probe = None,
    login_id: int | None = None,
) -> Samples:
    """Take ``calls`` calls on ``page`` (one AppTest session per mode); ms per step.

    With ``login_id`` the page runs as in a browser: logged in through that login
    session (checked on every rerun) and with the browser's address of the page, so the
    players get links to ``/api/clip`` as they do on a server."""
    from streamlit.testing.v1 import AppTest

    rng = random.Random(seed)
    samples: Samples = {}
    per_mode = [
        calls // len(modes) + (1 if i < calls % len(modes) else 0) for i in range(len(modes))
    ]
    for mode, count in zip(modes, per_mode, strict=True):
        if count == 0:
            continue
        at = AppTest.from_file(str(page), default_timeout=RUN_TIMEOUT_S)
        if user_id is not None:
            at.session_state["user_id"] = user_id
        if login_id is not None:
            at.session_state["login_session_id"] = login_id
            at.context = {"url": PAGE_URL}
        _timed(samples, "open", at, probe)
        if "practice.attempt_id" not in at.session_state:
            at.radio(key="practice.mode_pick").set_value(mode)
            _timed(samples, "mode", at, probe)
            start = _button(at, label="Start call")
            if start is None:
                raise RuntimeError("the page has no Start call button")
            start.click()
            _timed(samples, "start", at, probe)
        for index in range(count):
            if at.error:
                raise RuntimeError(f"the page shows an error: {at.error[0].value}")
            _one_call(at, samples, rng, probe)
            if index + 1 < count:
                following = _button(at, key="practice.next")
                if following is None:
                    raise RuntimeError("no Next call button after the grade")
                following.click()
                _timed(samples, "start", at, probe)
    return samples


INTERACTIONS = ("start", "ask", "mark", "submit")  # on the call screen itself


def flatten(
    samples: Samples, *, tts: bool | None = None, steps=INTERACTIONS, cpu: bool = False
) -> list[float]:
    """Samples of the call-screen steps; only with (True) or without (False) a clip rendered;
    wall-clock times, or with ``cpu`` the CPU times.

    Opening the page and picking a mode happen before the call screen and are left out.
    """
    return [
        value
        for step, values in samples.items()
        if step.startswith(CPU) == cpu
        and step.removeprefix(CPU).removesuffix(TTS) in steps
        and (tts is None or step.endswith(TTS) == tts)
        for value in values
    ]


def call_screen_timings(
    *, user_id: int, calls: int, seed: int = 0, warmup: bool = True, audio_dir: Path | None = None
) -> tuple[Samples, Samples]:
    """(real call page samples, floor page samples), both driven the same way.

    One call on each page is taken first and thrown away (imports, caches). With
    ``audio_dir``, a step during which a clip was rendered is named ``<step>+tts``.
    """
    from app.services.accounts import begin_login, load_actor

    probe = clip_counter(audio_dir) if audio_dir else None
    actor = load_actor(user_id)
    if actor is None:
        raise RuntimeError(f"no active user {user_id} to take the calls")
    login_id = begin_login(actor=actor).session_id
    if warmup:
        for page, user in ((CALL_PAGE, user_id), (FLOOR_PAGE, None)):
            drive_call_page(
                page,
                user_id=user,
                calls=1,
                seed=seed + 1000,
                modes=("standard",),
                login_id=login_id if user else None,
            )
    real: Samples = {}
    floor: Samples = {}
    # One mode at a time on each page, alternating, so both see the same machine.
    per_mode = [calls // len(MODES) + (1 if i < calls % len(MODES) else 0) for i in range(3)]
    for mode, count in zip(MODES, per_mode, strict=True):
        if not count:
            continue
        for page, user, into in ((CALL_PAGE, user_id, real), (FLOOR_PAGE, None, floor)):
            got = drive_call_page(
                page,
                user_id=user,
                calls=count,
                seed=seed,
                modes=(mode,),
                probe=probe,
                login_id=login_id if user else None,
            )
            for step, values in got.items():
                into.setdefault(step, []).extend(values)
    return real, floor


def is_placeholder(page: Path) -> bool:
    """Pages still being built say so in their first line."""
    try:
        return page.read_text(encoding="utf-8").lstrip().startswith('"""Placeholder')
    except OSError:
        return True


def dashboard_page_timings(
    *, user_id: int, repeats: int, pages=SUPERVISOR_PAGES, clear: Callable[[], None] | None = None
) -> tuple[Samples, list[str]]:
    """Cold render time (ms) of each supervisor page, ``repeats`` times; and the pages skipped.

    Streamlit's data cache is cleared before each render: this is the time a supervisor
    waits when opening the page, not the time of a cached rerun. Each page is rendered
    once first, untimed: the first render in a process imports its modules, and an
    AppTest's first run scans every installed package for components (~0.2 s, which a
    server does once when it starts); the timed renders rerun the same AppTest.
    """
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    samples: Samples = {}
    skipped: list[str] = []
    for name in pages:
        page = PROJECT_ROOT / "app" / "app_pages" / name
        if not page.exists() or is_placeholder(page):
            skipped.append(name)
            continue
        at = AppTest.from_file(str(page), default_timeout=RUN_TIMEOUT_S)
        at.session_state["user_id"] = user_id
        for index in range(repeats + 1):
            (clear or st.cache_data.clear)()
            _timed(samples if index else {}, name.removesuffix(".py"), at)
    return samples, skipped
