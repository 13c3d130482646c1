"""``python -m app demo``: an idempotent demo agency, users of each role and the bank."""

from __future__ import annotations

import os
import sys

from app.settings import PROJECT_ROOT

SHOWN_PROBLEMS = 10  # FILE:LINE lines printed when the bank is rejected


def __getattr__(name: str):
    """``DEMO_AGENCIES`` and ``DEMO_USERS`` live in app.services.demo; read lazily so that
    every other command starts without importing the services."""
    if name in ("DEMO_AGENCIES", "DEMO_USERS"):
        from app.services import demo

        return getattr(demo, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def register(subparsers) -> None:
    p = subparsers.add_parser("demo", help="create demo agencies, users and the scenario bank")
    p.add_argument("--scenarios", default=str(PROJECT_ROOT / "scenarios"))
    p.set_defaults(func=run)


def run(args) -> int:
    from app.services.bank import ImportRejected
    from app.services.demo import seed_demo
    from app.store.migrate import upgrade_to_head

    upgrade_to_head()
    try:
        # DEMO_PASSWORD gives every new account that password, for scripted demos.
        seed = seed_demo(scenarios=args.scenarios, password=os.environ.get("DEMO_PASSWORD"))
    except ImportRejected as exc:
        for problem in exc.problems[:SHOWN_PROBLEMS]:
            print(problem, file=sys.stderr)
        if len(exc.problems) > SHOWN_PROBLEMS:
            print(f"... and {len(exc.problems) - SHOWN_PROBLEMS} more", file=sys.stderr)
        print(
            f"error: the scenario bank in {args.scenarios} has {len(exc.problems)} problem(s); "
            "no demo agency, account or scenario was created",
            file=sys.stderr,
        )
        return 2
    for slug, summary in seed.bank.items():
        print(f"scenario bank for {slug}: {summary}")
    print(
        f"demo practice history: {seed.activity} attempts added"
        if seed.activity
        else "demo practice history: present"
    )
    if seed.accounts:
        print("\nDemo accounts (passwords are shown only this once):")
        print(f"  {'role':<11} {'username':<14} password")
        for account in seed.accounts:
            print(f"  {account.role:<11} {account.username:<14} {account.password}")
    else:
        print(
            "Demo accounts already exist (their passwords were printed when first created; "
            "`python -m app set-password NAME` sets a new one)."
        )
    return 0
