"""``python -m app serve``: run the Streamlit app.

Streamlit serves ``app/asgi.py``: the pages plus the routes that set the HttpOnly login
cookie. ``TRUSTED_PROXIES`` becomes the server's list of proxies whose
``X-Forwarded-For``/``-Proto`` it believes (uvicorn's ``FORWARDED_ALLOW_IPS``).
"""

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
        str(PROJECT_ROOT / "app" / "asgi.py"),
        "--server.port",
        str(port),
        "--server.address",
        address,
        "--server.headless",
        "true",
    ]


def forwarded_allow_ips(trusted_proxies: str) -> str:
    """uvicorn's list for ``TRUSTED_PROXIES``; an IPv4 proxy is also listed as seen through
    a dual-stack socket (``::ffff:a.b.c.d``), or its headers would be ignored there."""
    import ipaddress

    items: list[str] = []
    for item in filter(None, (part.strip() for part in trusted_proxies.split(","))):
        network = ipaddress.ip_network(item, strict=False)
        items.append(str(network))
        if network.version == 4:
            mapped = ipaddress.ip_address(f"::ffff:{network.network_address}")
            items.append(f"{mapped}/{96 + network.prefixlen}")
    # An empty list would make uvicorn fall back to its default (loopback): trust nobody.
    return ",".join(items) or "0.0.0.0/32"


def run(args) -> int:
    settings = get_settings()
    from app.store.db import check_connection

    check_connection()
    env = dict(
        os.environ,
        STREAMLIT_SERVER_COOKIE_SECRET=settings.cookie_secret,
        FORWARDED_ALLOW_IPS=forwarded_allow_ips(settings.trusted_proxies),
    )
    if settings.app_env == "development":
        env.setdefault("STREAMLIT_CLIENT_SHOW_ERROR_DETAILS", "full")
    print(f"serving on http://localhost:{args.port}", flush=True)
    os.chdir(PROJECT_ROOT)
    os.execvpe(sys.executable, streamlit_command(args.port, args.address), env)
