"""``python -m app bench --against DIR``: two checkouts measured in turn, step by step.

The coordinator is checked with stand-in checkouts (a tiny ``app`` package whose "bench"
logs when each of its steps starts and ends): the steps of the two sides never overlap,
they alternate, the side named first goes first, and a side that fails is reported
without the other hanging. The comparison rule is a property test. One real paired run
of this checkout against itself, on a tiny data set, shows the gate fits the real bench.
"""

from __future__ import annotations

import json
import statistics
import textwrap
import time
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.bench.paired import (
    SAME_WITHIN,
    PairedRunError,
    Side,
    compare,
    format_comparison,
    run_round,
)
from app.cli import main
from app.settings import PROJECT_ROOT

MAIN = """
import json, sys, time
from app.bench import dashboards, screens
args = sys.argv[1:]
out = args[args.index("--json") + 1]
for index in range({steps}):
    screens._timed(index)
    if index + 1 == {fail_after}:
        sys.exit(3)
time.sleep({pause})  # untimed work between two kinds of step
for index in range({views}):
    dashboards.dashboard_timings(index)
json.dump({{"figures": {{"call_screen_p50_ms": {figure}, "grade_per_s": 100.0}}}}, open(out, "w"))
"""

STEP = """
import time
def {function}(index):
    with open({log!r}, "a") as log:
        log.write(f"{name} {kind} start {{time.monotonic()}}\\n")
    time.sleep(0.02)
    with open({log!r}, "a") as log:
        log.write(f"{name} {kind} end {{time.monotonic()}}\\n")
"""


def _checkout(
    root: Path, name: str, log: Path, *, steps=6, views=0, pause=0.0, figure=10.0, fail_after=0
) -> Path:
    """A stand-in checkout whose bench takes ``steps`` call-screen steps, then ``views``
    dashboard steps (``pause`` seconds of untimed work between the two)."""
    folder = root / name
    (folder / "app" / "bench").mkdir(parents=True)
    (folder / "app" / "__init__.py").write_text("")
    (folder / "app" / "bench" / "__init__.py").write_text("")
    main_py = MAIN.format(
        steps=steps, views=views, pause=pause, fail_after=fail_after, figure=figure
    )
    (folder / "app" / "__main__.py").write_text(textwrap.dedent(main_py))
    for module, function, kind in (
        ("screens", "_timed", "screen"),
        ("dashboards", "dashboard_timings", "view"),
    ):
        code = STEP.format(log=str(log), name=name, function=function, kind=kind)
        (folder / "app" / "bench" / f"{module}.py").write_text(textwrap.dedent(code))
    return folder


def _steps(log: Path) -> list[tuple[str, str, float, float]]:
    """(side, kind, start, end) of every step, in the order they started."""
    starts: dict[tuple[str, str], list[float]] = {}
    spans = []
    for line in log.read_text().splitlines():
        name, kind, what, when = line.split()
        if what == "start":
            starts.setdefault((name, kind), []).append(float(when))
        else:
            spans.append((name, kind, starts[(name, kind)].pop(0), float(when)))
    return sorted(spans, key=lambda span: span[2])


def test_the_two_sides_take_turns_and_never_overlap(tmp_path):
    log = tmp_path / "steps.log"
    first = _checkout(tmp_path, "b", log, figure=12.0)
    second = _checkout(tmp_path, "a", log, figure=10.0)
    files = run_round([Side("b", first), Side("a", second)], [], tmp_path / "out")
    spans = _steps(log)
    assert [name for name, _, _, _ in spans] == ["b", "a"] * 6  # b named first, goes first
    for (_, _, _, end), (_, _, start, _) in zip(spans, spans[1:], strict=False):
        assert end <= start  # one step at a time
    figures = {n: json.loads(p.read_text())["figures"] for n, p in files.items()}
    assert figures["b"]["call_screen_p50_ms"] == 12.0 and figures["a"]["call_screen_p50_ms"] == 10.0


def test_a_side_with_more_steps_finishes_alone(tmp_path):
    log = tmp_path / "steps.log"
    short = _checkout(tmp_path, "short", log, steps=2)
    long = _checkout(tmp_path, "long", log, steps=5)
    run_round([Side("short", short), Side("long", long)], [], tmp_path / "out")
    assert [name for name, _, _, _ in _steps(log)] == ["short", "long"] * 2 + ["long"] * 3


def test_steps_are_paired_with_steps_of_the_same_kind(tmp_path):
    """The side done with its call-screen steps first waits at its first dashboard step
    until the other side is done with its own; then the two take turns again."""
    log = tmp_path / "steps.log"
    quick = _checkout(tmp_path, "quick", log, steps=2, views=3)
    slow = _checkout(tmp_path, "slow", log, steps=5, views=3, pause=0.3)
    run_round([Side("quick", quick), Side("slow", slow)], [], tmp_path / "out")
    order = [(name, kind) for name, kind, _, _ in _steps(log)]
    assert order == (
        [("quick", "screen"), ("slow", "screen")] * 2
        + [("slow", "screen")] * 3
        + [("quick", "view"), ("slow", "view")] * 3
    )


def test_a_failing_side_is_reported_and_nothing_hangs(tmp_path):
    log = tmp_path / "steps.log"
    broken = _checkout(tmp_path, "broken", log, steps=6, fail_after=2)
    fine = _checkout(tmp_path, "fine", log, steps=6)
    started = time.monotonic()
    with pytest.raises(PairedRunError, match="broken: the bench in .* failed; see .*broken.log"):
        run_round([Side("broken", broken), Side("fine", fine)], [], tmp_path / "out")
    assert time.monotonic() - started < 60
    assert [n for n, _, _, _ in _steps(log)].count("fine") == 6  # the other side ran to its end


ratios = st.lists(st.floats(0.5, 2.0, allow_nan=False), min_size=1, max_size=6)


@given(ratios, st.booleans())
def test_worse_only_when_worse_in_every_round_beyond_the_margin(factors, rate):
    """ "worse": every round's after/before is a higher cost and the median cost is off by
    more than SAME_WITHIN; "better" likewise the other way; anything else "same". For a
    rate (``*_per_s``) a higher figure is the lower cost."""
    name = "validate_files_per_s" if rate else "call_screen_p50_ms"
    rounds = [({name: 100.0, "x_steps": 3}, {name: 100.0 * f, "x_steps": 4}) for f in factors]
    [row] = compare(rounds)  # counts (*_steps) are not compared
    costs = [1 / f for f in factors] if rate else factors
    off = abs(statistics.median(costs) - 1) > SAME_WITHIN
    if off and all(c > 1 for c in costs):
        assert row.verdict == "worse"
    elif off and all(c < 1 for c in costs):
        assert row.verdict == "better"
    else:
        assert row.verdict == "same"
    assert row.ratios == pytest.approx(factors)


@pytest.mark.parametrize(
    ("name", "factors", "verdict"),
    [
        ("call_screen_p50_ms", [1.10, 1.06, 1.20], "worse"),
        ("call_screen_p50_ms", [1.10, 0.98, 1.20], "same"),  # one round the other way
        ("call_screen_p50_ms", [1.02, 1.01, 1.02], "same"),  # inside the margin
        ("call_screen_p50_ms", [0.90, 0.93, 0.95], "better"),
        ("generate_per_s", [0.90, 0.93, 0.95], "worse"),  # fewer per second
    ],
)
def test_verdicts_by_hand(name, factors, verdict):
    [row] = compare([({name: 50.0}, {name: 50.0 * f}) for f in factors])
    assert row.verdict == verdict


def test_nested_figures_are_compared_by_their_full_names():
    before = {"dashboard_views_cpu_p50_ms": {"equity_audit": 40.0}, "x": None, "ok": True}
    after = {"dashboard_views_cpu_p50_ms": {"equity_audit": 50.0}}
    rows = compare([(before, after), (before, after)])
    assert [(r.figure, r.verdict) for r in rows] == [
        ("dashboard_views_cpu_p50_ms.equity_audit", "worse")
    ]
    text = format_comparison(rows, "before", "after")
    assert "worse in every round: dashboard_views_cpu_p50_ms.equity_audit" in text


@pytest.mark.parametrize(
    ("argv", "says"),
    [
        (["--against", "/no/such/folder"], "not a checkout of this project"),
        (["--against", ".", "--only", "load"], "compares only these parts"),
        (["--against", ".", "--rounds", "0"], "--rounds must be at least 1"),
        (["--against", ".", "--replicas", "2"], "leaves the load test"),
    ],
)
def test_bad_paired_options_are_one_line_and_exit_2(argv, says, capsys):
    assert main(["bench", *argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1 and says in err


@pytest.mark.slow
def test_this_checkout_against_itself_on_a_tiny_data_set(tmp_path, capsys):
    """The gate fits the real bench: every step of both sides is paired, both write their
    figures, and the comparison names the call screen and the floor."""
    out = tmp_path / "paired.json"
    code = main(
        ["bench", "--against", str(PROJECT_ROOT), "--rounds", "1", "--size", "20,5,100",
         "--only", "screens", "--calls", "1", "--json", str(out)]
    )  # fmt: skip
    assert code == 0, capsys.readouterr().err
    result = json.loads(out.read_text())
    compared = {row["figure"] for row in result["compared"]}
    assert {"call_screen_p50_ms", "framework_floor_p50_ms"} <= compared
    [only_round] = result["rounds"]
    assert (
        only_round["before"]["call_screen_p50_ms"] > 0 < only_round["after"]["call_screen_p50_ms"]
    )
    assert "worse in every round:" in capsys.readouterr().out
