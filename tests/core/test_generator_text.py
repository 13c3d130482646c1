"""Speech-friendly numbers and the YAML writer."""

from __future__ import annotations

import yaml
from hypothesis import given
from hypothesis import strategies as st

from app.core.generator import speech
from app.core.generator.dump import dump_scenario


def test_house_numbers_as_people_say_them():
    assert speech.house_number_words(1420) == "fourteen twenty"
    assert speech.house_number_words(405) == "four oh five"
    assert speech.house_number_words(1400) == "fourteen hundred"
    assert speech.house_number_words(2000) == "two thousand"
    assert speech.house_number_words(2005) == "two thousand five"
    assert speech.house_number_words(77) == "seventy-seven"


def test_times_and_phone_numbers_spoken():
    assert speech.time_words("02:40") == "twenty to three in the morning"
    assert speech.time_words("14:15") == "quarter past two in the afternoon"
    assert speech.time_words("00:00") == "midnight"
    assert speech.time_words("12:00") == "noon"
    assert speech.time_words("21:07") == "nine oh seven at night"
    assert speech.phone_words("312", "555", "0142") == (
        "three one two, five five five, zero one four two"
    )
    assert speech.ordinal_words(23) == "twenty-third"


@given(st.integers(1, 9999))
def test_house_numbers_never_use_digits(n):
    words = speech.house_number_words(n)
    assert words and not any(c.isdigit() for c in words)


@given(st.integers(0, 23), st.integers(0, 59))
def test_every_clock_time_has_words(h, m):
    words = speech.time_words(f"{h:02d}:{m:02d}")
    assert words and not any(c.isdigit() for c in words)


scalars = st.one_of(
    st.text(max_size=300),
    st.integers(-5, 10**6),
    st.booleans(),
    st.none(),
    st.sampled_from(["911", "02:40", "yes", "No", "null", "~", "- x", "a: b", "#x", "1e3", "0x1"]),
)
keys = st.from_regex(r"[a-z][a-z_]{0,10}", fullmatch=True)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=4), st.dictionaries(keys, inner, max_size=4)),
    max_leaves=20,
)


@given(st.dictionaries(keys, values, min_size=1, max_size=6))
def test_dump_gives_the_same_data_back(data):
    assert yaml.safe_load(dump_scenario(data)) == data


@given(st.text(min_size=1, max_size=40), st.text(min_size=1, max_size=40))
def test_time_and_channel_always_double_quoted(time, channel):
    text = dump_scenario({"call": {"channel": channel, "time": time}})
    assert yaml.safe_load(text) == {"call": {"channel": channel, "time": time}}
    assert '  channel: "' in text and '  time: "' in text
