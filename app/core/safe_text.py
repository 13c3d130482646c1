"""Text that leaves the app safely: CSV cells that cannot become formulas, no bidi tricks.

Two problems with text that trainers and trainees write (titles, names, notes):

- **Formula injection.** A spreadsheet treats a CSV cell that starts with ``=``, ``+``,
  ``-`` or ``@`` as a formula, and a leading tab, carriage return or NUL can hide the same.
  OWASP's rule (the CSV Injection page, and ASVS 5.0 requirement 1.2.10) is to put a
  single quote in front of such a cell, which the spreadsheet shows as text, and to quote
  fields as RFC 4180 says. :func:`neutralise_cell` does the first; :func:`csv_bytes` does
  both for a whole table; :func:`neutralise_frame` readies a table for ``st.dataframe``,
  whose own *Download as CSV* button writes cells as they are. Real numbers (``int``,
  ``float``, numpy numbers) are left alone, so ``-2`` the number stays a number while
  ``"-2"`` the text gets its quote.
- **Bidirectional controls.** The Unicode embedding, override and isolate controls
  (U+202A-U+202E, U+2066-U+2069) and the direction marks (U+200E, U+200F, U+061C) change
  the order in which the characters around them are drawn, so a title can read one way
  and say another (for example a U+202E, RIGHT-TO-LEFT OVERRIDE, in a name or a file
  name). :func:`strip_bidi` removes them; the app strips them where text enters (scenario
  import and save, new user names) and again where it is exported.

Pure: the standard library and pandas only.
"""

from __future__ import annotations

import csv
import io
import numbers
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

import pandas as pd

#: Unicode bidirectional formatting characters: LRE, RLE, PDF, LRO, RLO; LRI, RLI, FSI,
#: PDI; LRM, RLM; ALM.
BIDI_CONTROLS = frozenset(
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c"
)
_BIDI_TABLE = {ord(ch): None for ch in BIDI_CONTROLS}

#: A text cell starting with one of these is read as a formula (or hides one) by a
#: spreadsheet: OWASP's list (= + - @ tab CR) plus ASVS 5.0's NUL.
FORMULA_START = frozenset("=+-@\t\r\0")


def strip_bidi(text: str) -> str:
    """``text`` without any Unicode bidirectional control character."""
    return text.translate(_BIDI_TABLE)


def has_bidi(text: str) -> bool:
    return any(ch in BIDI_CONTROLS for ch in text)


def strip_bidi_deep(value: Any) -> Any:
    """A copy of a plain value (dicts, lists, tuples, text) with every text stripped.

    Mapping keys are stripped too; anything that is not text (numbers, dates, None) is
    returned as it is.
    """
    if isinstance(value, str):
        return strip_bidi(value)
    if isinstance(value, Mapping):
        return {strip_bidi_deep(k): strip_bidi_deep(v) for k, v in value.items()}
    if isinstance(value, list):
        return [strip_bidi_deep(v) for v in value]
    if isinstance(value, tuple):
        return tuple(strip_bidi_deep(v) for v in value)
    return value


def _is_number(value: Any) -> bool:
    # bool is an int; it prints as True/False, which no spreadsheet reads as a formula.
    return isinstance(value, numbers.Number)


def neutralise_cell(value: Any) -> Any:
    """One cell made safe for a spreadsheet.

    Numbers and ``None`` are returned unchanged. Anything else is turned into text, its
    bidirectional controls are removed, and if it then starts with ``=``, ``+``, ``-``,
    ``@``, tab, carriage return or NUL a single quote is put in front of it. (The
    controls go first: ``"\\u202e=1+1"`` must not slip through as a cell whose first
    character looks harmless.)
    """
    if value is None or _is_number(value):
        return value
    text = strip_bidi(value if isinstance(value, str) else str(value))
    if text and text[0] in FORMULA_START:
        return "'" + text
    return text


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with every text cell passed through :func:`neutralise_cell`.

    For tables the browser can export by itself: ``st.dataframe`` has its own *Download
    as CSV* button, which writes cells as they are. Only ``str`` cells change; numbers,
    dates, lists and missing values are kept, and so are the column names.
    """
    out = frame.copy()
    for position in range(out.shape[1]):
        column = out.iloc[:, position]
        if pd.api.types.is_numeric_dtype(column) or pd.api.types.is_datetime64_any_dtype(column):
            continue
        out.isetitem(
            position, column.map(lambda v: neutralise_cell(v) if isinstance(v, str) else v)
        )
    return out


def _missing(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, str) or not pd.api.types.is_scalar(value):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def _cell(value: Any) -> Any:
    if _missing(value):
        return ""
    return neutralise_cell(value)


def _table(
    data: Any, columns: Sequence[Any] | None
) -> tuple[list[Any] | None, Iterable[Sequence[Any]]]:
    """(header or None, rows as sequences) for a DataFrame, dicts or sequences."""
    if isinstance(data, pd.DataFrame):
        header = list(columns) if columns is not None else list(data.columns)
        frame = data.loc[:, header] if columns is not None else data
        return header, frame.itertuples(index=False, name=None)
    rows = list(data)
    if rows and isinstance(rows[0], Mapping):
        if columns is None:
            header = []
            seen = set()
            for row in rows:
                for key in row:
                    if key not in seen:
                        seen.add(key)
                        header.append(key)
        else:
            header = list(columns)
        return header, ([row.get(key) for key in header] for row in rows)
    return (list(columns) if columns is not None else None), rows


def csv_bytes(data: Any, columns: Sequence[Any] | None = None) -> bytes:
    """A UTF-8 CSV file of ``data`` in which no cell can run as a formula.

    ``data`` is a DataFrame (its index is left out, like ``to_csv(index=False)``), a list
    of dicts (the columns are the keys, in order of first appearance, unless ``columns``
    says which and in what order) or a list of rows (with ``columns`` as an optional
    header). Every text cell, the header included, goes through :func:`neutralise_cell`;
    missing values (None, NaN, NaT) are empty cells. Text is always quoted and quotes
    inside it doubled (RFC 4180, 2.6 and 2.7); numbers are written bare so a
    spreadsheet still reads them as numbers.
    """
    header, rows = _table(data, columns)
    out = io.StringIO(newline="")
    writer = csv.writer(out, quoting=csv.QUOTE_NONNUMERIC, lineterminator="\r\n")
    if header is not None:
        writer.writerow([_cell(name) for name in header])
    for row in rows:
        writer.writerow([_cell(value) for value in row])
    return out.getvalue().encode("utf-8", errors="replace")
