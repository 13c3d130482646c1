"""``GET /api/clip``: signed links to the caller's voice, called as the ASGI server calls
them. The access rules are the practice service's own; the clip itself is a fixed WAV
here (rendering speech is tested in tests/audio), so each test is about the route."""

from __future__ import annotations

from urllib.parse import parse_qs, urlencode, urlsplit

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app import clip_route
from app.clip_route import CLIP_PATH, clip_link
from app.services import accounts, practice
from app.settings import get_settings
from tests.asgi import request
from tests.services.test_practice_support import KNIFE_TEXT, store

PAGE = "http://127.0.0.1:8501/practice"
WAV = b"RIFF" + bytes(range(256)) * 8  # what "speech" says for every clip here


@pytest.fixture
def call(database, world, monkeypatch):
    """A trainee on a call: (their live login id, the attempt id)."""
    import app.services.practice.clips as clips

    monkeypatch.setattr(clips, "scenario_clip", lambda data, item, protocol: WAV)
    version = store(world.agencies["a"], KNIFE_TEXT)
    attempt_id = practice.start_attempt(
        actor=world["trainee-a"], scenario_version_id=version, mode="standard"
    )
    return accounts.begin_login(actor=world["trainee-a"]).session_id, attempt_id


def get(url: str, headers: dict | None = None) -> tuple[int, dict[str, str], bytes]:
    """(status, headers, body) of one GET through the route."""
    parts = urlsplit(url)
    status, pairs, body = request(
        clip_route.routes(), "GET", parts.path, query=parts.query, headers=headers
    )
    return status, dict(pairs), body


def _with(url: str, **changes) -> str:
    """The same link with some of its fields changed (the signature left as it was)."""
    parts = urlsplit(url)
    query = {k: v[0] for k, v in parse_qs(parts.query).items()} | changes
    return f"{parts.scheme}://{parts.netloc}{parts.path}?{urlencode(query)}"


def test_a_signed_link_serves_the_clip_privately_to_the_browser(call):
    login_id, attempt_id = call
    link = clip_link(PAGE, login_id=login_id, attempt_id=attempt_id, item="opening")
    assert link.startswith("http://127.0.0.1:8501" + CLIP_PATH + "?")
    status, headers, body = get(link)
    assert (status, body) == (200, WAV)
    assert headers["content-type"] == "audio/wav"
    assert headers["accept-ranges"] == "bytes"
    keep = get_settings().session_max_hours * 3600
    assert headers["cache-control"] == f"private, max-age={keep}"


def test_the_link_is_on_the_server_the_page_came_from():
    link = clip_link("https://academy.example.org/practice?x=1", login_id=1, attempt_id=2, item="a")
    assert link.startswith("https://academy.example.org/api/clip?")


def test_a_range_request_gets_that_part(call):
    login_id, attempt_id = call
    link = clip_link(PAGE, login_id=login_id, attempt_id=attempt_id, item="opening")
    status, headers, body = get(link, {"range": "bytes=4-99"})
    assert (status, body) == (206, WAV[4:100])
    assert headers["content-range"] == f"bytes 4-99/{len(WAV)}"
    status, headers, _ = get(link, {"range": f"bytes={len(WAV)}-"})
    assert status == 416 and headers["content-range"] == f"bytes */{len(WAV)}"


@pytest.mark.parametrize(
    "change",
    [
        {"item": "weapons"},  # another clip with this clip's signature
        {"attempt": "999"},
        {"login": "999"},
        {"sig": "0" * 32},
        {"sig": ""},
        {"login": "x"},
        {"login": "\u00b2"},  # a digit to str.isdigit(), not to int()
        {"attempt": "9" * 5000},
        {"item": "<script>"},
        {"item": "opening\n"},
    ],
)
def test_a_changed_link_is_refused_with_a_bare_404(call, change):
    login_id, attempt_id = call
    link = clip_link(PAGE, login_id=login_id, attempt_id=attempt_id, item="opening")
    status, headers, body = get(_with(link, **change))
    assert (status, body) == (404, b"")
    assert headers["cache-control"] == "no-store"


def test_an_answer_is_heard_only_after_the_question_is_asked(call, world):
    login_id, attempt_id = call
    link = clip_link(PAGE, login_id=login_id, attempt_id=attempt_id, item="weapons")
    assert get(link)[0] == 404
    practice.ask_question(actor=world["trainee-a"], attempt_id=attempt_id, question_id="weapons")
    assert get(link)[0] == 200


def test_a_link_stops_working_when_its_login_ends(call):
    login_id, attempt_id = call
    link = clip_link(PAGE, login_id=login_id, attempt_id=attempt_id, item="opening")
    assert get(link)[0] == 200
    accounts.end_login_session(login_id)
    assert get(link)[0] == 404


def test_another_users_login_cannot_hear_this_call(call, world):
    _, attempt_id = call
    for who in ("trainee-b", "trainer-a", "supervisor-a"):
        theirs = accounts.begin_login(actor=world[who]).session_id
        link = clip_link(PAGE, login_id=theirs, attempt_id=attempt_id, item="opening")
        assert get(link)[0] == 404, who


def test_a_page_without_a_login_makes_no_working_link(call):
    _, attempt_id = call
    assert get(clip_link(PAGE, login_id=0, attempt_id=attempt_id, item="opening"))[0] == 404


@given(
    login_id=st.integers(1, 10**9),
    attempt_id=st.integers(1, 10**9),
    item=st.from_regex(r"[A-Za-z0-9_:.-]{1,80}", fullmatch=True),
    other=st.integers(1, 10**9),
)
def test_a_signature_fits_only_its_own_fields(login_id, attempt_id, item, other):
    sign = clip_route._signature
    mine = sign(login_id, attempt_id, item)
    assert mine == sign(login_id, attempt_id, item)
    if other != login_id:
        assert mine != sign(other, attempt_id, item)
    if other != attempt_id:
        assert mine != sign(login_id, other, item)
    assert mine != sign(login_id, attempt_id, item + "x")


@given(
    data=st.binary(min_size=1, max_size=300),
    first=st.none() | st.integers(0, 400),
    last=st.none() | st.integers(0, 400),
)
def test_a_range_answer_is_the_slice_it_names(data, first, last):
    header = f"bytes={'' if first is None else first}-{'' if last is None else last}"
    status, body, headers = clip_route._part(data, header)
    size = len(data)
    if status == 416:
        assert body == b"" and headers == {"Content-Range": f"bytes */{size}"}
        return
    assert status == 206
    start, end = (int(n) for n in headers["Content-Range"][6:].split("/")[0].split("-"))
    assert headers["Content-Range"].endswith(f"/{size}")
    assert 0 <= start <= end < size and body == data[start : end + 1]
    if first is not None:
        assert start == first
    elif last is not None:
        assert end == size - 1 and len(body) == min(last, size)


def test_no_range_or_a_range_it_does_not_read_gets_the_whole_clip():
    for header in (
        None,
        "",
        "items=0-3",
        "bytes=1-2,5-6",
        "bytes=\u00b2-",
        "bytes=" + "9" * 5000 + "-",
    ):
        assert clip_route._part(WAV, header) == (200, WAV, {})
