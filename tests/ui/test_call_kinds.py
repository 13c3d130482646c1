"""The call screen's kind-of-call parts (app.ui.call_kinds): the call back box, the text
note, the call history shown as plain text, never as Markdown or HTML; and the players of
an interpreted call (app.ui.call_assets): the caller's clip, then the interpreter's."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.ui.call_actions import play_items
from app.ui.call_assets import PLAYER_JS, now_playing
from app.ui.call_kinds import (
    CALLBACK_LABEL,
    DEAD_LINE,
    is_text_call,
    line_is_dead,
    prior_call_lines,
)


def _screen(view: dict) -> AppTest:
    def script(view):
        from app.services.access import Actor
        from app.ui.call_kinds import render_call_kind

        render_call_kind(Actor(user_id=1, agency_id=1, role="trainee"), view, 7)

    at = AppTest.from_function(script, kwargs={"view": view}, default_timeout=30)
    return at.run()


def test_what_the_view_says_about_the_kind_of_call():
    dead = {"call_kind": {"needs_callback": True, "called_back": False}}
    assert line_is_dead(dead) and not is_text_call(dead)
    assert not line_is_dead({"call_kind": {"needs_callback": True, "called_back": True}})
    assert not line_is_dead({}) and not is_text_call({})  # a view from before the keys
    assert is_text_call({"call_kind": {"medium": "text"}})


def test_the_history_reads_as_one_line_per_call():
    assert prior_call_lines(
        [
            {"when": "yesterday", "what": "Same man", "outcome": "Team visited"},
            {"when": None, "what": "Noise", "outcome": None},
        ]
    ) == ["yesterday — Same man (Team visited)", "Earlier — Noise"]


def test_a_dead_line_offers_call_back_and_the_history_stays_plain():
    at = _screen(
        {
            "call_kind": {
                "medium": "voice",
                "needs_callback": True,
                "called_back": False,
                "prior_calls": [
                    {"when": "**today**", "what": "<b>x</b> :red[alarm]", "outcome": None}
                ],
            }
        }
    )
    assert not at.exception
    assert [b.label for b in at.button] == [CALLBACK_LABEL]
    assert at.button[0].key == "call7.callback"
    assert any(DEAD_LINE in m.value for m in at.markdown)
    history = [m.value for m in at.markdown if "today" in m.value]
    assert history == [r"- \*\*today\*\* — \<b\>x\</b\> \:red\[alarm\]"]


def test_after_the_call_back_and_on_a_text_there_is_no_button():
    at = _screen({"call_kind": {"medium": "text", "needs_callback": True, "called_back": True}})
    assert not at.exception and not at.button
    assert any("Text-to-911" in i.value for i in at.info)
    assert any("called the number back" in c.value for c in at.caption)


def _answer(said: dict) -> AppTest:
    """What the call screen plays after ``heard(said)``: its caption and players."""

    def script(said):
        import streamlit as st

        from app.ui.call_actions import heard, play_items, state_key
        from app.ui.call_assets import now_playing, render_players

        if "done" not in st.session_state:  # the callback runs once, before the script
            st.session_state["done"] = True
            heard(7, said)
        items = play_items(st.session_state.get(state_key(7, "play")))
        st.caption(now_playing(items, "is he armed"))
        render_players([(item, b"RIFF" + item.encode()) for item in items], autoplay=True)

    return AppTest.from_function(script, kwargs={"said": said}, default_timeout=30).run()


def test_an_interpreted_answer_gets_the_caller_then_the_interpreter():
    at = _answer(
        {"question": "is he armed", "clip": "en:weapons", "clips": ["weapons", "en:weapons"]}
    )
    assert not at.exception
    assert at.session_state["call7.play"] == ["weapons", "en:weapons"]
    assert at.session_state["call7.autoplay"] is True
    assert [c.value for c in at.caption] == [
        "Now playing: the caller, then the interpreter, on “is he armed”",
        "First: the caller",
        "Then: the interpreter",
    ]
    players = at.get("audio")
    assert len(players) == 2
    # Only the caller starts by itself; the player script starts the interpreter after it.
    assert [p.proto.autoplay for p in players] == [True, False]
    assert players[0].proto.url != players[1].proto.url


def test_one_voice_is_one_player_as_before():
    at = _answer({"question": "is he armed", "clip": "weapons", "clips": ["weapons"]})
    assert not at.exception
    assert [c.value for c in at.caption] == ["Now playing: the answer to “is he armed”"]
    assert [p.proto.autoplay for p in at.get("audio")] == [True]
    # An answer with nothing to play (no caller clip, no interpreter) starts nothing.
    at = _answer({"question": "x", "clip": None, "clips": []})
    assert "call7.play" not in at.session_state and "call7.autoplay" not in at.session_state
    assert [c.value for c in at.caption] == ["Now playing: the caller's opening"]


def test_what_is_played_and_said():
    assert play_items(None) == ["opening"]
    assert play_items("en:weapons") == ["en:weapons"]  # a session from before the list
    assert play_items(["weapons", "en:weapons"]) == ["weapons", "en:weapons"]
    assert now_playing(["opening"], "") == "Now playing: the caller's opening"
    assert now_playing(["en:weapons"], "armed?") == "Now playing: the interpreter, on “armed?”"
    # The player script chains the clips of one answer and holds no text from a call.
    assert '"ended"' in PLAYER_JS and ".st-key-cs-clips" in PLAYER_JS
