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
import os
import random
import secrets

import pytest

from app.bench import dataset, load, servers
from tests.conftest import PG_ADMIN_URL

pytestmark = pytest.mark.slow
BROWSERS = 12


def _need(what: str, ok: bool) -> None:
    if not ok:
        if os.environ.get("CI") == "true":
            pytest.fail(f"{what} is needed for this test under CI")
        pytest.skip(f"{what} is not available")


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


def test_two_replicas_behind_nginx(tmp_path):
    _need("nginx", servers.nginx_binary() is not None)
    server_url = PG_ADMIN_URL.rsplit("/", 1)[0] + "/"  # a fresh database on this server
    with contextlib.ExitStack() as stack:
        try:
            url = stack.enter_context(dataset.bench_database(server_url, tmp_path))
        except dataset.BenchDatabaseError:
            _need("PostgreSQL", False)
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
        asyncio.run(_check(base_url, ports))
        replicas.stop()  # the launcher stops every replica it started
        assert not replicas.alive()
        for port in ports:
            assert not servers.health(f"http://127.0.0.1:{port}", timeout=1)
