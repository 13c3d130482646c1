"""Widget labels without leaked escapes, and each role's home page.

``plain_label`` makes trainer-written text inert in a widget label (Streamlit reads labels
as one line of Markdown) with as few backslashes as possible: a screen reader reads the
label as it is, so "Police\\-only need" would be read with the backslash.
"""

from __future__ import annotations

import re

from hypothesis import given
from hypothesis import strategies as st

from app.ui.grade_card import plain_label
from app.ui.navigation import HOME, home_page, pages_for

ACTIVE = set("\\`*_[]{}<>~$|")


def _unescape(text: str) -> str:
    return re.sub(r"\\(.)", r"\1", text)


def test_ordinary_labels_are_left_as_they_are():
    for label in (
        "Police-only need",
        "Weapon seen or mentioned",
        "Welfare check (no crime)",
        "Mental health: no danger",
        "Is the person awake? Breathing!",
        "Route 2.5 miles away",
    ):
        assert plain_label(label) == label


def test_markdown_that_would_act_is_escaped():
    assert plain_label("**bold**") == r"\*\*bold\*\*"
    assert plain_label(":red[alarm]") == r"\:red\[alarm\]"
    assert plain_label(":material/home: home") == r"\:material/home: home"
    assert plain_label("[link](http://x)") == r"\[link\](http://x)"
    assert plain_label("# heading") == r"\# heading"
    assert plain_label("- item") == r"\- item"
    assert plain_label("1. first") == r"1\. first"
    assert plain_label("$x$") == r"\$x\$"
    assert plain_label("<b>hi</b>") == r"\<b\>hi\</b\>"


printable = st.text(st.characters(min_codepoint=32, max_codepoint=0x2FF), max_size=60)


@given(printable)
def test_every_active_character_is_escaped_and_nothing_is_lost(text):
    out = plain_label(text)
    assert _unescape(out) == " ".join(text.split())  # the words, as typed
    plainly = re.sub(r"\\.", "§", out)  # what is left once escaped pairs are taken out
    assert not (set(plainly) & ACTIVE), out
    assert not re.search(r":[A-Za-z0-9_+/-]+[:\[]", plainly), out  # no directive or emoji code


@given(st.text(alphabet="abcdefgh xyz-.,()!?'0123456789", max_size=40))
def test_words_and_everyday_punctuation_need_no_backslash(text):
    assert "\\" not in plain_label("a" + text)


def test_each_role_lands_on_its_home_page():
    assert {role: home_page(role).title for role in HOME} == {
        "trainee": "My training",
        "trainer": "Scenario bank",
        "supervisor": "Cohort",
        "admin": "Users",
    }
    for role in HOME:
        assert home_page(role) in pages_for(role)
    assert home_page(None) is None
