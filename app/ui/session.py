"""Who is logged in, checked on the server at the top of every page.

A login also sets a cookie holding a random token (only its hash is in the
database), so a page refresh or a dropped connection keeps the trainee logged in
and their call in progress. Logging out revokes the token.
"""

from __future__ import annotations

import json

import streamlit as st

from app.errors import AccessDenied
from app.services.access import Actor, require
from app.services.accounts import (
    LOGIN_SESSION_HOURS,
    actor_for_token,
    close_login_session,
    load_actor,
    open_login_session,
)

USER_KEY = "user_id"
COOKIE = "callscreen_session"
_PENDING_COOKIE = "_pending_cookie"


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        return None
    return token if isinstance(token, str) else None


def current_actor() -> Actor | None:
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        token = _cookie_token()
        actor = actor_for_token(token) if token else None
        if actor is not None:
            st.session_state[USER_KEY] = actor.user_id
        return actor
    actor = load_actor(int(user_id))
    if actor is None:  # account disabled or removed since login
        st.session_state.pop(USER_KEY, None)
    return actor


def page_actor(permission: str) -> Actor:
    """The actor if it may see this page; otherwise an error and the page stops."""
    actor = current_actor()
    try:
        return require(actor, permission)
    except AccessDenied as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() ends the script


def log_in(actor: Actor) -> None:
    st.session_state.clear()
    st.session_state[USER_KEY] = actor.user_id
    token = open_login_session(actor=actor)
    st.session_state[_PENDING_COOKIE] = (
        f"{COOKIE}={token}; path=/; max-age={LOGIN_SESSION_HOURS * 3600}; SameSite=Strict"
    )


def log_out() -> None:
    token = _cookie_token()
    if token:
        close_login_session(token)
    st.session_state.clear()
    st.session_state[_PENDING_COOKIE] = f"{COOKIE}=; path=/; max-age=0; SameSite=Strict"


def sync_login_cookie() -> None:
    """Write a pending login/logout cookie in the browser (our own token, never user text)."""
    cookie = st.session_state.pop(_PENDING_COOKIE, None)
    if cookie:
        st.html(
            f"<script>document.cookie = {json.dumps(cookie)};</script>",
            unsafe_allow_javascript=True,
        )
