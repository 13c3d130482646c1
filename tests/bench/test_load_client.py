"""The load client's reading of Streamlit messages, without a server."""

from __future__ import annotations

import random

from streamlit.proto.Element_pb2 import Element
from streamlit.proto.WidgetStates_pb2 import WidgetState

from app.bench import load


def _element(kind: str, **fields) -> Element:
    element = Element()
    proto = getattr(element, kind)
    for name, value in fields.items():
        if isinstance(value, list):
            getattr(proto, name).extend(value)
        else:
            setattr(proto, name, value)
    return element


def test_keyed_widgets_are_known_by_their_key():
    element = _element("button", id="$$ID-abc123-call7.ask.weapons", label="Weapon?")
    widget = load._widget_from(element)
    assert widget.key == "call7.ask.weapons" and widget.kind == "button"


def test_unkeyed_and_form_submit_widgets_have_no_key():
    plain = load._widget_from(_element("text_input", id="$$ID-abc-None", label="User name"))
    submit = load._widget_from(
        _element(
            "button", id="$$ID-abc-FormSubmitter:login-Log in", label="Log in", form_id="login"
        )
    )
    assert plain.key is None and submit.key is None and submit.form_id == "login"


def test_choice_widgets_keep_their_formatted_options():
    radio = load._widget_from(
        _element("radio", id="$$ID-x-call1.disposition", label="Send", options=["A", "B"])
    )
    assert radio.options == ["A", "B"]
    assert load._widget_from(_element("markdown")) is None


def test_cookies_from_several_set_cookie_lines():
    jar = load._cookies_from("csa_route=abc; Path=/; HttpOnly\n_streamlit_xsrf=2|x|y; SameSite=Lax")
    assert jar == {"csa_route": "abc", "_streamlit_xsrf": "2|x|y"}
    assert load._cookies_from("") == {}


def _trainee(widgets: dict) -> load.SimTrainee:
    trainee = load.SimTrainee(
        load.LoadConfig(base_url="http://127.0.0.1:1", accounts=[]), "u", "p", random.Random(0)
    )
    trainee.widgets = widgets
    return trainee


def test_screen_detection():
    ask = load.Widget("button", "id1", "Weapon?", "call12.ask.weapons")
    assert _trainee({"call12.ask.weapons": ask}).screen() == ("call", 12)
    nxt = load.Widget("button", "id2", "Next call", "practice.next")
    assert _trainee({"practice.next": nxt}).screen() == ("grade", None)
    start = load.Widget("button", "id3", "Start call", None)
    assert _trainee({"Start call": start}).screen() == ("landing", None)
    assert _trainee({}).screen() == ("other", None)


def test_widget_states_are_encoded_like_the_web_client():
    widget = load.Widget("button_group", "gid", "Priority", "call1.priority")
    state = load.SimTrainee.state(widget, string_array_value=["2"])
    assert isinstance(state, WidgetState) and list(state.string_array_value.data) == ["2"]
    trigger = load.SimTrainee.state(widget, trigger_value=True)
    assert trigger.WhichOneof("value") == "trigger_value"


def _samples(level, ms_list, errors=0, kind="ask"):
    out = [load.Sample(level, kind, ms, True) for ms in ms_list]
    out += [load.Sample(level, kind, 1.0, False, "boom") for _ in range(errors)]
    return out


def test_a_level_holds_with_p95_under_a_second_and_few_errors():
    good = load.summarize_level(10, _samples(10, [100.0] * 200), active=10, seconds=10)
    assert good.holds and good.interactions["p95"] == 100.0
    slow = load.summarize_level(10, _samples(10, [100.0] * 90 + [2000.0] * 10), 10, 10)
    assert not slow.holds
    failing = load.summarize_level(10, _samples(10, [100.0] * 100, errors=5), 10, 10)
    assert not failing.holds and failing.errors == 5 and failing.error_examples == ["ask: boom"]


def test_ticks_and_media_are_reported_but_not_counted_as_interactions():
    samples = _samples(5, [100.0] * 20) + _samples(5, [5000.0] * 20, kind="tick")
    samples += _samples(5, [5000.0] * 20, kind="media")
    result = load.summarize_level(5, samples, active=5, seconds=10)
    assert result.interactions["p95"] == 100.0
    assert result.by_kind["tick"]["p95"] == 5000.0 and result.holds


def test_typed_call_screens_are_asked_in_words_then_the_trainee_decides():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    def run(coroutine):  # a loop of its own: a browser test in this worker may have one running
        with ThreadPoolExecutor(1) as pool:
            return pool.submit(asyncio.run, coroutine).result()

    box = load.Widget("text_input", "box", "Ask the caller (Alt+Q)", "call9.typed", form_id="f9")
    ask = load.Widget("button", "ask", "Ask", None, form_id="f9")
    trainee = _trainee({"call9.typed": box, "Ask": ask})
    assert trainee.screen() == ("call", 9)
    sent: list[list] = []

    async def act(kind, states=(), **_):
        sent.append([kind, *states])
        return True

    trainee.act = act
    for _ in range(10):
        run(trainee._type_question(9, box))
    typed = [states[1].string_value for states in sent]
    # The safety questions first, then a couple more; then the box is left alone.
    assert typed[:3] == list(load.wire.TYPED_FIRST) and len(typed) == 5
    assert all(s[0] == "ask" and s[2].id == "ask" and s[2].trigger_value for s in sent)
    assert run(trainee._type_question(9, box)) is None


def test_a_dropped_call_is_called_back_before_any_question():
    import asyncio
    from concurrent.futures import ThreadPoolExecutor

    box = load.Widget("text_input", "box", "Ask the caller (Alt+Q)", "call4.typed", form_id="f4")
    ring = load.Widget("button", "ring", "Call back", "call4.callback")
    trainee = _trainee({"call4.typed": box, "call4.callback": ring})
    sent: list[list] = []

    async def act(kind, states=(), **_):
        sent.append([kind, *states])
        return True

    trainee.act = act
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, trainee._call_step(4)).result()
    assert [s.id for s in sent[0][1:]] == ["ring"] and sent[0][1].trigger_value
