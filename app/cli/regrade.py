"""``python -m app regrade``: what the current grading rules change in stored history.

- ``regrade --dry-run [--agency SLUG]`` (the default) regrades every attempt graded
  under older rules in memory and prints, per agency, how many attempts, finished exams
  and certificates would change outcome, then the certificates a supervisor should
  review (code, holder). It writes nothing.
- ``regrade --apply --as ADMIN [--agency SLUG]`` stores the new grades beside the old
  ones for the admin's agency (old scores and results stay), flags each affected
  certificate for review in the audit log, and records the run there. It never revokes
  a certificate. Running it again stores nothing new.

An unknown agency, user or a user who is not an admin of the agency: one ``error:``
line, exit 2.
"""

from __future__ import annotations

from app.cli import UsageError


def register(subparsers) -> None:
    p = subparsers.add_parser(
        "regrade",
        help="how grading rules 2 would change stored attempts, exams and certificates",
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument(
        "--dry-run", action="store_true", help="report only, write nothing (the default)"
    )
    mode.add_argument(
        "--apply",
        action="store_true",
        help="store the new grades beside the old ones (needs --as, an admin of the agency)",
    )
    p.add_argument("--agency", metavar="SLUG", help="only this agency")
    p.add_argument(
        "--as",
        dest="as_user",
        metavar="ADMIN_USERNAME",
        help="the admin who applies the regrade (recorded in the audit log)",
    )
    p.set_defaults(func=run)


def _admin(username: str):
    from sqlmodel import select

    from app.services.accounts import actor_for
    from app.store.db import read_session
    from app.store.models import User

    with read_session() as session:
        user = session.exec(select(User).where(User.username == username.strip().lower())).first()
        if user is None or not user.is_active:
            raise UsageError(f"no active user '{username}'")
        if user.role != "admin":
            raise UsageError(f"'{user.username}' is not an admin (role: {user.role})")
        return actor_for(user)


def run(args) -> int:
    from app.core import regrade as core
    from app.services import regrade

    if args.apply:
        if not args.as_user:
            raise UsageError("--apply needs --as ADMIN_USERNAME (an admin of the agency)")
        report = regrade.apply(actor=_admin(args.as_user), agency=args.agency)
        reports = [report]
    else:
        if args.as_user:
            raise UsageError("--as goes with --apply; a dry run needs no user")
        reports = regrade.survey(agency=args.agency)
    rules = core.current_rules()
    if not reports:
        print("no agencies")
        return 0
    title = "apply: new grades beside the old ones" if args.apply else "dry run, nothing written"
    print(f"Regrade under grading rules {rules} ({title})")
    print("Attempts graded under older rules, finished exams that hold them, and how many")
    print("change outcome under the current rules (stored scores and results stay):")
    print()
    for line in core.table(reports):
        print(line)
    skipped = sum(r.not_gradable for r in reports)
    if skipped:
        print(f"\n{skipped} attempt(s) or exam(s) could not be regraded and were left out.")
    certificates = [(r.slug, c) for r in reports for c in r.certificates]
    print()
    if certificates:
        print("Certificates whose exam would not pass now (for a supervisor to review;")
        print("none is revoked):")
        for slug, c in certificates:
            print(
                f"  {c['code']}  {c['holder']} ({c['username']})  agency {slug}  "
                f"exam {c['exam_id']}  {c['status']}"
            )
    else:
        print("No certificate is affected.")
    if args.apply:
        stored = report.stored
        print()
        if any(stored.values()):
            print(
                f"Stored {stored['attempts']} new grade(s) and {stored['exams']} exam "
                f"result(s) beside the old ones; flagged {stored['certificates_flagged']} "
                "certificate(s) for review in the audit log."
            )
        else:
            print("Nothing new to store: this agency was already regraded under these rules.")
    return 0
