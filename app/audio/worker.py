"""Entry point of a speech worker process: ``python -m app.audio.worker FD DRIVER FALLBACK``.

Started only by :class:`app.audio.synth.SpeechPool`; FD is this end of a socket
pair on which jobs arrive and replies go back (multiprocessing's Connection).
"""

from __future__ import annotations

import sys
from multiprocessing.connection import Connection

from app.audio.synth import _worker_main


def main(argv: list[str]) -> int:
    fd, driver, fallback = int(argv[0]), argv[1], argv[2] == "1"
    conn = Connection(fd)
    try:
        _worker_main(conn, driver, fallback)
    finally:
        conn.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
