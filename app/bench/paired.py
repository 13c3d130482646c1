"""Compare two checkouts on one machine: ``python -m app bench --against DIR``.

A shared machine's speed drifts by tens of percent from one minute to the next, so two
benchmark runs made one after the other can differ more than the code does. Here both
checkouts' benches run at once, each in its own process, and take turns: every timed step
(a rerun of the call screen, a dashboard view, a throughput loop) waits until the other
checkout's step is done (:mod:`app.bench.gate`). Each pair of steps sees the same machine,
so the drift falls on both sides alike. Steps are paired with steps of the same kind: a
side that is done with the call screen waits until the other is too, so a dashboard view
is never timed right after the other side's call-screen rerun (which leaves the
processor's caches in another state). The checkout that goes first alternates from round
to round.

A figure is reported as worse only when it is worse in every round, by more than
:data:`SAME_WITHIN`; one slow round is the machine, not the code.

The load test and the replicas run servers for many seconds at a time and are left out:
compare them with plain runs, one after the other.
"""

from __future__ import annotations

import json
import os
import select
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass
from pathlib import Path

GATE = Path(__file__).with_name("gate.py")
PAIRED_PARTS = ("core", "audio", "screens", "dashboards")
SAME_WITHIN = 0.03  # a median ratio this close to 1 is "the same"
STEP_TIMEOUT_S = 900.0  # one step (a whole throughput loop at most) never takes this long


class PairedRunError(RuntimeError):
    """A side's bench stopped with an error (its log says why)."""


@dataclass
class Side:
    name: str
    checkout: Path
    process: subprocess.Popen | None = None
    go: int | None = None  # the pipe's write end, once the side has opened it
    done: int | None = None
    waiting: str | None = None  # the kind of step it is waiting to run; None: it has ended
    last: str | None = None  # the kind of step it ran last


def _open_go(path: Path, process: subprocess.Popen) -> int | None:
    """The write end of ``path`` once the bench opened its read end; None if it ended first.

    The bench opens its pipes at its first step (after building its data set)."""
    while True:
        try:
            return os.open(path, os.O_WRONLY | os.O_NONBLOCK)
        except OSError:  # no reader yet
            if process.poll() is not None:
                return None
            time.sleep(0.05)


def _read_done(side: Side, timeout_s: float, until: bytes) -> bytes:
    """Bytes from the side's ``done`` pipe up to ``until``; b"" once the bench has ended."""
    assert side.done is not None and side.process is not None
    got = b""
    while not got.endswith(until):
        ready, _, _ = select.select([side.done], [], [], timeout_s)
        if not ready:
            side.process.kill()
            raise PairedRunError(f"{side.name}: no word from its bench for {timeout_s:g} s")
        byte = os.read(side.done, 1)
        if not byte:
            return b""
        got += byte
    return got


def _wait_for_step(side: Side, fifo_dir: Path, timeout_s: float) -> None:
    """Wait until ``side`` is at its next step (``side.waiting``: its kind) or has ended."""
    assert side.process is not None
    side.waiting = None
    if side.go is None:
        side.go = _open_go(fifo_dir / f"{side.name}.go", side.process)
        if side.go is None:
            return
        os.set_blocking(side.go, True)
        side.done = os.open(fifo_dir / f"{side.name}.done", os.O_RDONLY)
    line = _read_done(side, timeout_s, b"\n")
    side.waiting = line.decode().strip() or None


def _run_step(side: Side, timeout_s: float) -> None:
    assert side.go is not None
    try:
        os.write(side.go, b"g")
    except BrokenPipeError:  # the bench has ended
        side.waiting = None
        return
    side.last = side.waiting
    if _read_done(side, timeout_s, b"x") == b"":
        side.waiting = None


def _may_go(side: Side, others: Sequence[Side]) -> bool:
    """Steps of one kind are paired with steps of the same kind: a side that reached a new
    kind of step waits there until the others reach it too (or end). If every side waits
    at a different new kind, they go anyway (their benches differ there)."""
    if side.waiting == side.last or all(o.waiting == side.waiting for o in others):
        return True
    return all(o.waiting != o.last for o in others)


def _take_turns(sides: Sequence[Side], fifo_dir: Path, timeout_s: float) -> None:
    for side in sides:
        _wait_for_step(side, fifo_dir, timeout_s)
    turn = 0
    while True:
        running = [s for s in sides if s.waiting is not None]
        if not running:
            return
        for offset in range(len(sides)):  # the next side in turn that may go
            side = sides[(turn + offset) % len(sides)]
            others = [o for o in running if o is not side]
            if side.waiting is not None and _may_go(side, others):
                break
        else:  # cannot happen: a side that waits at a new kind alone may always go
            raise PairedRunError("the two benches are waiting for each other")
        _run_step(side, timeout_s)
        if side.waiting is not None:
            _wait_for_step(side, fifo_dir, timeout_s)
        turn = (sides.index(side) + 1) % len(sides)


def run_round(
    sides: Sequence[Side],
    bench_args: Sequence[str],
    out_dir: Path,
    *,
    python: str = sys.executable,
    timeout_s: float = STEP_TIMEOUT_S,
) -> dict[str, Path]:
    """One paired run: both benches at once, one step each in turn, ``sides[0]`` first.
    Returns each side's JSON file; raises :class:`PairedRunError` if a side failed."""
    fifo_dir = out_dir / "pipes"
    fifo_dir.mkdir(parents=True, exist_ok=True)
    results: dict[str, Path] = {}
    logs = {}
    try:
        for side in sides:
            for end in ("go", "done"):
                fifo = fifo_dir / f"{side.name}.{end}"
                fifo.unlink(missing_ok=True)
                os.mkfifo(fifo)
            results[side.name] = out_dir / f"{side.name}.json"
            logs[side.name] = (out_dir / f"{side.name}.log").open("w", encoding="utf-8")
            side.go = side.done = None
            side.waiting = side.last = None
            side.process = subprocess.Popen(
                [python, str(GATE), str(fifo_dir / f"{side.name}.go"),
                 str(fifo_dir / f"{side.name}.done"), "bench", *bench_args,
                 "--json", str(results[side.name])],
                cwd=side.checkout,
                env={**os.environ, "PYTHONPATH": str(side.checkout)},
                stdout=logs[side.name],
                stderr=subprocess.STDOUT,
            )  # fmt: skip
        _take_turns(sides, fifo_dir, timeout_s)
        for side in sides:
            assert side.process is not None
            if side.process.wait() != 0 or not results[side.name].exists():
                raise PairedRunError(
                    f"{side.name}: the bench in {side.checkout} failed; see {out_dir / side.name}.log"
                )
    finally:
        for side in sides:
            if side.process is not None and side.process.poll() is None:
                side.process.kill()
                side.process.wait()
            for fd in (side.go, side.done):
                if fd is not None:
                    os.close(fd)
            side.go = side.done = None
        for log in logs.values():
            log.close()
    return results


# ------------------------------------------------------------------ comparing the figures


def flat_figures(figures: Mapping, prefix: str = "") -> dict[str, float]:
    """Every number of a bench's figures, nested ones named ``outer.inner``."""
    out: dict[str, float] = {}
    for key, value in figures.items():
        if isinstance(value, Mapping):
            out.update(flat_figures(value, f"{prefix}{key}."))
        elif isinstance(value, int | float) and not isinstance(value, bool):
            out[prefix + key] = float(value)
    return out


def higher_is_better(name: str) -> bool:
    return name.endswith("_per_s") or "max_sessions" in name


@dataclass(frozen=True)
class Compared:
    figure: str
    before: float  # median over rounds
    after: float
    ratios: tuple[float, ...]  # after / before, one per round
    verdict: str  # "better", "worse" or "same"


def compare(rounds: Sequence[tuple[Mapping, Mapping]]) -> list[Compared]:
    """(before figures, after figures) of each round -> one row per figure both have.

    ``worse``/``better``: so in every round, with the median cost (after/before; for a
    rate, before/after) more than :data:`SAME_WITHIN` from 1; anything else is ``same``.
    Counts (``*_steps``) and figures that are 0 or missing in a round are left out."""
    flat = [(flat_figures(b), flat_figures(a)) for b, a in rounds]
    names = set.intersection(*(set(b) & set(a) for b, a in flat)) if flat else set()
    rows = []
    for name in sorted(names):
        if name.endswith("_steps"):
            continue
        pairs = [(b[name], a[name]) for b, a in flat]
        if any(before <= 0 or after <= 0 for before, after in pairs):
            continue
        ratios = tuple(after / before for before, after in pairs)
        # As costs: above 1 is worse (a rate that fell is a cost that rose).
        costs = [1 / r for r in ratios] if higher_is_better(name) else list(ratios)
        verdict = "same"
        if abs(statistics.median(costs) - 1) > SAME_WITHIN:
            if all(c > 1 for c in costs):
                verdict = "worse"
            elif all(c < 1 for c in costs):
                verdict = "better"
        rows.append(
            Compared(
                figure=name,
                before=statistics.median(b for b, _ in pairs),
                after=statistics.median(a for _, a in pairs),
                ratios=ratios,
                verdict=verdict,
            )
        )
    return rows


def format_comparison(rows: Sequence[Compared], before: str, after: str) -> str:
    width = max([len(r.figure) for r in rows] + [6])
    lines = [
        f"{'figure':{width}}  {before:>10} {after:>10}  after/before, each round",
        *(
            f"{r.figure:{width}}  {r.before:10.2f} {r.after:10.2f}  "
            f"{' '.join(f'{x:.2f}' for x in r.ratios):24} {r.verdict if r.verdict != 'same' else ''}"
            for r in rows
        ),
    ]
    worse = [r.figure for r in rows if r.verdict == "worse"]
    lines += ["", f"worse in every round: {', '.join(worse) if worse else 'none'}"]
    return "\n".join(lines)


def run_paired(
    *,
    before: Path,
    after: Path,
    bench_args: Sequence[str],
    rounds: int,
    out_dir: Path,
    say: Callable[[str], None] = print,
    python: str = sys.executable,
) -> tuple[list[Compared], dict]:
    """``rounds`` paired runs of ``before`` against ``after`` (each goes first in turn);
    returns the compared figures and, for the JSON file, every round's figures too."""
    sides = {"before": Side("before", before), "after": Side("after", after)}
    figures: list[tuple[dict, dict]] = []
    for index in range(rounds):
        order = ("before", "after") if index % 2 == 0 else ("after", "before")
        say(f"round {index + 1} of {rounds}: {order[0]} first")
        files = run_round(
            [sides[n] for n in order], bench_args, out_dir / f"round-{index + 1}", python=python
        )
        read = {n: json.loads(files[n].read_text(encoding="utf-8"))["figures"] for n in files}
        figures.append((read["before"], read["after"]))
    rows = compare(figures)
    return rows, {
        "before": str(before),
        "after": str(after),
        "bench_args": list(bench_args),
        "rounds": [{"before": b, "after": a} for b, a in figures],
        "compared": [asdict(row) for row in rows],
    }
