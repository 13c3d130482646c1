"""deploy/: the nginx site file and the replica launcher, checked without a load test."""

from __future__ import annotations

import os
import subprocess

import pytest

from app.bench import servers
from tests.conftest import require_or_skip


def test_render_points_the_upstream_at_the_replicas_and_listens_on_loopback():
    site = servers.render_nginx_site([20001, 20002, 20003], 30000)
    assert "server 127.0.0.1:20001 max_fails=3" in site
    assert "server 127.0.0.1:20003 max_fails=3" in site
    assert "server 127.0.0.1:8501" not in site and "server 127.0.0.1:8502" not in site
    assert "listen 127.0.0.1:30000;" in site and "listen 80;" not in site
    assert "hash $csa_route_key consistent;" in site  # the sticky part is kept


def test_the_site_file_keeps_what_streamlit_needs():
    text = servers.NGINX_CONF.read_text()
    assert "proxy_set_header Upgrade $http_upgrade;" in text
    assert "proxy_set_header Connection $connection_upgrade;" in text
    assert "location = /_stcore/stream" in text and "location = /_stcore/health" in text
    assert "proxy_set_header Host $http_host;" in text  # Streamlit checks Origin against Host


def test_render_refuses_a_config_without_the_expected_blocks():
    with pytest.raises(servers.ServerError):
        servers.render_nginx_site([1], 2, conf="server { listen 80; }")
    with pytest.raises(servers.ServerError):
        servers.render_nginx_site([1], 2, conf="upstream callscreen {\n server a;\n}\n")


def test_nginx_accepts_the_rendered_configuration(tmp_path):
    require_or_skip(servers.nginx_binary() is not None, "nginx is not installed")
    config, port = servers.write_nginx_config([20001, 20002], tmp_path / "nginx")
    assert config.exists() and port > 0  # `nginx -t` passed, or a ServerError was raised


def _script(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["bash", str(servers.REPLICA_SCRIPT), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize(
    ("missing", "args"),
    [("DATABASE_URL", ()), ("COOKIE_SECRET", ()), ("AUDIO_CACHE_DIR", ()), (None, ("zero",))],
)
def test_replica_script_refuses_an_incomplete_setup(tmp_path, missing, args):
    env = {
        "PATH": os.environ["PATH"],
        "DATABASE_URL": f"sqlite:///{tmp_path / 'x.db'}",
        "COOKIE_SECRET": "s" * 32,
        "AUDIO_CACHE_DIR": str(tmp_path / "audio"),
        "LOG_DIR": str(tmp_path / "logs"),
    }
    if missing:
        env.pop(missing)
    result = _script(env, *args)
    assert result.returncode == 2
    assert result.stderr.startswith("error: ")
    assert not (tmp_path / "logs").exists()  # nothing was started


def test_free_port_run_gives_consecutive_bindable_ports():
    import socket

    base = servers.free_port_run(3)
    for port in range(base, base + 3):
        with socket.socket() as s:
            s.bind(("127.0.0.1", port))
