"""Who is logged in, checked on the server at the top of every page."""

from __future__ import annotations

import streamlit as st

from app.errors import AccessDenied
from app.services.access import Actor, require
from app.services.accounts import load_actor

USER_KEY = "user_id"


def current_actor() -> Actor | None:
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        return None
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


def log_out() -> None:
    st.session_state.clear()
