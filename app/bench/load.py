"""Load test: simulated trainees speaking Streamlit's own websocket protocol.

Each simulated trainee behaves like one browser tab on a real ``streamlit run``
server (loopback only):

* ``GET /`` (keeps any cookie the server or the load balancer sets, as a browser does);
* a websocket to ``/_stcore/stream`` with the ``streamlit`` subprotocol and a
  same-origin ``Origin`` header; Streamlit's XSRF token only gates its own
  ``st.login`` cookie on this socket, which the app does not use, so none is sent;
* ``BackMsg.rerun_script`` carrying ``ClientState`` (page hash, widget states),
  then ``ForwardMsg`` until ``script_finished`` — one interaction, timed from
  send to finish. Widget ids are read from the elements the server sends, like
  the web client does; values go back as the web client encodes them (text and
  choice widgets as strings, buttons as triggers, form fields with the submit);
* while a call is on screen, the clock fragment's ``auto_rerun`` is honoured:
  a fragment rerun every interval, timed separately ("tick");
* the caller's audio is fetched over HTTP from the ``/media`` URL (timed as "media").

A trainee logs in once, opens *Take a call*, starts a call, asks questions with a
think time, marks, submits, reads the feedback and takes the next call, until the
level's time is up. Levels run one after another on the same logged-in sessions;
every number is per level. Everything is bounded: a fixed number of trainees, a
deadline per level and a timeout per interaction.
"""

from __future__ import annotations

import asyncio
import random
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from app.bench.stats import percentile, summarize

ERROR_RATE_LIMIT = 0.01  # a level "holds" when p95 <= 1 s and at most 1% of interactions fail
P95_LIMIT_MS = 1000.0
QUESTIONS_FIRST = ("weapons", "threats", "medical")
CALL_TYPES = ("Welfare check", "Mental health crisis", "Disturbance", "Trespass")
PRIORITIES = ("2", "3")
MODE_LABELS = ("Guided", "Standard", "Timed")
ASK_KEY = re.compile(r"^call(\d+)\.ask\.(.+)$")
STATUS_EARLY = 2  # FINISHED_EARLY_FOR_RERUN: st.rerun() restarted the script; keep reading
STATUS_COMPILE_ERROR = 1


class LoadError(Exception):
    """One failed interaction (the message says what went wrong)."""


@dataclass
class Widget:
    kind: str  # the element type: button, checkbox, radio, selectbox, button_group, text_input
    id: str
    label: str
    key: str | None
    options: list[str] = field(default_factory=list)
    disabled: bool = False
    form_id: str = ""


@dataclass
class Sample:
    level: int
    kind: str  # connect, login, open, mode, start, ask, mark, submit, next, tick, media
    ms: float
    ok: bool
    error: str = ""


@dataclass
class LoadConfig:
    base_url: str  # http://127.0.0.1:PORT (a Streamlit server or the load balancer)
    accounts: Sequence[tuple[str, str]]  # (username, password) of trainee accounts
    levels: Sequence[int] = (10, 25, 50, 100)
    duration_s: float = 60.0  # steady state per level
    think_s: tuple[float, float] = (2.0, 6.0)
    feedback_s: tuple[float, float] = (3.0, 8.0)  # reading the grade before the next call
    timeout_s: float = 30.0
    login_concurrency: int = 2
    clock: bool = True
    fetch_media: bool = True
    seed: int = 0


def _widget_from(element) -> Widget | None:
    kind = element.WhichOneof("type")
    if kind not in ("button", "checkbox", "radio", "selectbox", "button_group", "text_input"):
        return None
    proto = getattr(element, kind)
    wid = proto.id
    key = None
    if wid.startswith("$$ID-"):
        tail = wid.split("-", 2)[2] if wid.count("-") >= 2 else ""
        key = None if tail in ("None", "") or tail.startswith("FormSubmitter:") else tail
    if kind == "button_group":
        options = [o.content for o in proto.options]
    elif kind in ("radio", "selectbox"):
        options = list(proto.options)
    else:
        options = []
    return Widget(
        kind=kind,
        id=wid,
        label=getattr(proto, "label", ""),
        key=key,
        options=options,
        disabled=bool(getattr(proto, "disabled", False)),
        form_id=getattr(proto, "form_id", ""),
    )


async def http_get(base_url: str, path: str, cookie: str, timeout: float) -> tuple[int, dict, int]:
    """A minimal HTTP/1.1 GET: (status, headers (lower-case, Set-Cookie joined), body bytes)."""
    parts = urlsplit(base_url)
    reader, writer = await asyncio.wait_for(
        asyncio.open_connection(parts.hostname, parts.port or 80), timeout
    )
    try:
        request = f"GET {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nConnection: close\r\n"
        if cookie:
            request += f"Cookie: {cookie}\r\n"
        writer.write((request + "\r\n").encode("latin-1"))
        await writer.drain()
        raw = await asyncio.wait_for(reader.read(), timeout)
    finally:
        writer.close()
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    try:
        status = int(lines[0].split()[1])
    except (IndexError, ValueError):
        raise LoadError(f"bad HTTP response for {path}") from None
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        name = name.strip().lower()
        if name == "set-cookie" and name in headers:
            headers[name] += "\n" + value.strip()
        else:
            headers[name] = value.strip()
    return status, headers, len(body)


def _cookies_from(set_cookie: str) -> dict[str, str]:
    jar = {}
    for line in set_cookie.split("\n"):
        first = line.split(";", 1)[0]
        if "=" in first:
            name, value = first.split("=", 1)
            jar[name.strip()] = value.strip()
    return jar


class SimTrainee:
    """One browser tab: a websocket session and the widget values the page holds."""

    def __init__(self, cfg: LoadConfig, username: str, password: str, rng: random.Random):
        self.cfg, self.username, self.password, self.rng = cfg, username, password, rng
        self.ws = None
        self.cookies: dict[str, str] = {}
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.page_name = ""
        self.widgets: dict[str, Widget] = {}  # by key, else by label
        self.values: dict[str, object] = {}  # widget id -> WidgetState (non-trigger)
        self.fragments: dict[str, float] = {}  # fragment id -> interval (s)
        self.media_seen: set[str] = set()
        self.dq_decided: set[int] = set()
        self.media_tasks: set[asyncio.Task] = set()
        self.feedback_expected = False
        self.mode = rng.choice(MODE_LABELS)
        self.samples: list[Sample] = []
        self.level = 0
        self.alive = False

    # -------------------------------------------------------------- transport

    @property
    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    async def connect(self, resume: str = "") -> None:
        """Open the page and its websocket; ``resume`` a session id to reconnect to.

        The web client passes a session id to resume as the third entry of the
        websocket subprotocol list (the second is its XSRF token; a placeholder here).
        """
        import websockets

        if not resume:
            status, headers, _ = await http_get(
                self.cfg.base_url, "/", self.cookie_header, self.cfg.timeout_s
            )
            if status != 200:
                raise LoadError(f"GET / answered {status}")
            self.cookies.update(_cookies_from(headers.get("set-cookie", "")))
        parts = urlsplit(self.cfg.base_url)
        extra = {"Cookie": self.cookie_header} if self.cookies else {}
        protocols = ["streamlit", "no-xsrf", resume] if resume else ["streamlit"]
        self.ws = await websockets.connect(
            f"ws://{parts.netloc}/_stcore/stream",
            subprotocols=protocols,
            origin=f"http://{parts.netloc}",
            additional_headers=extra,
            max_size=None,
            proxy=None,
            open_timeout=self.cfg.timeout_s,
            ping_interval=None,
        )
        self.alive = True

    async def close(self) -> None:
        if self.media_tasks:
            await asyncio.gather(*self.media_tasks, return_exceptions=True)
        if self.ws is not None:
            try:
                await self.ws.close()
            except Exception:  # noqa: S110 - closing a broken socket
                pass
        self.alive = False

    async def rerun(self, states=(), *, fragment: str = "") -> list:
        """Send one rerun_script and read until the run finishes; returns the errors seen."""
        from streamlit.proto.BackMsg_pb2 import BackMsg
        from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        msg = BackMsg()
        cs = msg.rerun_script
        cs.query_string = ""
        cs.page_script_hash = self.page_hash
        cs.page_name = self.page_name
        if fragment:
            cs.fragment_id = fragment
            cs.is_auto_rerun = True
        sent = dict(self.values)
        triggers = []
        for state in states:
            if state.WhichOneof("value") == "trigger_value":
                triggers.append(state)
            else:
                sent[state.id] = state
                self.values[state.id] = state
        for state in list(sent.values()) + triggers:
            copy = WidgetState()
            copy.CopyFrom(state)
            cs.widget_states.widgets.append(copy)
        if not fragment:
            self.widgets = {}
            self.fragments = {}
        errors: list[str] = []
        seen_ids: set[str] = set()
        await self.ws.send(msg.SerializeToString())
        while True:
            data = await self.ws.recv()
            fm = ForwardMsg()
            fm.ParseFromString(data)
            kind = fm.WhichOneof("type")
            if kind == "delta":
                delta = fm.delta
                if delta.WhichOneof("type") != "new_element":
                    continue
                element = delta.new_element
                etype = element.WhichOneof("type")
                if etype == "exception":
                    errors.append(
                        f"exception: {element.exception.type}: {element.exception.message}"
                    )
                elif etype == "alert" and element.alert.format == 1:  # ERROR
                    # The grade card shows an unsafe route in red: feedback, not a failure.
                    if not self.feedback_expected:
                        errors.append(f"error shown: {element.alert.body[:120]}")
                elif etype == "audio" and self.cfg.fetch_media:
                    url = element.audio.url
                    if url and url not in self.media_seen:
                        # The browser downloads the clip while the page goes on drawing.
                        self.media_seen.add(url)
                        task = asyncio.create_task(self._fetch_media(url))
                        self.media_tasks.add(task)
                        task.add_done_callback(self.media_tasks.discard)
                widget = _widget_from(element)
                if widget is not None:
                    seen_ids.add(widget.id)
                    self.widgets[widget.key or widget.label] = widget
            elif kind == "new_session":
                self.session_id = fm.new_session.initialize.session_id or self.session_id
            elif kind == "navigation":
                nav = fm.navigation
                self.pages = {p.url_pathname: p.page_script_hash for p in nav.app_pages}
                self.page_hash = nav.page_script_hash
                for page in nav.app_pages:
                    if page.page_script_hash == nav.page_script_hash:
                        self.page_name = page.url_pathname
            elif kind == "auto_rerun":
                self.fragments[fm.auto_rerun.fragment_id] = fm.auto_rerun.interval
            elif kind == "script_finished":
                status = fm.script_finished
                if status == STATUS_EARLY:
                    if not fragment:
                        self.widgets, self.fragments, seen_ids = {}, {}, set()
                    continue
                if status == STATUS_COMPILE_ERROR:
                    errors.append("the script did not compile")
                break
        if not fragment:  # the web client forgets the values of widgets no longer drawn
            self.values = {k: v for k, v in self.values.items() if k in seen_ids}
        return errors

    async def _fetch_media(self, url: str) -> None:
        started = time.perf_counter()
        try:
            status, _, size = await http_get(
                self.cfg.base_url, url, self.cookie_header, self.cfg.timeout_s
            )
            ok = status == 200 and size > 44  # a WAV header alone is 44 bytes
            error = "" if ok else f"media {status}"
        except (OSError, TimeoutError, LoadError) as exc:
            ok, error = False, f"media: {type(exc).__name__}"
        self._record("media", started, ok, error)

    def _record(self, kind: str, started: float, ok: bool, error: str = "") -> None:
        ms = (time.perf_counter() - started) * 1000.0
        self.samples.append(Sample(self.level, kind, ms, ok, error))

    async def act(self, kind: str, states=(), *, fragment: str = "") -> bool:
        """One timed interaction; returns False when it failed."""
        self.feedback_expected = kind == "submit"
        started = time.perf_counter()
        try:
            errors = await asyncio.wait_for(
                self.rerun(states, fragment=fragment), self.cfg.timeout_s
            )
        except TimeoutError:
            self._record(kind, started, False, "timeout")
            await self.close()  # the socket is now out of step; this tab is gone
            return False
        except Exception as exc:  # connection closed, protocol error
            self._record(kind, started, False, f"{type(exc).__name__}: {exc}"[:160])
            await self.close()
            return False
        self._record(kind, started, not errors, "; ".join(errors)[:200])
        return not errors

    # -------------------------------------------------------------- widgets

    @staticmethod
    def state(widget: Widget, **value):
        from streamlit.proto.WidgetStates_pb2 import WidgetState

        state = WidgetState(id=widget.id)
        ((name, val),) = value.items()
        if name == "string_array_value":
            state.string_array_value.data.extend(val)
        else:
            setattr(state, name, val)
        return state

    def find(self, *, key: str | None = None, label: str | None = None) -> Widget | None:
        if key is not None:
            return self.widgets.get(key)
        for widget in self.widgets.values():
            if widget.label.replace("\\", "") == label:
                return widget
        return None

    def screen(self) -> tuple[str, int | None]:
        """('call', attempt id) | ('grade', None) | ('landing', None) | ('other', None)."""
        for key in self.widgets:
            match = ASK_KEY.match(key)
            if match:
                return "call", int(match.group(1))
        if "practice.next" in self.widgets:
            return "grade", None
        if self.find(label="Start call") is not None:
            return "landing", None
        return "other", None

    # -------------------------------------------------------------- the trainee

    async def login(self) -> bool:
        self.level = 0
        started = time.perf_counter()
        try:
            await self.connect()
        except Exception as exc:
            self._record("connect", started, False, f"{type(exc).__name__}: {exc}"[:160])
            return False
        if not await self.act("connect"):
            return False
        user, password = self.find(label="User name"), self.find(label="Password")
        submit = self.find(label="Log in")
        if not (user and password and submit):
            self._record("login", time.perf_counter(), False, "no login form")
            return False
        ok = await self.act(
            "login",
            [
                self.state(user, string_value=self.username),
                self.state(password, string_value=self.password),
                self.state(submit, trigger_value=True),
            ],
        )
        if ok and "trainee_call" not in self.pages:
            self.samples[-1].ok, self.samples[-1].error = False, "login did not get in"
            return False
        self.values.clear()  # the login form is gone
        return ok

    async def think(self, span: tuple[float, float], deadline: float) -> None:
        """Wait like a person reading; the call clock keeps ticking meanwhile."""
        until = min(time.monotonic() + self.rng.uniform(*span), deadline)
        while self.alive:
            now = time.monotonic()
            if now >= until:
                return
            if self.cfg.clock and self.fragments:
                fragment, interval = next(iter(self.fragments.items()))
                await asyncio.sleep(min(max(interval, 0.2), until - now))
                if time.monotonic() < until and self.alive:
                    await self.act("tick", fragment=fragment)
            else:
                await asyncio.sleep(until - now)

    async def open_call_page(self) -> bool:
        target = self.pages.get("trainee_call")
        if target is None:
            self._record("open", time.perf_counter(), False, "no Take a call page")
            return False
        self.page_hash, self.page_name = target, "trainee_call"
        return await self.act("open")

    async def step(self, deadline: float) -> bool:
        """One interaction chosen by what is on screen."""
        screen, attempt = self.screen()
        if screen == "other":
            return await self.open_call_page()
        if screen == "landing":
            radio = self.widgets.get("practice.mode_pick")
            if radio is not None:
                label = next((o for o in radio.options if o.startswith(self.mode)), None)
                current = self.values.get(radio.id)
                if label and (current is None or current.string_value != label):
                    return await self.act("mode", [self.state(radio, string_value=label)])
            start = self.find(label="Start call")
            return await self.act("start", [self.state(start, trigger_value=True)])
        if screen == "grade":
            await self.think(self.cfg.feedback_s, deadline)
            if not self.alive or time.monotonic() >= deadline:
                return True
            return await self.act(
                "start", [self.state(self.widgets["practice.next"], trigger_value=True)]
            )
        return await self._call_step(attempt)

    async def _call_step(self, attempt: int) -> bool:
        prefix = f"call{attempt}."
        asked = {
            k.removeprefix(prefix + "ask."): w
            for k, w in self.widgets.items()
            if k.startswith(prefix + "ask.")
        }
        open_questions = [q for q, w in asked.items() if not w.disabled]
        done = len(asked) - len(open_questions)
        for q in QUESTIONS_FIRST:
            if q in open_questions:
                return await self.act("ask", [self.state(asked[q], trigger_value=True)])
        if done < 4 and open_questions:
            q = self.rng.choice(open_questions)
            return await self.act("ask", [self.state(asked[q], trigger_value=True)])
        if attempt not in self.dq_decided:
            self.dq_decided.add(attempt)
            if self.rng.random() < 0.5:
                code = self.rng.choice(("weapon", "threat", "medical"))
                box = self.widgets.get(prefix + "dq." + code)
                if box is not None:
                    return await self.act("mark", [self.state(box, bool_value=True)])
        call_type = self.widgets.get(prefix + "call_type")
        if call_type is not None and call_type.id not in self.values:
            label = next((c for c in CALL_TYPES if c in call_type.options), call_type.options[0])
            return await self.act("mark", [self.state(call_type, string_value=label)])
        priority = self.widgets.get(prefix + "priority")
        if priority is not None and priority.id not in self.values:
            value = self.rng.choice([p for p in PRIORITIES if p in priority.options] or ["1"])
            return await self.act("mark", [self.state(priority, string_array_value=[value])])
        route = self.widgets.get(prefix + "disposition")
        if route is not None and route.id not in self.values and route.options:
            return await self.act("mark", [self.state(route, string_value=route.options[0])])
        submit = self.find(label="Submit call")
        if submit is None:
            self._record("submit", time.perf_counter(), False, "no Submit button")
            return False
        return await self.act("submit", [self.state(submit, trigger_value=True)])

    async def run_level(self, level: int, deadline: float) -> None:
        self.level = level
        await asyncio.sleep(self.rng.uniform(0, self.cfg.think_s[1]))  # do not start in step
        if self.screen()[0] == "other" and self.alive:
            await self.open_call_page()
        while self.alive and time.monotonic() < deadline:
            if self.screen()[0] != "grade":  # the grade has its own reading time
                await self.think(self.cfg.think_s, deadline)
                if not self.alive or time.monotonic() >= deadline:
                    break
            await self.step(deadline)
        if self.media_tasks:
            await asyncio.gather(*self.media_tasks, return_exceptions=True)


@dataclass
class LevelResult:
    level: int
    active: int  # trainees still connected at the end
    interactions: dict
    by_kind: dict
    errors: int
    error_examples: list[str]
    throughput_per_s: float
    duration_s: float
    server_cpu_s: float | None = None
    client_cpu_s: float | None = None
    server_rss_mb: float | None = None  # memory of the server processes at the level's end

    @property
    def holds(self) -> bool:
        n = self.interactions["n"] or 0
        p95 = self.interactions["p95"]
        return (
            n > 0
            and p95 is not None
            and p95 <= P95_LIMIT_MS
            and self.errors <= ERROR_RATE_LIMIT * max(n, 1)
        )

    def as_dict(self) -> dict:
        return {
            "level": self.level,
            "active": self.active,
            "p50_ms": self.interactions["p50"],
            "p95_ms": self.interactions["p95"],
            "max_ms": self.interactions["max"],
            "interactions": self.interactions["n"],
            "errors": self.errors,
            "error_examples": self.error_examples,
            "throughput_per_s": round(self.throughput_per_s, 1),
            "seconds": round(self.duration_s, 1),
            "server_cpu_percent": None
            if self.server_cpu_s is None
            else round(100 * self.server_cpu_s / max(self.duration_s, 1e-9)),
            "client_cpu_percent": None
            if self.client_cpu_s is None
            else round(100 * self.client_cpu_s / max(self.duration_s, 1e-9)),
            "server_rss_mb": self.server_rss_mb,
            "by_kind": self.by_kind,
            "holds": self.holds,
        }


INTERACTIONS = ("open", "mode", "start", "ask", "mark", "submit")


def summarize_level(level: int, samples: list[Sample], active: int, seconds: float) -> LevelResult:
    mine = [s for s in samples if s.level == level]
    main = [s for s in mine if s.kind in INTERACTIONS]
    by_kind = {}
    for kind in sorted({s.kind for s in mine}):
        values = [s.ms for s in mine if s.kind == kind and s.ok]
        by_kind[kind] = {
            **summarize(values),
            "errors": sum(1 for s in mine if s.kind == kind and not s.ok),
        }
    failed = [s for s in mine if not s.ok]
    examples = sorted({f"{s.kind}: {s.error}" for s in failed})[:5]
    return LevelResult(
        level=level,
        active=active,
        interactions=summarize([s.ms for s in main if s.ok]),
        by_kind=by_kind,
        errors=len(failed),
        error_examples=examples,
        throughput_per_s=len(main) / seconds if seconds > 0 else 0.0,
        duration_s=seconds,
    )


async def run_load(
    cfg: LoadConfig,
    progress: Callable[[str], None] | None = None,
    server_cpu: Callable[[], float] | None = None,
    server_rss: Callable[[], float] | None = None,
) -> dict:
    """Log in max(levels) trainees, then run each level; returns the figures as a dict.

    ``server_cpu()`` (CPU seconds used so far by the server processes) lets each level
    report how busy the server was; the simulated clients' own CPU is reported too.
    """
    say = progress or (lambda _msg: None)
    levels = sorted(set(cfg.levels))
    need = max(levels)
    if len(cfg.accounts) < need:
        raise ValueError(f"the load test needs {need} trainee accounts, got {len(cfg.accounts)}")
    rng = random.Random(cfg.seed)
    trainees = [
        SimTrainee(cfg, user, password, random.Random(rng.random()))
        for user, password in cfg.accounts[:need]
    ]
    gate = asyncio.Semaphore(max(1, cfg.login_concurrency))

    async def login(t: SimTrainee) -> bool:
        async with gate:
            return await t.login()

    say(f"logging in {need} simulated trainees")
    started = time.perf_counter()
    ok = await asyncio.gather(*(login(t) for t in trainees))
    login_seconds = time.perf_counter() - started
    samples: list[Sample] = []
    results = []
    try:
        for level in levels:
            group = [t for t, good in zip(trainees, ok, strict=True) if good and t.alive][:level]
            say(f"load: {level} concurrent trainees for {cfg.duration_s:.0f} s")
            began = time.monotonic()
            cpu_before = server_cpu() if server_cpu else 0.0
            client_before = time.process_time()
            deadline = began + cfg.duration_s
            await asyncio.gather(*(t.run_level(level, deadline) for t in group))
            seconds = time.monotonic() - began
            server_s = (server_cpu() - cpu_before) if server_cpu else None
            client_s = time.process_time() - client_before
            for t in trainees:
                samples.extend(s for s in t.samples if s.level == level)
            result = summarize_level(level, samples, sum(1 for t in group if t.alive), seconds)
            if len(group) < level:
                result.error_examples.insert(0, f"only {len(group)} of {level} trainees logged in")
                result.errors += level - len(group)
            result.server_cpu_s = server_s
            result.client_cpu_s = client_s
            result.server_rss_mb = server_rss() if server_rss else None
            results.append(result)
            say(
                f"  {level:>4} trainees: p50 {result.interactions['p50']} ms, "
                f"p95 {result.interactions['p95']} ms, errors {result.errors}"
            )
            await asyncio.sleep(1.0)
    finally:
        await asyncio.gather(*(t.close() for t in trainees))
    logins = [s for t in trainees for s in t.samples if s.level == 0]
    login_ok = [s.ms for s in logins if s.kind == "login" and s.ok]
    holding = [r.level for r in results if r.holds]
    # The largest level that holds, provided every smaller level held too.
    best = 0
    for r in results:
        if not r.holds:
            break
        best = r.level
    return {
        "levels": [r.as_dict() for r in results],
        "max_sessions_p95_1s": best,
        "levels_holding": holding,
        "login": {
            **summarize(login_ok),
            "errors": sum(1 for s in logins if not s.ok),
            "error_examples": sorted({f"{s.kind}: {s.error}" for s in logins if not s.ok})[:5],
            "seconds_for_all": round(login_seconds, 1),
        },
        "config": {
            "levels": levels,
            "duration_s": cfg.duration_s,
            "think_s": list(cfg.think_s),
            "feedback_s": list(cfg.feedback_s),
            "timeout_s": cfg.timeout_s,
            "clock": cfg.clock,
            "fetch_media": cfg.fetch_media,
        },
    }


def p95_of(samples: Sequence[float]) -> float | None:
    return percentile(samples, 95)
