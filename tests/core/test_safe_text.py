"""app.core.safe_text: CSV cells that cannot run as formulas, and no bidi controls."""

from __future__ import annotations

import csv
import datetime as dt
import io
import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.certificate_pdf import CertificateInfo, render_certificate_pdf
from app.core.safe_text import (
    BIDI_CONTROLS,
    FORMULA_START,
    csv_bytes,
    has_bidi,
    neutralise_cell,
    neutralise_frame,
    strip_bidi,
    strip_bidi_deep,
)

DANGEROUS = ["=1+1", "+SUM(A1)", "-2", "@x", "\t=1+1", "\rcmd", "\0=1"]
RLO = "\u202e"  # RIGHT-TO-LEFT OVERRIDE


def parse(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8"), newline="")))


# ----------------------------------------------------------------------------- one cell


@pytest.mark.parametrize("cell", DANGEROUS)
def test_a_formula_leading_text_cell_gets_a_single_quote(cell):
    assert neutralise_cell(cell) == "'" + cell


@pytest.mark.parametrize("number", [-2, 3, -0.5, 1.25, np.int64(-7), np.float64(-1.5), True])
def test_numbers_stay_numbers(number):
    assert neutralise_cell(number) is number


def test_none_stays_none_and_other_values_become_text():
    assert neutralise_cell(None) is None
    assert neutralise_cell(dt.date(2025, 3, 4)) == "2025-03-04"
    assert neutralise_cell(pd.Timedelta(hours=-1)).startswith("'-")  # "-1 days +23:00:00"


def test_ordinary_text_is_left_as_it_is():
    for cell in ["Man asleep in a doorway", "a=b", "1+1", "'quoted", " =1", "", "日本語"]:
        assert neutralise_cell(cell) == cell


def test_a_bidi_control_cannot_hide_a_formula():
    assert neutralise_cell(RLO + "=1+1") == "'=1+1"
    assert neutralise_cell("\u2066@x\u2069") == "'@x"


# ----------------------------------------------------------------------------- bidi controls


def test_strip_bidi_removes_every_listed_control_and_nothing_else():
    every = "".join(sorted(BIDI_CONTROLS))
    assert len(BIDI_CONTROLS) == 12
    assert {f"{ord(c):04X}" for c in BIDI_CONTROLS} == {
        "202A", "202B", "202C", "202D", "202E",
        "2066", "2067", "2068", "2069",
        "200E", "200F", "061C",
    }  # fmt: skip
    assert strip_bidi(f"a{every}b") == "ab"
    kept = "Zoë \u200b\u200d שלום مرحبا \t\n"  # zero-width space/joiner, RTL letters
    assert strip_bidi(kept) == kept
    assert has_bidi("x" + RLO) and not has_bidi(kept)


def test_strip_bidi_deep_cleans_nested_text_and_keeps_other_values():
    value = {
        "title": f"Evil{RLO}gpj.exe",
        "call": {"context": {"notes": [f"a{RLO}b", 3, None]}, "time": ("x\u200e", 1.5)},
        f"k{RLO}": True,
    }
    assert strip_bidi_deep(value) == {
        "title": "Evilgpj.exe",
        "call": {"context": {"notes": ["ab", 3, None]}, "time": ("x", 1.5)},
        "k": True,
    }
    assert value["title"] == f"Evil{RLO}gpj.exe"  # the input is not changed


# ----------------------------------------------------------------------------- whole files


@pytest.mark.parametrize(
    "shape",
    ["frame", "dicts", "rows"],
)
def test_every_export_shape_neutralises_the_dangerous_cells(shape):
    titles = DANGEROUS + [f"Title {RLO}reversed"]
    if shape == "frame":
        data = csv_bytes(pd.DataFrame({"n": range(len(titles)), "title": titles}))
    elif shape == "dicts":
        data = csv_bytes([{"n": i, "title": t} for i, t in enumerate(titles)])
    else:
        data = csv_bytes([[i, t] for i, t in enumerate(titles)], columns=["n", "title"])
    rows = parse(data)
    assert rows[0] == ["n", "title"]
    assert [r[1] for r in rows[1:]] == ["'" + t for t in DANGEROUS] + ["Title reversed"]
    assert [r[0] for r in rows[1:]] == [str(i) for i in range(len(titles))]
    assert RLO.encode("utf-8") not in data


def test_numbers_are_written_bare_and_text_quoted():
    data = csv_bytes([{"score": -2, "ratio": -0.5, "label": "-2"}])
    assert data == b'"score","ratio","label"\r\n-2,-0.5,"\'-2"\r\n'


def test_missing_values_are_empty_cells():
    frame = pd.DataFrame(
        {"a": [1.0, math.nan], "b": ["x", None], "c": pd.to_datetime(["2025-01-01", None])}
    )
    assert parse(csv_bytes(frame)) == [
        ["a", "b", "c"],
        ["1.0", "x", "2025-01-01 00:00:00"],
        ["", "", ""],
    ]


def test_columns_choose_and_order_the_columns():
    frame = pd.DataFrame({"a": [1], "b": ["=x"], "c": [2]})
    assert parse(csv_bytes(frame, columns=["b", "a"])) == [["b", "a"], ["'=x", "1"]]
    rows = [{"a": 1}, {"b": "@y", "a": 2}]
    assert parse(csv_bytes(rows)) == [["a", "b"], ["1", ""], ["2", "'@y"]]
    assert parse(csv_bytes(rows, columns=["b"])) == [["b"], [""], ["'@y"]]


def test_a_dangerous_header_is_neutralised_too():
    assert parse(csv_bytes(pd.DataFrame({"=HYPERLINK()": [1]})))[0] == ["'=HYPERLINK()"]


def test_quotes_commas_and_newlines_survive():
    cell = 'He said "no", then\r\nleft; 50%'
    assert parse(csv_bytes([[cell]])) == [[cell]]


def test_an_empty_table_gives_just_the_header():
    assert csv_bytes(pd.DataFrame({"a": []})) == b'"a"\r\n'
    assert csv_bytes([]) == b""


def test_a_frame_for_the_screen_has_only_its_text_cells_neutralised():
    frame = pd.DataFrame(
        {
            "title": ["=1+1", f"Calm {RLO}caller", None, "-2"],
            "score": [-2, 3, 4, 5],
            "codes": [["weapon"], [], ["=x"], None],
            "when": pd.to_datetime(["2025-01-01"] * 4),
        }
    )
    shown = neutralise_frame(frame)
    titles = list(shown["title"])
    assert titles[:2] + titles[3:] == ["'=1+1", "Calm caller", "'-2"] and pd.isna(titles[2])
    assert list(shown["score"]) == [-2, 3, 4, 5] and shown["score"].dtype == frame["score"].dtype
    assert list(shown["codes"]) == [["weapon"], [], ["=x"], None]  # not text: left alone
    assert (shown["when"] == frame["when"]).all()
    assert list(shown.columns) == list(frame.columns)
    assert frame.loc[0, "title"] == "=1+1"  # the input is not changed


# ----------------------------------------------------------------------------- properties

cells = st.one_of(
    st.text(max_size=30),
    st.text(alphabet=sorted(FORMULA_START | BIDI_CONTROLS) + ["a", "1", " "], max_size=6),
)


@given(st.lists(st.lists(cells, min_size=1, max_size=4), min_size=1, max_size=6))
def test_no_exported_text_cell_starts_with_a_dangerous_character(table):
    width = max(len(row) for row in table)
    table = [row + [""] * (width - len(row)) for row in table]
    parsed = parse(csv_bytes(table))
    assert len(parsed) == len(table)
    for row, original in zip(parsed, table, strict=True):
        for cell, before in zip(row, original, strict=True):
            assert not cell or cell[0] not in FORMULA_START
            assert not has_bidi(cell)
            clean = strip_bidi(before)
            assert cell == ("'" + clean if clean[:1] in FORMULA_START and clean else clean)


ordinary = st.text(max_size=40).filter(
    lambda t: not has_bidi(t) and (not t or t[0] not in FORMULA_START)
)


@given(st.lists(st.tuples(ordinary, ordinary), max_size=8))
def test_ordinary_text_round_trips(rows):
    data = csv_bytes([list(r) for r in rows], columns=["first", "second"])
    assert parse(data) == [["first", "second"]] + [list(r) for r in rows]
    frame = pd.DataFrame(rows, columns=["first", "second"], dtype=object)
    assert parse(csv_bytes(frame)) == [["first", "second"]] + [list(r) for r in rows]


@given(st.one_of(st.integers(), st.floats(allow_nan=False, allow_infinity=False)))
def test_numbers_round_trip_as_numbers(number):
    [[header], [cell]] = parse(csv_bytes([[number]], columns=["x"]))
    assert not cell.startswith("'")
    assert float(cell) == float(number)


# ----------------------------------------------------------------------------- the PDF


def test_the_certificate_is_drawn_without_bidi_controls():
    import pypdfium2 as pdfium

    info = CertificateInfo(
        holder=f"Ann {RLO}eeyoJ",
        agency=f"Agency{RLO} A",
        track="Community responder call screening",
        issued_at=dt.datetime(2025, 3, 4, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 3, 4, tzinfo=dt.UTC),
        code="7KQM-3WXT-HN9C",
        verify_url="/verify?code=7KQM-3WXT-HN9C",
    )
    text = pdfium.PdfDocument(render_certificate_pdf(info))[0].get_textpage().get_text_range()
    assert "Ann eeyoJ" in text and "Agency A" in text
    assert not has_bidi(text)
