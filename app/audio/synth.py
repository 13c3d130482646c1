"""Speech synthesis in a small pool of worker processes.

pyttsx3 2.99 with espeak-ng crashes the whole process when used from several
threads, so the app never loads the engine itself: each worker is a separate
Python process (``python -m app.audio.worker``) that owns one pyttsx3 engine
and renders one clip at a time (``save_to_file`` + ``runAndWait``). The parent waits for each clip with a
timeout; a worker that hangs is killed, one that dies is replaced and the clip
retried once. Every file is checked (RIFF/WAVE header, data chunk, format,
duration > 0) in the worker and again here; a bad file is deleted and an error
raised.

If pyttsx3 cannot start in a worker (import or driver failure) while the
``espeak-ng`` program is installed, the worker falls back to ``espeak-ng -w``.
pyttsx3 stays the primary path.
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import functools
import importlib.metadata
import importlib.util
import os
import queue
import shutil
import socket
import subprocess
import sys
import threading
import time
from multiprocessing.connection import Connection
from pathlib import Path

from app.audio import ambience as ambience_mod
from app.audio.errors import SpeechUnavailable, SynthesisError
from app.audio.voices import VoiceProfile
from app.audio.wavfile import BadWav, check_wav, read_frames, remove_quietly, write_wav

PROJECT_ROOT = Path(__file__).resolve().parents[2]
ESPEAK_LIBRARY = "libespeak-ng.so.1"  # what pyttsx3's espeak driver loads on Linux
ESPEAK_PROGRAM = "espeak-ng"
START_TIMEOUT_S = 60.0  # a cold worker imports pyttsx3 and loads espeak-ng data
MISSING_ENGINE_MESSAGE = (
    "Audio is off: install espeak-ng (sudo apt-get install espeak-ng) and restart the app. "
    "Calls still work: the caller's words are shown as text."
)
MISSING_PYTTSX3_MESSAGE = (
    "Audio is off: the pyttsx3 package is missing (pip install pyttsx3==2.99). "
    "Calls still work: the caller's words are shown as text."
)


# ---------------------------------------------------------------------------
# Is speech available?


@functools.cache
def _espeak_version_of(library: str) -> str:
    lib = ctypes.CDLL(library)
    info = lib.espeak_Info
    info.restype = ctypes.c_char_p
    info.argtypes = [ctypes.c_void_p]
    # espeak_Info only returns static strings; it needs no espeak_Initialize.
    return (info(None) or b"unknown").decode("ascii", "replace").strip()


def espeak_version() -> str | None:
    """The espeak-ng library version, or None when the library cannot be loaded."""
    try:
        return _espeak_version_of(ESPEAK_LIBRARY)
    except (OSError, AttributeError):
        return None


@functools.cache
def pyttsx3_version() -> str | None:
    try:
        return importlib.metadata.version("pyttsx3")
    except importlib.metadata.PackageNotFoundError:
        return None


def speech_available() -> tuple[bool, str]:
    """(True, description) when clips can be rendered, else (False, a notice for people).

    Cheap (no process is started) and never raises.
    """
    try:
        if importlib.util.find_spec("pyttsx3") is None:
            return False, MISSING_PYTTSX3_MESSAGE
        version = espeak_version()
        if version is None:
            return False, MISSING_ENGINE_MESSAGE
        return True, f"Speech is on: pyttsx3 {pyttsx3_version()} with espeak-ng {version}."
    except Exception as exc:  # this check must never take the app down
        return False, f"{MISSING_ENGINE_MESSAGE} (check failed: {type(exc).__name__})"


# ---------------------------------------------------------------------------
# The worker process


class _EngineStuck(SynthesisError):
    """The engine did not finish; this worker answers, then exits to be replaced."""


class _Pyttsx3Engine:
    """One pyttsx3 engine, used by one thread of one worker process.

    pyttsx3's espeak driver lets espeak-ng work on its own thread. Setting rate,
    pitch or volume queues a command there; ``runAndWait`` cancels the clip it is
    about to start when espeak-ng still reports itself busy (an empty or cut
    file); and the first ``runAndWait`` returns before the clip is written. So
    each render waits for espeak-ng to go idle after setting the voice, waits
    for the end of the utterance, and checks the file.
    """

    name = "pyttsx3"

    def __init__(self, driver: str) -> None:
        import pyttsx3  # loads libespeak-ng; only ever inside a worker

        self.engine = pyttsx3.init(driver)
        self._idle = self._espeak_sync(driver)
        self.errors: list[BaseException] = []
        self.finished = threading.Event()
        self.completed = False
        # pyttsx3 reports failed commands (an unknown voice, ...) as events, not exceptions.
        self.engine.connect("error", self._on_error)
        self.engine.connect("finished-utterance", self._on_finished)
        # An empty first loop: later commands then run at once instead of being queued
        # behind a loop start that would cancel them.
        self.engine.runAndWait()
        self._idle()

    @staticmethod
    def _espeak_sync(driver: str):
        if driver != "espeak":
            return lambda: None
        from pyttsx3.drivers import _espeak

        def wait_until_idle(limit: float = 10.0) -> None:
            # espeak_Synchronize polls every 20 ms; a 1 ms poll keeps short clips fast.
            deadline = time.monotonic() + limit
            while _espeak.IsPlaying():
                if time.monotonic() > deadline:
                    raise _EngineStuck("espeak-ng stayed busy")
                time.sleep(0.001)

        return wait_until_idle

    def _on_error(self, name=None, exception=None) -> None:
        self.errors.append(exception or RuntimeError("unknown pyttsx3 error"))

    def _on_finished(self, name=None, completed=True) -> None:
        self.completed = bool(completed)
        self.finished.set()

    def _render_once(self, text: str, voice: dict, path: str, timeout: float) -> None:
        self._idle()
        self.errors.clear()
        self.finished.clear()
        self.completed = False
        engine = self.engine
        engine.setProperty("voice", voice["voice"])
        engine.setProperty("rate", voice["rate"])
        engine.setProperty("pitch", voice["pitch"])
        engine.setProperty("volume", voice["volume"])
        if self.errors:  # a voice espeak-ng does not know: do not speak in another one
            raise SynthesisError(f"pyttsx3 failed: {self.errors[0]}")
        self._idle()  # the parameters are applied before the clip starts
        engine.save_to_file(text, path)
        engine.runAndWait()
        if not self.finished.wait(timeout):
            raise _EngineStuck("pyttsx3 did not finish the clip")
        self._idle()
        if self.errors:
            raise SynthesisError(f"pyttsx3 failed: {self.errors[0]}")
        if not self.completed:
            raise BadWav("pyttsx3 stopped before the end of the clip")
        check_wav(path)

    def render(self, text: str, voice: dict, path: str, timeout: float) -> None:
        try:
            self._render_once(text, voice, path, timeout)
        except BadWav:
            self._render_once(text, voice, path, timeout)  # one more try in this worker


class _ProgramEngine:
    """Fallback: the espeak-ng program writes the WAV itself."""

    name = "espeak-ng program (fallback)"

    def __init__(self, program: str) -> None:
        self.program = program

    def render(self, text: str, voice: dict, path: str, timeout: float) -> None:
        command = [
            self.program,
            "-v", voice["voice"],
            "-s", str(voice["rate"]),
            "-p", str(voice["pitch"]),
            "-a", str(round(100 * voice["volume"])),
            "-w", path,
            "--stdin",
        ]  # fmt: skip
        result = subprocess.run(  # fixed program, text on stdin
            command, input=text.encode("utf-8"), capture_output=True, timeout=timeout
        )
        if result.returncode != 0:
            message = result.stderr.decode("utf-8", "replace").strip()[:200]
            raise SynthesisError(f"espeak-ng failed: {message or result.returncode}")


def _make_engine(driver: str, allow_fallback: bool):
    try:
        return _Pyttsx3Engine(driver), None
    except Exception as exc:  # any failure means: try the fallback
        reason = f"pyttsx3 could not start: {type(exc).__name__}: {exc}"
    program = shutil.which(ESPEAK_PROGRAM) if allow_fallback else None
    if program is None:
        return None, reason
    return _ProgramEngine(program), reason


def _wait_for_file(path: str, timeout: float = 2.0) -> None:
    # runAndWait has been seen to return before the file was complete.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with contextlib.suppress(BadWav):
            check_wav(path)
            return
        time.sleep(0.02)


def _do_job(engine, job: tuple) -> float:
    text, voice, kind, seed, path, timeout = job
    engine.render(text, voice, path, timeout)
    _wait_for_file(path)
    check_wav(path)
    if kind:
        mixed = ambience_mod.mix(read_frames(path), kind, seed)
        tmp = f"{path}.mix"
        try:
            write_wav(tmp, mixed)
            os.replace(tmp, path)
        finally:
            remove_quietly(tmp)
    return check_wav(path)


def _worker_main(conn, driver: str, allow_fallback: bool) -> None:
    """Entry point of a worker process: answer one job at a time until told to stop."""
    sys.stdout = open(os.devnull, "w")  # pyttsx3 prints to stdout
    engine, reason = _make_engine(driver, allow_fallback)
    if engine is None:
        conn.send(("failed", reason))
        return
    conn.send(("ready", engine.name if reason is None else f"{engine.name}; {reason}"))
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return  # the parent went away
        if job is None:
            return
        exc_seen = None
        reply: tuple[str, float | str]
        try:
            reply = ("ok", _do_job(engine, job))
        except Exception as exc:  # reported; the worker lives on unless its engine is stuck
            exc_seen = exc
            remove_quietly(job[4])
            message = str(exc) if isinstance(exc, SynthesisError | BadWav) else repr(exc)
            reply = ("error", message)
        try:
            conn.send(reply)
        except (BrokenPipeError, OSError):
            return
        if isinstance(exc_seen, _EngineStuck):
            return


# ---------------------------------------------------------------------------
# The pool (parent side)


class _WorkerDied(Exception):
    pass


class _WorkerTimedOut(Exception):  # not TimeoutError: that is an OSError
    pass


class _Worker:
    """One worker: ``python -m app.audio.worker`` talking over a socket pair.

    A plain subprocess, not multiprocessing: Streamlit makes the page script
    ``__main__``, and multiprocessing's spawn would run that page again in every
    worker before the worker could start.
    """

    def __init__(self, driver: str, allow_fallback: bool, start_timeout: float) -> None:
        parent_sock, child_sock = socket.socketpair()
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(PROJECT_ROOT), env.get("PYTHONPATH", "")) if p
        )
        try:
            self.process = subprocess.Popen(  # fixed command: this interpreter, our module
                [
                    sys.executable,
                    "-m",
                    "app.audio.worker",
                    str(child_sock.fileno()),
                    driver,
                    "1" if allow_fallback else "0",
                ],
                pass_fds=(child_sock.fileno(),),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                env=env,
                cwd=str(PROJECT_ROOT),
            )
        except OSError as exc:
            parent_sock.close()
            raise SynthesisError(f"cannot start a speech worker: {exc}") from None
        finally:
            child_sock.close()
        self.conn = Connection(parent_sock.detach())
        try:
            if not self.conn.poll(start_timeout):
                raise SynthesisError(f"the speech worker did not start within {start_timeout:g} s")
            status, detail = self.conn.recv()
        except (EOFError, OSError):
            self.kill()
            raise SynthesisError("the speech worker stopped while starting") from None
        except BaseException:
            self.kill()
            raise
        if status != "ready":
            self.kill()
            raise SpeechUnavailable(f"{MISSING_ENGINE_MESSAGE} ({detail})")
        self.engine = detail

    @property
    def pid(self) -> int:
        return self.process.pid

    def alive(self) -> bool:
        return self.process.poll() is None

    def run(self, job: tuple, timeout: float) -> tuple:
        try:
            self.conn.send(job)
            if not self.conn.poll(timeout):
                raise _WorkerTimedOut
            return self.conn.recv()
        except (EOFError, OSError):
            raise _WorkerDied from None

    def stop(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            self.conn.send(None)
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(1.0)
        self.kill()

    def kill(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        with contextlib.suppress(subprocess.TimeoutExpired):
            self.process.wait(2.0)
        with contextlib.suppress(OSError):
            self.conn.close()


class SpeechPool:
    """Up to ``size`` worker processes, started on first use and reused.

    Thread-safe: any number of threads may call :meth:`render`; at most
    ``size`` clips are synthesised at once.
    """

    def __init__(
        self,
        size: int,
        *,
        driver: str = "espeak",
        allow_fallback: bool = True,
        start_timeout: float = START_TIMEOUT_S,
    ) -> None:
        self.size = size
        self.driver = driver
        self.allow_fallback = allow_fallback
        self.start_timeout = start_timeout
        self.owner_pid = os.getpid()
        self.spawned = 0  # worker processes started
        self.jobs = 0  # clips sent to workers
        self.engine: str | None = None  # what the last worker uses to speak
        self._slots = threading.BoundedSemaphore(size)
        self._idle: queue.SimpleQueue[_Worker] = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._closed = False

    def worker_pids(self) -> list[int]:
        """Pids of the idle workers (for tests and diagnostics)."""
        workers = []
        while True:
            try:
                workers.append(self._idle.get_nowait())
            except queue.Empty:
                break
        for worker in workers:
            self._idle.put(worker)
        return [w.pid for w in workers]

    def _acquire(self) -> _Worker:
        while True:
            try:
                worker = self._idle.get_nowait()
            except queue.Empty:
                break
            if worker.alive():
                return worker
            worker.kill()  # died while idle: replace it
        worker = _Worker(self.driver, self.allow_fallback, self.start_timeout)
        with self._lock:
            self.spawned += 1
            self.engine = worker.engine
        return worker

    def _release(self, worker: _Worker) -> None:
        if self._closed:
            worker.stop()
        else:
            self._idle.put(worker)

    def render(
        self,
        text: str,
        voice: VoiceProfile,
        path: str | os.PathLike,
        *,
        timeout: float,
        ambience: str | None = None,
        seed: int = 0,
    ) -> float:
        """Render ``text`` into the WAV file ``path``; return its duration in seconds."""
        if self._closed:
            raise SynthesisError("the speech pool is closed")
        job = (text, voice.as_dict(), ambience, seed, os.fspath(path), timeout)
        with self._slots:
            for attempt in (1, 2):
                worker = self._acquire()
                with self._lock:
                    self.jobs += 1
                try:
                    reply = worker.run(job, timeout)
                except _WorkerDied:
                    worker.kill()
                    if attempt == 2:
                        raise SynthesisError(
                            "the speech worker stopped twice while rendering one clip"
                        ) from None
                    continue  # a fresh worker gets one more try
                except _WorkerTimedOut:
                    worker.kill()
                    remove_quietly(path)
                    raise SynthesisError(
                        f"speech took longer than {timeout:g} s for one clip"
                    ) from None
                except BaseException:
                    worker.kill()  # the conversation with it is in an unknown state
                    raise
                self._release(worker)
                status, detail = reply
                if status == "ok":
                    return float(detail)
                raise SynthesisError(f"speech failed: {detail}")
        raise AssertionError("unreachable")

    def close(self) -> None:
        """Stop every idle worker; busy ones stop when they finish their clip."""
        self._closed = True
        while True:
            try:
                self._idle.get_nowait().stop()
            except queue.Empty:
                return


_pool: SpeechPool | None = None
_pool_lock = threading.Lock()


def get_pool(size: int) -> SpeechPool:
    """The process-wide pool with ``size`` workers (recreated if the size changes)."""
    global _pool
    with _pool_lock:
        if _pool is None or _pool.size != size or _pool.owner_pid != os.getpid():
            if _pool is not None and _pool.owner_pid == os.getpid():
                _pool.close()
            _pool = SpeechPool(size)
        return _pool


def shutdown_pool() -> None:
    """Stop the process-wide pool's workers (also run at exit)."""
    global _pool
    with _pool_lock:
        if _pool is not None and _pool.owner_pid == os.getpid():
            _pool.close()
        _pool = None


atexit.register(shutdown_pool)


def current_engine() -> str | None:
    """What the shared pool's workers speak with ("pyttsx3", or the fallback), if started."""
    pool = _pool
    return pool.engine if pool is not None else None


def render_clip(
    text: str,
    voice: VoiceProfile,
    path: str | os.PathLike,
    *,
    ambience: str | None = None,
    seed: int = 0,
    workers: int | None = None,
    timeout: float | None = None,
) -> float:
    """Synthesise ``text`` into ``path`` with the shared pool and check the result.

    Returns the duration in seconds. A file that fails the check is deleted and
    :class:`SynthesisError` raised; :class:`SpeechUnavailable` when there is no engine.
    """
    from app.settings import get_settings

    ok, message = speech_available()
    if not ok:
        raise SpeechUnavailable(message)
    settings = get_settings()
    pool = get_pool(workers or settings.audio_workers)
    pool.render(
        text,
        voice,
        path,
        timeout=timeout or settings.audio_timeout_s,
        ambience=ambience,
        seed=seed,
    )
    try:
        return check_wav(path)
    except BadWav as exc:
        remove_quietly(path)
        raise SynthesisError(f"speech produced a bad file: {exc}") from None


__all__ = [
    "MISSING_ENGINE_MESSAGE",
    "SpeechPool",
    "espeak_version",
    "get_pool",
    "render_clip",
    "shutdown_pool",
    "speech_available",
]
