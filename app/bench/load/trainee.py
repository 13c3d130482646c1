"""One simulated trainee: a browser tab on Streamlit's websocket, taking calls.

See :mod:`app.bench.load` for the protocol and what a trainee does.
"""

from __future__ import annotations

import asyncio
import random
import time
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from app.bench.load.wire import (
    ASK_KEY,
    CALL_TYPES,
    MODE_LABELS,
    PRIORITIES,
    QUESTIONS_FIRST,
    STATUS_COMPILE_ERROR,
    STATUS_EARLY,
    TYPED_FIRST,
    TYPED_KEY,
    TYPED_MORE,
    LoadConfig,
    LoadError,
    Sample,
    Widget,
    _cookies_from,
    _widget_from,
    http_get,
)

if TYPE_CHECKING:
    from streamlit.proto.WidgetStates_pb2 import WidgetState
    from websockets.asyncio.client import ClientConnection


class SimTrainee:
    """One browser tab: a websocket session and the widget values the page holds."""

    def __init__(self, cfg: LoadConfig, username: str, password: str, rng: random.Random):
        self.cfg, self.username, self.password, self.rng = cfg, username, password, rng
        self.ws: ClientConnection | None = None
        self.cookies: dict[str, str] = {}
        self.session_id = ""
        self.pages: dict[str, str] = {}  # url path -> page script hash
        self.page_hash = ""
        self.page_name = ""
        self.widgets: dict[str, Widget] = {}  # by key, else by label
        self.values: dict[str, WidgetState] = {}  # widget id -> its state (non-trigger)
        self.fragments: dict[str, float] = {}  # fragment id -> interval (s)
        self.media_seen: set[str] = set()
        self.dq_decided: set[int] = set()
        self.typed_count: dict[int, int] = {}  # attempt id -> questions typed so far
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
        from websockets.typing import Origin, Subprotocol

        if not resume:
            status, headers, _ = await http_get(
                self.cfg.base_url, "/", self.cookie_header, self.cfg.timeout_s
            )
            if status != 200:
                raise LoadError(f"GET / answered {status}")
            self.cookies.update(_cookies_from(headers.get("set-cookie", "")))
        parts = urlsplit(self.cfg.base_url)
        extra = {"Cookie": self.cookie_header} if self.cookies else {}
        names = ["streamlit", "no-xsrf", resume] if resume else ["streamlit"]
        self.ws = await websockets.connect(
            f"ws://{parts.netloc}/_stcore/stream",
            subprotocols=[Subprotocol(name) for name in names],
            origin=Origin(f"http://{parts.netloc}"),
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
        # A browser reports its address with every rerun; the call screen links the
        # caller's clips (/api/clip) to it.
        cs.context_info.url = f"{self.cfg.base_url.rstrip('/')}/{self.page_name}"
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
        ws = self.ws
        if ws is None:
            raise LoadError("rerun before the websocket was opened")
        await ws.send(msg.SerializeToString())
        while True:
            data = await ws.recv()
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
        parts = urlsplit(url)  # a link to /api/clip is absolute; Streamlit's /media is not
        path = f"{parts.path}?{parts.query}" if parts.query else parts.path
        try:
            status, _, size = await http_get(
                self.cfg.base_url, path, self.cookie_header, self.cfg.timeout_s
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
            match = ASK_KEY.match(key) or TYPED_KEY.match(key)
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
            if start is None:  # never: the landing screen is the one with this button
                raise LoadError("no Start call button on the landing screen")
            return await self.act("start", [self.state(start, trigger_value=True)])
        if screen == "grade":
            await self.think(self.cfg.feedback_s, deadline)
            if not self.alive or time.monotonic() >= deadline:
                return True
            return await self.act(
                "start", [self.state(self.widgets["practice.next"], trigger_value=True)]
            )
        if attempt is None:  # never: a call screen always carries its attempt id
            raise LoadError("a call screen without its attempt id")
        return await self._call_step(attempt)

    async def _type_question(self, attempt: int, box: Widget) -> bool | None:
        """Type the next question and press Enter (the form's Ask); None when done asking."""
        count = self.typed_count.get(attempt, 0)
        if count >= len(TYPED_FIRST) + 2:
            return None
        submit = next(
            (w for w in self.widgets.values() if w.label == "Ask" and w.form_id == box.form_id),
            None,
        )
        if submit is None:
            raise LoadError("a question box without its Ask button")
        self.typed_count[attempt] = count + 1
        text = TYPED_FIRST[count] if count < len(TYPED_FIRST) else self.rng.choice(TYPED_MORE)
        return await self.act(
            "ask",
            [self.state(box, string_value=text), self.state(submit, trigger_value=True)],
        )

    async def _call_step(self, attempt: int) -> bool:
        prefix = f"call{attempt}."
        call_back = self.widgets.get(prefix + "callback")
        if call_back is not None and not call_back.disabled:  # a dropped call: ring back first
            return await self.act("ask", [self.state(call_back, trigger_value=True)])
        box = self.widgets.get(prefix + "typed")
        if box is not None:
            typed = await self._type_question(attempt, box)
            if typed is not None:
                return typed
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
