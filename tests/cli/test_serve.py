"""``python -m app serve``: the ASGI app with the cookie routes, and TRUSTED_PROXIES.

The server believes ``X-Forwarded-Proto``/``-For`` only from the proxies in
``TRUSTED_PROXIES``; the cookie route shows which scheme it believed (``Secure`` or not).
"""

from __future__ import annotations

import ipaddress
import os
import subprocess
import sys
import urllib.request
from urllib.error import HTTPError

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.cli.serve import forwarded_allow_ips, streamlit_command
from app.session_routes import COOKIE, LOGOUT_PATH
from tests.browser.conftest import ROOT, _free_port, _wait_healthy


def test_serve_runs_the_asgi_app_with_the_cookie_routes():
    command = streamlit_command(8501, "127.0.0.1")
    assert command[command.index("run") + 1] == str(ROOT / "app" / "asgi.py")


@given(st.ip_addresses(v=4), st.integers(min_value=8, max_value=32), st.ip_addresses(v=4))
def test_an_ipv4_proxy_is_also_trusted_through_a_dual_stack_socket(address, prefix, peer):
    network = ipaddress.ip_network(f"{address}/{prefix}", strict=False)
    listed = [ipaddress.ip_network(item) for item in forwarded_allow_ips(str(network)).split(",")]
    mapped = ipaddress.ip_address(f"::ffff:{peer}")
    assert any(peer in net for net in listed) == (peer in network)
    assert any(mapped in net for net in listed) == (peer in network)
    assert any(network.network_address in net for net in listed)


def test_no_trusted_proxy_trusts_nobody():
    listed = forwarded_allow_ips("")
    assert listed  # empty would fall back to uvicorn's default (loopback)
    assert not any(
        ipaddress.ip_address(peer) in ipaddress.ip_network(net)
        for peer in ("127.0.0.1", "::1", "::ffff:127.0.0.1")
        for net in listed.split(",")
    )


@pytest.fixture
def serve(tmp_path):
    """Start ``python -m app serve`` with some TRUSTED_PROXIES; yields its base URL."""
    started = []

    def start(trusted: str) -> str:
        port = _free_port()
        env = dict(
            os.environ,
            DATABASE_URL=f"sqlite:///{tmp_path / 'serve.db'}",
            DATA_DIR=str(tmp_path),
            APP_ENV="test",
            TRUSTED_PROXIES=trusted,
        )
        log = open(tmp_path / f"serve-{port}.log", "w")  # noqa: SIM115 - closed below
        proc = subprocess.Popen(
            [sys.executable, "-m", "app", "serve", "--port", str(port), "--address", "127.0.0.1"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        started.append((proc, log))
        base_url = f"http://127.0.0.1:{port}"
        _wait_healthy(base_url, proc, timeout=180)
        return base_url

    yield start
    for proc, log in started:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()


def _logout_cookie(base_url: str, forwarded_proto: str) -> str:
    host = base_url.removeprefix("http://")
    request = urllib.request.Request(
        base_url + LOGOUT_PATH,
        data=b"{}",
        method="POST",
        headers={
            "Content-Type": "application/json",
            "Origin": f"{forwarded_proto}://{host}",
            "X-Forwarded-Proto": forwarded_proto,
            "X-Forwarded-For": "203.0.113.5",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            assert response.status == 204
            return response.headers["Set-Cookie"]
    except HTTPError as exc:  # pragma: no cover - shows the status in the failure
        raise AssertionError(f"status {exc.code}") from None


def test_forwarded_https_is_believed_only_from_a_trusted_proxy(serve):
    trusted = serve("127.0.0.1,::1")  # the test connects from loopback, like nginx would
    cookie = _logout_cookie(trusted, "https")
    assert cookie.startswith(f"{COOKIE}=;") and "Secure" in cookie
    untrusted = serve("192.0.2.10")  # some other proxy: loopback's headers are ignored
    cookie = _logout_cookie(untrusted, "https")
    assert cookie.startswith(f"{COOKIE}=;") and "Secure" not in cookie
