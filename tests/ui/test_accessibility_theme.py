"""The theme in .streamlit/config.toml: every text colour meets WCAG AA contrast (4.5:1).

Computed from the file itself, with the WCAG 2.2 formula for relative luminance. Streamlit
draws captions, help and widget hints in ``textColor`` at 60% opacity (its ``fadedText60``),
so that blend is checked too, on the page and on the sidebar's background.
"""

from __future__ import annotations

import tomllib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tests.factories import ROOT

AA = 4.5
CONFIG = ROOT / ".streamlit" / "config.toml"
HUES = ("red", "orange", "yellow", "blue", "green", "violet", "gray")


def _rgb(colour: str) -> tuple[int, int, int]:
    text = colour.strip().lstrip("#")
    assert len(text) == 6, colour
    return int(text[0:2], 16), int(text[2:4], 16), int(text[4:6], 16)


def luminance(colour: tuple[float, float, float]) -> float:
    def channel(value: float) -> float:
        c = value / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(v) for v in colour)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: tuple[float, float, float], b: tuple[float, float, float]) -> float:
    high, low = sorted((luminance(a), luminance(b)), reverse=True)
    return (high + 0.05) / (low + 0.05)


def blend(fg: tuple[int, int, int], bg: tuple[int, int, int], alpha: float):
    return tuple(alpha * f + (1 - alpha) * b for f, b in zip(fg, bg, strict=True))


@pytest.fixture(scope="module")
def theme() -> dict:
    return tomllib.loads(CONFIG.read_text(encoding="utf-8"))["theme"]


def _pairs(theme: dict):
    """(what, text colour, background colour) for every text colour the theme sets."""
    page, side = _rgb(theme["backgroundColor"]), _rgb(theme["secondaryBackgroundColor"])
    text = _rgb(theme["textColor"])
    for where, bg in (("page", page), ("sidebar", side)):
        yield f"text on {where}", text, bg
        yield f"caption (text at 60%) on {where}", blend(text, bg, 0.6), bg
        yield f"link on {where}", _rgb(theme["linkColor"]), bg
        for hue in HUES:
            yield f"{hue} text on {where}", _rgb(theme[f"{hue}TextColor"]), bg
    yield "code", _rgb(theme["codeTextColor"]), _rgb(theme["codeBackgroundColor"])
    yield "primary button label", (255, 255, 255), _rgb(theme["primaryColor"])
    for hue in HUES:  # alerts and badges: the hue's text on the hue's background
        fg, bg = _rgb(theme[f"{hue}TextColor"]), _rgb(theme[f"{hue}BackgroundColor"])
        yield f"{hue} text on {hue} background", fg, bg


def test_every_text_colour_of_the_theme_meets_aa(theme):
    low = [
        f"{what}: {contrast(fg, bg):.2f}:1"
        for what, fg, bg in _pairs(theme)
        if contrast(fg, bg) < AA
    ]
    assert not low, low


def test_the_theme_is_light_and_sets_its_own_colours(theme):
    # A base of its own and every colour set: nothing falls back to Streamlit's defaults,
    # whose captions measure 3.88:1.
    assert theme["base"] == "light"
    assert {"textColor", "backgroundColor", "secondaryBackgroundColor", "linkColor"} <= set(theme)


def test_the_contrast_formula_on_known_values():
    assert contrast((0, 0, 0), (255, 255, 255)) == pytest.approx(21.0)
    assert contrast((255, 255, 255), (255, 255, 255)) == pytest.approx(1.0)
    # Streamlit's default caption: #2f2d2b at 60% on white, the 3.88:1 the audit found.
    assert contrast(blend(_rgb("#2f2d2b"), (255, 255, 255), 0.6), (255, 255, 255)) < AA
    assert contrast(_rgb("#767676"), (255, 255, 255)) == pytest.approx(4.54, abs=0.01)


colours = st.tuples(*(st.integers(0, 255),) * 3)


@given(colours, colours)
def test_contrast_is_symmetric_and_between_1_and_21(a, b):
    assert contrast(a, b) == pytest.approx(contrast(b, a))
    assert 1.0 <= contrast(a, b) <= 21.0 + 1e-9


@given(colours, colours)
def test_blending_runs_from_the_background_to_the_colour(fg, bg):
    assert contrast(blend(fg, bg, 0.0), bg) == pytest.approx(1.0)
    assert contrast(blend(fg, bg, 1.0), bg) == pytest.approx(contrast(fg, bg))


@given(st.integers(0, 255), st.floats(0.05, 0.95))
def test_fading_grey_text_on_white_lowers_its_contrast(level, alpha):
    grey, white = (level, level, level), (255, 255, 255)
    assert contrast(blend(grey, white, alpha), white) <= contrast(grey, white) + 1e-9


def test_the_app_s_own_caption_and_focus_colours(theme):
    from app.ui.a11y import A11Y_CSS, CAPTION_COLOUR, FOCUS_COLOUR

    page, side = _rgb(theme["backgroundColor"]), _rgb(theme["secondaryBackgroundColor"])
    for bg in (page, side):
        assert contrast(_rgb(CAPTION_COLOUR), bg) >= AA
        assert contrast(_rgb(FOCUS_COLOUR), bg) >= 3.0  # a focus ring is not text: 3:1
    # The ring is not the current page's colour (the primary colour marks the current page).
    assert FOCUS_COLOUR.lower() != theme["primaryColor"].lower()
    assert CAPTION_COLOUR in A11Y_CSS and FOCUS_COLOUR in A11Y_CSS
    assert "opacity: 1" in A11Y_CSS  # captions no longer faded by opacity
