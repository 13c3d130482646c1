"""The call screen's kind-of-call parts (app.ui.call_kinds): the call back box, the text
note, the call history shown as plain text, never as Markdown or HTML."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

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
