"""``python -m app validate PATH...``: check scenario files against the format.

Prints every problem as ``FILE:LINE: message`` (warnings as ``FILE:LINE: warning: ...``)
on standard output and a one-line summary on standard error. Exit 0 when no file has an
error, 1 otherwise. Folders are searched for ``*.yaml``/``*.yml`` files, skipping folders
named ``templates`` (generator templates) and hidden folders; a file named on the command
line is always validated.
"""

from __future__ import annotations

import sys

from app.core.protocol import load_protocol
from app.core.scenario import load_paths, scenario_files


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "validate",
        help="check scenario files (files or folders) and print every problem as FILE:LINE",
    )
    p.add_argument(
        "paths",
        nargs="+",
        metavar="PATH",
        help="scenario files, or folders searched for *.yaml/*.yml (folders named 'templates' "
        "and hidden folders are skipped; a file named here is always checked)",
    )
    p.add_argument(
        "--protocol",
        metavar="FILE",
        help="agency protocol overrides (YAML) to validate against; default protocol if omitted",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    protocol = load_protocol(args.protocol) if args.protocol else load_protocol()
    files, _ = scenario_files(args.paths)
    loaded, problems = load_paths(args.paths, protocol)
    for problem in problems:
        print(problem)
    errors = sum(1 for p in problems if p.is_error)
    warnings = len(problems) - errors
    bad_files = len({p.file for p in problems if p.is_error})
    print(
        f"{len(files)} file(s) checked: {len(loaded)} valid, {bad_files} with errors; "
        f"{errors} error(s), {warnings} warning(s)",
        file=sys.stderr,
    )
    return 1 if errors else 0
