"""The command-line interface.

Each module in this package that defines ``register(subparsers)`` adds one
command (or a group of them). Commands report bad input by raising a
:class:`app.errors.UserError` (such as :class:`UsageError`); ``main`` turns it into a one-line message and exit code 2,
so a user never sees a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import os
import pkgutil
import sys

from app.errors import UserError


class UsageError(UserError):
    """Bad command-line input: printed as one line, exit code 2."""


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m app",
        description="CallScreen Academy: train and certify call takers for community responders.",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for module_info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{module_info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except Exception as exc:  # a bug, not bad input: still one line for the user
        if os.environ.get("APP_DEBUG"):
            raise
        print(
            f"error: internal error ({type(exc).__name__}: {exc}); set APP_DEBUG=1 for details",
            file=sys.stderr,
        )
        return 1
