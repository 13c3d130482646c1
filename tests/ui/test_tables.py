"""Page table helpers (app.ui.tables): the safe CSV download and dates."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from app.ui import tables


def test_csv_button_offers_a_csv_whose_cells_cannot_run_as_formulas(monkeypatch):
    # The CSV is written on click (a callable), from the frame as it was when drawn.
    offered = {}
    monkeypatch.setattr(
        tables.st, "download_button", lambda label, data, **kw: offered.update(kw, data=data)
    )
    frame = pd.DataFrame({"title": ['=HYPERLINK("x")', "Sleeper"], "score": [-2, 80]})
    tables.csv_button(frame, "calls-trainee", "k.csv")
    assert callable(offered["data"]) and offered["on_click"] == "ignore"
    assert offered["file_name"] == "calls-trainee.csv" and offered["mime"] == "text/csv"
    assert offered["key"] == "k.csv"
    lines = offered["data"]().decode("utf-8").splitlines()
    assert lines == ['"title","score"', '"\'=HYPERLINK(""x"")",-2', '"Sleeper",80']


def test_day_date_reads_as_people_write_dates():
    day = dt.date(2026, 3, 7)
    assert tables.day_date(day) == "7 Mar 2026"
    assert tables.day_date(day, long_month=True) == "7 March 2026"
    assert tables.day_date(dt.datetime(2026, 11, 30, 23, 5, tzinfo=dt.UTC)) == "30 Nov 2026"
    assert tables.day_date(None) == "—"
