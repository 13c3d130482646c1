"""Real servers for the load test: Streamlit on loopback ports, replicas, nginx.

Everything listens on 127.0.0.1 only and is stopped by the process id it was
started with (each in its own process group, so a replica script and its
children stop together).
"""

from __future__ import annotations

import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from app.settings import PROJECT_ROOT

LOOPBACK = "127.0.0.1"
DEPLOY = PROJECT_ROOT / "deploy"
NGINX_CONF = DEPLOY / "nginx.conf"
REPLICA_SCRIPT = DEPLOY / "run-replicas.sh"


class ServerError(RuntimeError):
    """A server did not start or did not become healthy."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind((LOOPBACK, 0))
        return s.getsockname()[1]


def free_port_run(count: int, start: int = 20000, stop: int = 60000) -> int:
    """The first of ``count`` consecutive free loopback ports (a random start)."""
    import random

    for _ in range(200):
        base = random.randrange(start, stop - count)
        sockets = []
        try:
            for port in range(base, base + count):
                s = socket.socket()
                sockets.append(s)
                s.bind((LOOPBACK, port))
            return base
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
    raise ServerError(f"no {count} consecutive free ports found")


@dataclass
class Process:
    name: str
    proc: subprocess.Popen
    log: Path

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 20) -> str:
        try:
            return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return ""

    def stop(self, timeout: float = 15.0) -> None:
        """SIGTERM to the process group we started; SIGKILL if it lingers."""
        if self.proc.poll() is not None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self.proc.wait(5)


def _die_with_us(cmd: list[str]) -> list[str]:
    """``cmd`` under ``setpriv --pdeathsig TERM`` when there is one (Linux, util-linux).

    The servers run in their own process group so they can be stopped as a group;
    that also shields them from the signals that end the bench. If the bench dies
    without cleaning up (SIGKILL), the kernel still sends them SIGTERM.
    """
    setpriv = shutil.which("setpriv")
    return [setpriv, "--pdeathsig", "TERM", "--", *cmd] if setpriv else cmd


def _spawn(name: str, cmd: list[str], env: dict, log: Path, cwd: Path = PROJECT_ROOT) -> Process:
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = _die_with_us(cmd)
    with open(log, "wb") as out:
        proc = subprocess.Popen(  # noqa: S603 - our own fixed command lines
            cmd, cwd=cwd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    return Process(name, proc, log)


def health(url: str, timeout: float = 2.0, headers: dict | None = None) -> bool:
    request = urllib.request.Request(f"{url}/_stcore/health", headers=headers or {})
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never a proxy
    try:
        with opener.open(request, timeout=timeout) as resp:
            return resp.status == 200 and resp.read().strip() == b"ok"
    except OSError:
        return False


def wait_healthy(url: str, process: Process, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not process.alive():
            raise ServerError(f"{process.name} exited:\n{process.tail()}")
        if health(url):
            return
        time.sleep(0.25)
    raise ServerError(f"{process.name} did not answer {url}/_stcore/health in {timeout:.0f} s")


def server_env(
    *,
    database_url: str,
    data_dir: Path,
    audio_dir: Path,
    cookie_secret: str,
    base: dict | None = None,
) -> dict:
    """The environment of a bench server: the settings of a production deployment.

    Streamlit's ``runner.postScriptGC`` is passed as this process has it (from
    .streamlit/config.toml, or ``--set``), so a single server and the replicas
    (whose launcher would otherwise default it to false) run with the same value.
    """
    from streamlit import config

    env = dict(base if base is not None else os.environ)
    for proxy in (
        "http_proxy",
        "https_proxy",
        "HTTP_PROXY",
        "HTTPS_PROXY",
        "all_proxy",
        "ALL_PROXY",
    ):
        env.pop(proxy, None)
    env.update(
        DATABASE_URL=database_url,
        DATA_DIR=str(data_dir),
        AUDIO_CACHE_DIR=str(audio_dir),
        COOKIE_SECRET=cookie_secret,
        APP_ENV="production",
        STREAMLIT_SERVER_FILE_WATCHER_TYPE="none",
        STREAMLIT_SERVER_RUN_ON_SAVE="false",
        STREAMLIT_BROWSER_GATHER_USAGE_STATS="false",
        STREAMLIT_RUNNER_POST_SCRIPT_GC=str(bool(config.get_option("runner.postScriptGC"))).lower(),
        PYTHONUNBUFFERED="1",
    )
    return env


def start_server(env: dict, log_dir: Path, port: int | None = None) -> tuple[Process, str]:
    """``python -m app serve`` on a free loopback port; returns (process, base URL)."""
    port = port or free_port()
    cmd = [sys.executable, "-m", "app", "serve", "--port", str(port), "--address", LOOPBACK]
    process = _spawn(f"server :{port}", cmd, env, log_dir / f"server-{port}.log")
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_healthy(url, process)
    except BaseException:
        process.stop()
        raise
    return process, url


def start_replicas(env: dict, log_dir: Path, count: int) -> tuple[Process, list[int]]:
    """deploy/run-replicas.sh with ``count`` replicas on free loopback ports."""
    first = free_port_run(count)
    env = dict(env, REPLICA_ADDRESS=LOOPBACK, LOG_DIR=str(log_dir), PYTHON=sys.executable)
    cmd = ["bash", str(REPLICA_SCRIPT), str(count), str(first)]
    process = _spawn(f"{count} replicas", cmd, env, log_dir / "replicas.log")
    ports = list(range(first, first + count))
    try:
        deadline = time.monotonic() + 120
        while "ready:" not in process.tail(50):
            if not process.alive():
                raise ServerError(f"run-replicas.sh exited:\n{process.tail()}")
            if time.monotonic() > deadline:
                raise ServerError("the replicas did not become ready in 120 s")
            time.sleep(0.25)
    except BaseException:
        process.stop()
        raise
    return process, ports


def render_nginx_site(upstream_ports: list[int], listen_port: int, conf: str | None = None) -> str:
    """deploy/nginx.conf with these replica ports and a loopback listen address."""
    text = conf if conf is not None else NGINX_CONF.read_text(encoding="utf-8")
    upstream = re.search(r"upstream callscreen \{.*?\n\}", text, re.S)
    if upstream is None:
        raise ServerError("deploy/nginx.conf has no 'upstream callscreen { ... }' block")
    block = upstream.group(0)
    lines = [line for line in block.splitlines() if not re.match(r"\s*server\s", line)]
    servers = [f"    server {LOOPBACK}:{p} max_fails=3 fail_timeout=10s;" for p in upstream_ports]
    block = "\n".join(lines[:-1] + servers + lines[-1:])
    text = text.replace(upstream.group(0), block)
    text, count = re.subn(r"(?m)^(\s*)listen 80;", rf"\1listen {LOOPBACK}:{listen_port};", text)
    if count != 1:
        raise ServerError("deploy/nginx.conf has no 'listen 80;' line to point at a test port")
    return text


def nginx_binary() -> str | None:
    return shutil.which("nginx") or next(
        (p for p in ("/usr/sbin/nginx", "/usr/local/sbin/nginx") if Path(p).exists()), None
    )


def write_nginx_config(upstream_ports: list[int], workdir: Path) -> tuple[Path, int]:
    """deploy/nginx.conf inside a minimal main config in ``workdir``, checked by ``nginx -t``.

    Returns (the main config file, the loopback port it listens on).
    """
    binary = nginx_binary()
    if binary is None:
        raise ServerError("nginx is not installed (apt-get install nginx)")
    workdir.mkdir(parents=True, exist_ok=True)
    for sub in ("body", "proxy", "fastcgi", "uwsgi", "scgi"):
        (workdir / "tmp" / sub).mkdir(parents=True, exist_ok=True)
        os.chmod(workdir / "tmp" / sub, 0o777)  # nginx workers may run as another user
    port = free_port()
    (workdir / "site.conf").write_text(render_nginx_site(upstream_ports, port))
    tmp = workdir / "tmp"
    main = f"""
worker_processes 1;
pid {workdir}/nginx.pid;
error_log {workdir}/error.log warn;
events {{ worker_connections 4096; }}
http {{
    access_log off;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    include {workdir}/site.conf;
}}
"""
    (workdir / "nginx.conf").write_text(main)
    check = subprocess.run(  # noqa: S603
        [binary, "-t", "-p", str(workdir), "-c", str(workdir / "nginx.conf")],
        capture_output=True,
        text=True,
    )
    if check.returncode != 0:
        raise ServerError(f"nginx rejects the configuration:\n{check.stderr.strip()}")
    return workdir / "nginx.conf", port


def start_nginx(upstream_ports: list[int], workdir: Path) -> tuple[Process, str]:
    """nginx in the foreground with deploy/nginx.conf, on a free loopback port."""
    config, port = write_nginx_config(upstream_ports, workdir)
    binary = nginx_binary()
    if binary is None:  # write_nginx_config has already found it
        raise ServerError("nginx is not installed (apt-get install nginx)")
    cmd = [binary, "-p", str(workdir), "-c", str(config), "-g", "daemon off;"]
    process = _spawn("nginx", cmd, dict(os.environ), workdir / "nginx.out")
    url = f"http://{LOOPBACK}:{port}"
    try:
        wait_healthy(url, process, timeout=30)
    except BaseException:
        process.stop()
        raise
    return process, url


def _proc_table() -> dict[int, tuple[int, float]]:
    """{pid: (parent pid, CPU seconds used)} of every process we can read."""
    ticks = os.sysconf("SC_CLK_TCK")
    table = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue
        fields = raw.rsplit(")", 1)[1].split()
        # fields[1] is the parent pid; [11], [12] user and system time of the process,
        # [13], [14] of its children that have been waited for.
        used = sum(int(x) for x in fields[11:15]) / ticks
        table[int(entry.name)] = (int(fields[1]), used)
    return table


def _tree(pid: int, table: dict[int, tuple[int, float]]) -> list[int]:
    """``pid`` and every process below it, from a :func:`_proc_table`."""
    children: dict[int, list[int]] = {}
    for child, (parent, _) in table.items():
        children.setdefault(parent, []).append(child)
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def tree_cpu_seconds(pid: int) -> float:
    """CPU seconds used so far by ``pid`` and every process below it (Linux)."""
    if not Path("/proc").is_dir():
        return 0.0
    table = _proc_table()
    return sum(table[p][1] for p in _tree(pid, table) if p in table)


def tree_rss_mb(pid: int) -> float:
    """Resident memory (MB) of ``pid`` and every process below it (Linux)."""
    if not Path("/proc").is_dir():
        return 0.0
    total_kb = 0
    for current in _tree(pid, _proc_table()):
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total_kb += int(line.split()[1])
                    break
        except (OSError, ValueError, IndexError):
            pass
    return round(total_kb / 1024, 1)
