"""``python -m app match-question "TEXT" [--scenario FILE] [--protocol FILE]``.

Prints which screening question a typed sentence asks, as JSON:
``{"question": "<id>" or null, "score": <0..1>}``, and exits 0 (also for null).
Candidates are the protocol's questions, plus the scenario's own questions with
``--scenario``. An empty or over-long text, or a scenario that cannot be read or is
invalid, is one ``error:`` line on standard error and exit code 2.
"""

from __future__ import annotations

import json
import sys

from app.cli import UsageError
from app.core.protocol import load_protocol
from app.core.question_match import check_text, match_question, scenario_questions
from app.core.scenario import parse_scenario, read_scenario_file


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "match-question",
        help="which screening question a typed sentence asks (JSON)",
        description=(
            "Match a question typed in one's own words to a screening question of the "
            "protocol (or of the scenario, with --scenario), as the call screen does."
        ),
    )
    p.add_argument("text", metavar="TEXT", help="the typed question, in quotes")
    p.add_argument("--scenario", metavar="FILE", help="also match this scenario's own questions")
    p.add_argument("--protocol", metavar="FILE", help="agency protocol overrides (YAML)")
    p.set_defaults(func=run)


def _scenario(path: str, protocol) -> dict:
    text, problems = read_scenario_file(path)
    scenario = None
    if text is not None:
        scenario, problems = parse_scenario(text, path, protocol)
    if scenario is None:
        errors = [p for p in problems if p.is_error] or problems
        detail = str(errors[0]) if errors else f"{path}: cannot read the scenario"
        more = f" (and {len(errors) - 1} more problem(s))" if len(errors) > 1 else ""
        raise UsageError(f"invalid scenario: {detail}{more}")
    return scenario


def run(args) -> int:
    check_text(args.text)  # a QuestionTextError (a UserError): one line, exit 2
    protocol = load_protocol(args.protocol) if args.protocol else load_protocol()
    own = scenario_questions(_scenario(args.scenario, protocol)) if args.scenario else []
    match = match_question(args.text, protocol, own)
    json.dump(match.as_dict(), sys.stdout)
    sys.stdout.write("\n")
    return 0
