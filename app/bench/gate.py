"""Run ``python -m app bench`` with each timed step waiting for its turn (paired runs).

Started by :mod:`app.bench.paired` as a script, with ``PYTHONPATH`` set to the checkout
under test, which may be an older version of this project: it only uses the standard
library and patches the bench's own functions where that version has them.

``python gate.py GO DONE bench ARGS...``: before each timed step the bench writes the
step's kind (the name of the function that times it) and a newline to the pipe ``DONE``
and waits for one byte on the pipe ``GO``; after the step it writes ``x`` to ``DONE``.
The coordinator lets one checkout's step run, then the other's, so both are measured on
the same machine at the same moments, in turn, and doing the same kind of work.
"""

from __future__ import annotations

import functools
import importlib
import runpy
import sys

# Functions that time something, as (module, name). A step is one call; a call made
# inside a step (the page's own service calls, from AppTest's script thread) passes.
GATED = (
    ("app.bench.screens", "_timed"),
    ("app.bench.dashboards", "dashboard_timings"),
    ("app.services.review", "dashboard_timings"),  # where versions before app/bench kept it
    ("app.bench.micro", "core_figures"),
    ("app.bench.micro", "audio_figures"),
    ("app.services.practice", "next_scenario"),
    ("app.services.authoring", "item_analysis"),
    ("app.services.item_snapshot", "refresh"),
)


class Turns:
    """Waits for ``go`` before a step and reports on ``done`` after it."""

    def __init__(self, go: str, done: str) -> None:
        self.paths = (go, done)
        self.pipes: tuple | None = None
        self.depth = 0

    def around(self, function):
        @functools.wraps(function)
        def gated(*args, **kwargs):
            if self.depth:  # already inside a step
                return function(*args, **kwargs)
            if self.pipes is None:  # opened at the first step: the coordinator waits there
                self.pipes = (
                    open(self.paths[0], "rb", buffering=0),
                    open(self.paths[1], "wb", buffering=0),
                )
            self.depth += 1
            self.pipes[1].write(function.__name__.encode() + b"\n")
            self.pipes[0].read(1)
            try:
                return function(*args, **kwargs)
            finally:
                self.depth -= 1
                self.pipes[1].write(b"x")

        return gated


def install(turns: Turns) -> list[str]:
    """Patch every function of :data:`GATED` this checkout has; returns their names."""
    patched = []
    for module_name, name in GATED:
        try:
            module = importlib.import_module(module_name)
        except ImportError:
            continue
        if callable(getattr(module, name, None)):
            setattr(module, name, turns.around(getattr(module, name)))
            patched.append(f"{module_name}.{name}")
    return patched


def main(argv: list[str]) -> None:
    go, done, *bench_args = argv
    install(Turns(go, done))
    sys.argv = ["app", *bench_args]
    runpy.run_module("app", run_name="__main__", alter_sys=True)


if __name__ == "__main__":
    main(sys.argv[1:])
