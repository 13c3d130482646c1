"""Chart helpers (app.ui.charts): tooltip lines and the layered Vega-Lite chart."""

from __future__ import annotations

import json

import pandas as pd
import pyarrow as pa
from streamlit.testing.v1 import AppTest

from app.ui import charts
from app.ui.charts import N, Q, T, tip


def test_a_tooltip_line_has_its_format_only_when_given():
    assert tip("label", N, "Stage") == {"field": "label", "type": "nominal", "title": "Stage"}
    assert tip("rate", Q, "Share", ".1%") == {
        "field": "rate",
        "type": "quantitative",
        "title": "Share",
        "format": ".1%",
    }


def test_layers_are_drawn_over_the_frame_at_the_page_width(monkeypatch):
    drawn = []
    monkeypatch.setattr(charts.st, "vega_lite_chart", lambda *a, **kw: drawn.append((a, kw)))
    frame = pd.DataFrame({"x": [1, 2]})
    bars = {"mark": {"type": "bar"}, "encoding": {"x": {"field": "x", "type": Q}}}
    rule = {"data": {"values": [{"x": 0.0}]}, "mark": {"type": "rule"}}
    charts.layered(frame, rule, bars, height=200, resolve={"scale": {"y": "independent"}})
    charts.layered(frame, bars, height=120)  # one layer: a plain single view
    (data, spec), kw = drawn[0]
    assert data is frame and kw == {"width": "stretch"}
    assert spec == {
        "layer": [rule, bars],
        "height": 200,
        "resolve": {"scale": {"y": "independent"}},
    }
    assert drawn[1][0][1] == {**bars, "height": 120}


def _temporal_chart():
    import pandas as pd

    from app.ui.charts import T, layered, tip

    frame = pd.DataFrame({"week": pd.to_datetime(["2026-03-02", "2026-03-09"]), "n": [3, 5]})
    week = {"field": "week", "type": T, "axis": {"format": "%b %d"}}
    layered(
        frame,
        {
            "mark": {"type": "line", "point": True},
            "encoding": {
                "x": week,
                "y": {"field": "n", "type": "quantitative"},
                "tooltip": [tip("week", T, "Week of", "%Y-%m-%d")],
            },
        },
        height=150,
    )


def test_a_datetime_column_reaches_the_chart_as_an_arrow_timestamp():
    at = AppTest.from_function(_temporal_chart, default_timeout=30).run()
    assert not at.exception, at.exception
    (chart,) = at.get("vega_lite_chart")
    spec = json.loads(chart.proto.spec)
    assert spec["height"] == 150 and spec["encoding"]["x"]["type"] == T
    assert spec["encoding"]["tooltip"][0]["format"] == "%Y-%m-%d"
    table = pa.ipc.open_stream(chart.proto.data.data).read_all()
    assert pa.types.is_timestamp(table.schema.field("week").type)
    assert table.column("n").to_pylist() == [3, 5]
