"""Reading scenario files and folders: which files, their text, and the cross-file check.

Part of :mod:`app.core.scenario`; import from the package.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable
from pathlib import Path

from app.core.protocol import Protocol, load_protocol
from app.core.scenario.checker import parse_scenario
from app.core.scenario.common import SCENARIO_SUFFIXES, SKIPPED_FOLDERS, LoadedScenario, Problem
from app.core.yaml_safe import MAX_BYTES, YamlError, decode_text


def _walk(path: Path) -> list[Path]:
    found = []
    for root, dirs, files in os.walk(path):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED_FOLDERS and not d.startswith("."))
        for name in sorted(files):
            if name.lower().endswith(SCENARIO_SUFFIXES) and not name.startswith("."):
                found.append(Path(root) / name)
    return found


def scenario_files(paths: Iterable[str | os.PathLike]) -> tuple[list[Path], list[Problem]]:
    """Files named and ``*.yaml``/``*.yml`` below folders named (skipping ``templates``
    folders and hidden ones); a named file is always included, whatever its name."""
    files: list[Path] = []
    problems: list[Problem] = []
    seen: set[Path] = set()
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            candidates = _walk(path)
        elif path.exists():
            candidates = [path]
        else:
            problems.append(Problem(str(raw), 0, "no such file or folder"))
            continue
        for candidate in candidates:
            resolved = candidate.resolve()
            if resolved not in seen:
                seen.add(resolved)
                files.append(candidate)
    return files, problems


def read_scenario_file(path: str | os.PathLike) -> tuple[str | None, list[Problem]]:
    """The UTF-8 text of a scenario file, refusing large files before reading them."""
    name = str(path)
    try:
        size = os.stat(path).st_size
        if size > MAX_BYTES:
            return None, [Problem(name, 0, f"file is larger than {MAX_BYTES // 1024} KiB")]
        with open(path, "rb") as handle:
            raw = handle.read(MAX_BYTES + 1)
        return decode_text(raw), []
    except YamlError as exc:
        return None, [Problem(name, exc.line, exc.message)]
    except OSError as exc:
        return None, [Problem(name, 0, f"cannot read the file: {exc.strerror or exc}")]


def load_paths(
    paths: Iterable[str | os.PathLike], protocol: Protocol | None = None
) -> tuple[list[LoadedScenario], list[Problem]]:
    """Validate every scenario file at ``paths`` (files or folders).

    Returns the valid scenarios and every problem of every file; a file with an error is
    not in the list. An id used twice is an error on the later file naming the first.
    """
    protocol = protocol or load_protocol()
    files, problems = scenario_files(paths)
    loaded: list[LoadedScenario] = []
    first_seen: dict[str, tuple[str, int]] = {}
    for path in files:
        name = str(path)
        text, read_problems = read_scenario_file(path)
        if text is None:
            problems += read_problems
            continue
        data, file_problems = parse_scenario(text, name, protocol)
        problems += file_problems
        if data is None:
            continue
        ident = data["id"]
        line = _id_line(text)
        if ident in first_seen:
            other, other_line = first_seen[ident]
            problems.append(
                Problem(name, line, f"duplicate id '{ident}' (also in {other}:{other_line})")
            )
            continue
        first_seen[ident] = (name, line)
        loaded.append(LoadedScenario(name, data, text))
    return loaded, problems


def _id_line(text: str) -> int:
    match = re.search(r"^id\s*:", text, re.MULTILINE)
    return text[: match.start()].count("\n") + 1 if match else 1
