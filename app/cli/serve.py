"""``python -m app serve``: run the Streamlit app."""

from __future__ import annotations

import os
import sys

from app.settings import PROJECT_ROOT, get_settings


def register(subparsers) -> None:
    p = subparsers.add_parser("serve", help="serve the web app (Streamlit)")
    p.add_argument("--port", type=int, default=8501)
    p.add_argument("--address", default="0.0.0.0")
    p.set_defaults(func=run)


def streamlit_command(port: int, address: str) -> list[str]:
    return [
        sys.executable,
        "-m",
        "streamlit",
        "run",
        str(PROJECT_ROOT / "app" / "streamlit_app.py"),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
    ]


def run(args) -> int:
    settings = get_settings()
    from app.store.db import check_connection

    check_connection()
    env = dict(os.environ, STREAMLIT_SERVER_COOKIE_SECRET=settings.cookie_secret)
    if settings.app_env == "development":
        env.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    print(f"serving on http://localhost:{args.port}", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execvpe(sys.executable, streamlit_command(args.port, args.address), env)
