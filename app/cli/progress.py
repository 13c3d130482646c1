"""A small text progress bar on stderr for long commands."""

from __future__ import annotations

import sys
import time


class ProgressBar:
    """``bar(done, total)`` redraws one line on stderr; ``bar.close()`` ends it."""

    def __init__(self, label: str, *, stream=None, width: int = 30):
        # Look up stderr at call time: tests replace it between commands.
        self.label, self.stream, self.width = label, stream or sys.stderr, width
        self.started = time.perf_counter()
        self._last = -1.0

    def __call__(self, done: int, total: int) -> None:
        now = time.perf_counter()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        filled = int(self.width * done / max(total, 1))
        bar = "#" * filled + "-" * (self.width - filled)
        self.stream.write(f"\r{self.label} [{bar}] {done}/{total} {now - self.started:5.1f}s")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")
        self.stream.flush()
