"""Who is logged in, checked on the server at the top of every page.

A login is a login session in the database (``app/services/accounts/``). The browser
tab keeps its id in ``st.session_state`` and every action checks it again, so a login
ended elsewhere (logout, idle timeout, the 12-hour limit, the user disabled, their role
or password changed) logs the open tab out at its next action.

So that a page refresh or a dropped connection keeps the trainee logged in, the browser
also gets an HttpOnly cookie. A page cannot set such a cookie, so after a login the page
sends the login's one-time code to ``POST /api/session`` (``app/session_routes.py``),
which answers with the cookie; logging out calls ``POST /api/session/logout``. Page
scripts never see the token.

A user whose password an admin set (a new user's first one, or a reset) logs in with it and sees
only the form to set a new one: :func:`page_actor` shows it in place of any page, and
every service refuses them too (``Actor.must_change_password`` in ``require``).
"""

from __future__ import annotations

import json

import streamlit as st

from app.errors import AccessDenied, UserError
from app.services.access import Actor, PasswordChangeRequired, require
from app.services.accounts import (
    begin_login,
    change_password,
    check_login_session,
    end_login_session,
    load_actor,
    login_session_for_token,
)
from app.session_routes import COOKIE, LOGOUT_PATH, SESSION_PATH
from app.ui.sso import end_identity_session

USER_KEY = "user_id"
LOGIN_KEY = "login_session_id"
_PENDING_COOKIE = "_pending_cookie"  # ("set", code) or ("clear", None), sent on the next run
ENDED_NOTICE = "Your login has ended. Please log in again."
FORCED_TITLE = "Set a new password"
FORCED_TEXT = (
    "An administrator set your password. Before you go on, choose a password of your own."
    " Type the password you were given, then your new password twice."
)


def _cookie_token() -> str | None:
    try:
        token = st.context.cookies.get(COOKIE)
    except Exception:  # no browser context (AppTest, bare mode)
        return None
    return token if isinstance(token, str) else None


def page_url() -> str | None:
    """The browser's address of this page (None without a browser, as in page tests)."""
    try:
        url = st.context.url
    except Exception:  # no browser context (bare mode)
        return None
    return url if isinstance(url, str) and url.startswith(("http://", "https://")) else None


def client_address() -> str | None:
    """The browser's address as the server saw it, for login throttling.

    Behind a proxy listed in ``TRUSTED_PROXIES`` the server has already replaced the
    proxy's address with the forwarded one. Streamlit reports a loopback peer as None.
    """
    try:
        address = st.context.ip_address
        in_browser = bool(st.context.headers)
    except Exception:  # no browser context (AppTest, bare mode)
        return None
    if address:
        return address
    return "127.0.0.1" if in_browser else None


def _login_ended() -> None:
    st.session_state.clear()
    st.session_state[_PENDING_COOKIE] = ("clear", None)
    st.toast(ENDED_NOTICE)


def current_actor() -> Actor | None:
    login_id = st.session_state.get(LOGIN_KEY)
    if login_id is not None:
        actor = check_login_session(int(login_id))
        if actor is None:
            _login_ended()
        return actor
    user_id = st.session_state.get(USER_KEY)
    if user_id is None:
        token = _cookie_token()
        found = login_session_for_token(token) if token else None
        if found is None:
            return None
        st.session_state[LOGIN_KEY], actor = found
        st.session_state[USER_KEY] = actor.user_id
        return actor
    # A user id without a login session is only ever put there by page tests (AppTest).
    actor = load_actor(int(user_id))
    if actor is None:  # account disabled or removed since
        st.session_state.pop(USER_KEY, None)
    return actor


def page_actor(permission: str) -> Actor:
    """The actor if it may see this page; otherwise an error and the page stops."""
    actor = current_actor()
    try:
        return require(actor, permission)
    except PasswordChangeRequired:
        assert actor is not None  # require refuses None with a plain AccessDenied
        password_change_form(actor, forced=True)
        st.stop()
        raise  # unreachable: st.stop() ends the script
    except AccessDenied as exc:
        st.error(str(exc))
        st.stop()
        raise  # unreachable: st.stop() ends the script


def password_change_form(actor: Actor, *, forced: bool = False) -> None:
    """The change-password form. A change ends every login, so the user logs in again.

    ``forced``: the user holds a one-time password from an admin; the form is all they see.
    """
    if forced:
        st.title(FORCED_TITLE)
        st.info(FORCED_TEXT, icon=":material/key:")
    with st.form("session.password", clear_on_submit=False):
        if not forced:
            st.subheader("Change password", anchor=False)
        current = st.text_input(
            "One-time password" if forced else "Current password",
            type="password",
            autocomplete="current-password",
        )
        new = st.text_input(
            "New password (at least 8 characters)", type="password", autocomplete="new-password"
        )
        again = st.text_input("New password again", type="password", autocomplete="new-password")
        submitted = st.form_submit_button(
            "Set my new password" if forced else "Change password", type="primary"
        )
    if not submitted:
        return
    if new != again:
        st.error("The two new passwords are not the same. Type them again.")
        return
    try:
        change_password(actor=actor, current=current, new=new)
    except UserError as exc:
        st.error(str(exc))
        return
    log_out()
    st.success("Your password is changed. Log in again with your new password.")
    if st.button("Go to the login page", type="primary"):
        st.rerun()


def log_in(actor: Actor) -> None:
    """Start a login for an actor ``authenticate`` returned; the cookie follows."""
    pending = begin_login(actor=actor)
    st.session_state.clear()
    st.session_state[USER_KEY] = actor.user_id
    st.session_state[LOGIN_KEY] = pending.session_id
    st.session_state[_PENDING_COOKIE] = ("set", pending.code)


def log_out() -> None:
    login_id = st.session_state.get(LOGIN_KEY)
    if login_id is not None:
        end_login_session(int(login_id))
    st.session_state.clear()
    st.session_state[_PENDING_COOKIE] = ("clear", None)
    end_identity_session()  # signed in through the agency's identity provider: end that too


def sync_login_cookie() -> None:
    """After a login or logout, have the browser fetch or clear its cookie.

    The script holds our own one-time code, never user text. When the request is done,
    ``<html data-callscreen-session>`` says ``set``, ``cleared`` or ``failed``.
    """
    pending = st.session_state.pop(_PENDING_COOKIE, None)
    if not pending:
        return
    kind, code = pending
    path, body, done = (
        (SESSION_PATH, {"code": code}, "set") if kind == "set" else (LOGOUT_PATH, {}, "cleared")
    )
    st.html(
        "<script>(() => {"
        "const mark = (v) => { document.documentElement.dataset.callscreenSession = v; };"
        "mark('pending');"
        f"fetch({json.dumps(path)}, {{method: 'POST', credentials: 'same-origin',"
        " cache: 'no-store', headers: {'Content-Type': 'application/json'},"
        f" body: {json.dumps(json.dumps(body))}}})"
        f".then((r) => mark(r.ok ? {json.dumps(done)} : 'failed'), () => mark('failed'));"
        "})();</script>",
        unsafe_allow_javascript=True,
    )
