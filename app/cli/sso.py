"""``python -m app sso check [--secrets FILE]``: is single sign-on set up right?

Reads ``.streamlit/secrets.toml`` (or FILE), checks every ``[sso.<provider>]`` against its
``[auth.<provider>]`` and the agencies in the database, and asks each provider for its
discovery document to compare the issuer. Prints one line per provider; exit 2 with an
``error:`` line for the first problem.
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from app.cli import UsageError
from app.settings import PROJECT_ROOT


def register(subparsers) -> None:
    parser = subparsers.add_parser("sso", help="single sign-on: check the identity providers")
    commands = parser.add_subparsers(dest="sso_command", metavar="ACTION", required=True)
    check = commands.add_parser("check", help="check the [sso] setup and reach each provider")
    check.add_argument(
        "--secrets",
        default=str(PROJECT_ROOT / ".streamlit" / "secrets.toml"),
        metavar="FILE",
        help="the secrets file (default .streamlit/secrets.toml)",
    )
    check.set_defaults(func=run_check)


def read_secrets(path: Path) -> dict:
    if not path.exists():
        return {}
    try:
        return tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise UsageError(f"{path}: not valid TOML: {exc}") from None


def run_check(args) -> int:
    from app.services import sso

    lines = sso.check_all(read_secrets(Path(args.secrets)))
    problems = [line for ok, line in lines if not ok]
    for ok, line in lines:
        if ok:
            print(line)
    if problems:
        for line in problems[1:]:
            print(f"also: {line}")
        raise UsageError(problems[0])
    return 0
