"""A description of the machine a benchmark ran on (for the JSON and the README)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gb() -> float | None:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return round(int(line.split()[1]) / 1024 / 1024, 1)
    except (OSError, ValueError, IndexError):
        pass
    return None


def _os_name() -> str:
    try:
        for line in Path("/etc/os-release").read_text().splitlines():
            if line.startswith("PRETTY_NAME="):
                return line.split("=", 1)[1].strip().strip('"')
    except OSError:
        pass
    return f"{platform.system()} {platform.release()}"


def database_version(url: str) -> str:
    """'SQLite 3.x' or 'PostgreSQL 15.x' for the database behind ``url``."""
    from sqlalchemy import text

    from app.store.db import get_engine, is_sqlite

    try:
        with get_engine(url=url).connect() as conn:
            if is_sqlite(url):
                return "SQLite " + conn.execute(text("select sqlite_version()")).scalar_one()
            version = conn.execute(text("show server_version")).scalar_one()
            return f"PostgreSQL {version.split()[0]}"
    except Exception as exc:  # a description, never a reason to fail the bench
        return f"unknown ({type(exc).__name__})"


def machine_info(database_url: str | None = None) -> dict:
    """CPU, cores, memory, Python, OS, package versions and (given a URL) the database."""
    import streamlit

    usable: int | None
    try:
        usable = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        usable = os.cpu_count()
    info = {
        "cpu": _cpu_model(),
        "cores": usable,
        "memory_gb": _memory_gb(),
        "python": sys.version.split()[0],
        "os": _os_name(),
        "kernel": platform.release(),
        "streamlit": streamlit.__version__,
    }
    if database_url:
        from app.store.db import is_sqlite

        info["database"] = database_version(database_url)
        info["database_kind"] = "sqlite" if is_sqlite(database_url) else "postgresql"
    return info


def cpu_share(seconds: float = 0.5) -> float:
    """Share of one core a busy loop gets right now (1.0 on an idle machine).

    Other work on the machine slows every figure down; this says how much.
    """
    import time

    wall0, cpu0 = time.perf_counter(), time.process_time()
    x = 0
    while time.perf_counter() - wall0 < seconds:
        for i in range(10_000):
            x += i
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return round(min(1.0, cpu / wall), 2) if wall > 0 else 1.0
