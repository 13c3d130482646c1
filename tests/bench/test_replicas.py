"""Two replicas behind nginx on loopback ports: health, and one browser stays on one replica.

Streamlit keeps a session in the memory of one process: a reconnect that lands on
the other replica gets a new, empty session. Here each simulated browser connects
through nginx, disconnects and reconnects asking for its session by id; it must
get the same session back every time, and the sessions must be spread over both
replicas (so the check could fail).
"""

from __future__ import annotations

import asyncio
import contextlib
import random
import secrets
import shutil
import ssl
import subprocess
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest

from app.bench import dataset, load, servers
from tests.conftest import PG_ADMIN_URL, require_or_skip

pytestmark = pytest.mark.slow
BROWSERS = 12


def _security_headers_ok(headers: dict[str, str], *, tls: bool) -> None:
    """deploy/nginx.conf's security headers (docs/security.md); ``headers`` lower-cased."""
    policy = {}
    for directive in headers["content-security-policy"].split(";"):
        name, *values = directive.split()
        policy[name] = values
    assert policy["frame-ancestors"] == ["'none'"]
    assert policy["object-src"] == ["'none'"] and policy["base-uri"] == ["'none'"]
    assert policy["default-src"] == ["'self'"] and policy["connect-src"] == ["'self'"]
    assert "'unsafe-eval'" not in policy["script-src"]
    assert not any("*" in v or v in ("http:", "https:") for vs in policy.values() for v in vs)
    assert headers["x-content-type-options"] == "nosniff"
    assert headers["referrer-policy"] == "same-origin"
    assert headers["x-frame-options"] == "DENY"
    if tls:
        hsts = dict(
            (part.strip().partition("=")[::2])
            for part in headers["strict-transport-security"].split(";")
        )
        assert int(hsts["max-age"]) >= 365 * 24 * 3600 and "includeSubDomains" in hsts
    else:
        assert "strict-transport-security" not in headers  # HSTS over TLS only
    assert headers.get("server", "nginx") == "nginx"  # server_tokens off: no version


async def _session(base_url: str, tab: load.SimTrainee | None = None, resume: str = ""):
    tab = tab or load.SimTrainee(
        load.LoadConfig(base_url=base_url, accounts=[]), "", "", random.Random(0)
    )
    await tab.connect(resume=resume)
    assert await tab.act("connect"), tab.samples[-1].error
    await tab.close()
    return tab, tab.session_id


async def _check(base_url: str, ports: list[int]) -> None:
    # nginx hands out the sticky cookie once.
    status, headers, _ = await load.http_get(base_url, "/", "", 10)
    assert status == 200
    _security_headers_ok(headers, tls=False)
    for path in ("/_stcore/health", "/_stcore/host-config", "/no-such-page"):
        _security_headers_ok((await load.http_get(base_url, path, "", 10))[1], tls=False)
    jar = load._cookies_from(headers.get("set-cookie", ""))
    assert "csa_route" in jar
    _, again, _ = await load.http_get(base_url, "/", f"csa_route={jar['csa_route']}", 10)
    assert "csa_route" not in again.get("set-cookie", "")

    holders = []
    for _ in range(BROWSERS):
        tab, sid = await _session(base_url)
        assert sid and "csa_route" in tab.cookies
        for _ in range(2):  # reconnect through nginx with the same cookie
            _, resumed = await _session(base_url, tab, resume=sid)
            assert resumed == sid, "a reconnect through nginx landed on another replica"
        held = []
        for port in ports:  # ask each replica directly who has this session
            _, direct = await _session(f"http://127.0.0.1:{port}", resume=sid)
            held.append(direct == sid)
        assert sum(held) == 1, held
        holders.append(held.index(True))
    assert set(holders) == {0, 1}, "every browser went to the same replica"


@pytest.mark.postgres
def test_two_replicas_behind_nginx(tmp_path):
    require_or_skip(servers.nginx_binary() is not None, "nginx is not installed")
    server_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/"  # a fresh database on this server
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(dataset.bench_database(server_url, tmp_path))
        except dataset.BenchDatabaseError:
            require_or_skip(False, "PostgreSQL is not reachable")
        env = servers.server_env(
            database_url=url,
            data_dir=tmp_path / "data",
            audio_dir=tmp_path / "audio",
            cookie_secret=secrets.token_urlsafe(32),
        )
        replicas, ports = servers.start_replicas(env, tmp_path / "logs", 2)
        stack.callback(replicas.stop)
        for port in ports:
            assert servers.health(f"http://127.0.0.1:{port}")
        proxy, base_url = servers.start_nginx(ports, tmp_path / "nginx")
        stack.callback(proxy.stop)
        assert servers.health(base_url)
        with ThreadPoolExecutor(max_workers=1) as pool:  # free of any loop in this thread
            pool.submit(asyncio.run, _check(base_url, ports)).result()
        replicas.stop()  # the launcher stops every replica it started
        assert not replicas.alive()
        for port in ports:
            assert not servers.health(f"http://127.0.0.1:{port}", timeout=1)


def _fetch_headers(url: str) -> dict[str, str]:
    """The response headers of ``url`` (lower-cased), whatever its status; no proxy."""
    context = ssl.create_default_context()
    context.check_hostname, context.verify_mode = False, ssl.CERT_NONE  # our own test cert
    opener = urllib.request.build_opener(
        urllib.request.ProxyHandler({}), urllib.request.HTTPSHandler(context=context)
    )
    try:
        with opener.open(url, timeout=5) as response:
            headers = response.headers
    except urllib.error.HTTPError as exc:
        headers = exc.headers
    return {name.lower(): value for name, value in headers.items()}


def test_security_headers_on_every_response_and_hsts_only_over_tls(tmp_path, monkeypatch):
    """deploy/nginx.conf with TLS added as its comment says; no replica behind it.

    With the replica down nginx answers 502 itself: the headers are on error pages too.
    """
    binary = servers.nginx_binary()
    require_or_skip(binary is not None, "nginx is not installed")
    require_or_skip(shutil.which("openssl") is not None, "openssl is not installed")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1"]
        + ["-subj", "/CN=127.0.0.1", "-keyout", str(key), "-out", str(cert)],
        check=True,
        capture_output=True,
    )
    tls_port, dead_port = servers.free_port(), servers.free_port()
    render = servers.render_nginx_site

    def with_tls(ports: list[int], listen_port: int, conf: str | None = None) -> str:
        text = render(ports, listen_port, conf)
        plain = f"    listen {servers.LOOPBACK}:{listen_port};\n"
        assert text.count(plain) == 1
        return text.replace(
            plain,
            plain
            + f"    listen {servers.LOOPBACK}:{tls_port} ssl;\n"
            + f"    ssl_certificate {cert};\n    ssl_certificate_key {key};\n",
        )

    monkeypatch.setattr(servers, "render_nginx_site", with_tls)
    workdir = tmp_path / "nginx"
    config, http_port = servers.write_nginx_config([dead_port], workdir)
    proxy = subprocess.Popen(
        [binary, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                plain = _fetch_headers(f"http://{servers.LOOPBACK}:{http_port}/")
                secure = _fetch_headers(f"https://{servers.LOOPBACK}:{tls_port}/")
                break
            except OSError:
                assert proxy.poll() is None, "nginx exited"
                assert time.monotonic() < deadline, "nginx did not answer in 20 s"
                time.sleep(0.2)
        _security_headers_ok(plain, tls=False)
        _security_headers_ok(secure, tls=True)
        for path in ("/_stcore/stream", "/_stcore/health", "/media/x.wav"):
            _security_headers_ok(_fetch_headers(f"http://127.0.0.1:{http_port}{path}"), tls=False)
    finally:
        proxy.terminate()
        proxy.wait(10)
