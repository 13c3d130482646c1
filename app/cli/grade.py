"""``python -m app grade SCENARIO --answer ANSWER.json [--model MODEL]``.

Prints the grade as JSON on standard output and exits 0, also for a failing grade.
An unreadable or invalid scenario or answer, or an unknown model, is one line on
standard error and exit code 2.
"""

from __future__ import annotations

import json
import sys

from app.cli import UsageError
from app.core.grading import DEFAULT_MODEL, GradingError, grade, validate_answer
from app.core.protocol import load_protocol
from app.core.scenario import parse_scenario, read_scenario_file

MAX_ANSWER_BYTES = 64 * 1024


def register(subparsers) -> None:
    p = subparsers.add_parser("grade", help="grade an answer (JSON) against a scenario file")
    p.add_argument("scenario", metavar="SCENARIO", help="scenario YAML file")
    p.add_argument("--answer", required=True, metavar="FILE", help="answer JSON file ('-': stdin)")
    p.add_argument(
        "--model", default=DEFAULT_MODEL, help=f"dispatch model (default {DEFAULT_MODEL})"
    )
    p.add_argument("--protocol", metavar="FILE", help="agency protocol overrides (YAML)")
    p.set_defaults(func=run)


def _read_answer(name: str) -> dict:
    try:
        if name == "-":
            raw = sys.stdin.read(MAX_ANSWER_BYTES + 1)
        else:
            with open(name, "rb") as handle:
                raw = handle.read(MAX_ANSWER_BYTES + 1).decode("utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        detail = getattr(exc, "strerror", None) or "not UTF-8 text"
        raise UsageError(f"cannot read the answer {name}: {detail}") from None
    if len(raw) > MAX_ANSWER_BYTES:
        raise UsageError(f"the answer {name} is larger than {MAX_ANSWER_BYTES // 1024} KiB")
    try:
        answer = json.loads(raw)
    except (json.JSONDecodeError, RecursionError) as exc:
        line = getattr(exc, "lineno", 1)
        raise UsageError(f"{name}:{line}: the answer is not valid JSON") from None
    return answer


def run(args) -> int:
    protocol = load_protocol(args.protocol) if args.protocol else load_protocol()
    if args.model not in protocol.models:
        raise UsageError(
            f"unknown dispatch model '{args.model}' (one of: {', '.join(protocol.models)})"
        )
    text, problems = read_scenario_file(args.scenario)
    if text is not None:
        scenario, problems = parse_scenario(text, args.scenario, protocol)
    else:
        scenario = None
    if scenario is None:
        errors = [p for p in problems if p.is_error]
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise UsageError(f"invalid scenario: {errors[0]}{more}")
    answer = _read_answer(args.answer)
    answer_problems = validate_answer(answer, protocol)
    if answer_problems:
        raise UsageError(f"invalid answer {args.answer}: {answer_problems[0]}")
    try:
        result = grade(scenario, answer, args.model, protocol)
    except GradingError as exc:  # pragma: no cover - checked above
        raise UsageError(str(exc)) from None
    json.dump(result, sys.stdout, indent=2, ensure_ascii=False)
    sys.stdout.write("\n")
    return 0
