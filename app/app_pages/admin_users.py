"""Admin: the users of this center (add, change a role, reset a password, disable).

Every action goes through ``app.services.accounts``, which checks that the actor is an
admin of the same agency. Messages survive the rerun that follows an action through
``admin_users.flash``; a one-time password is shown once and then forgotten.
"""

from collections.abc import Mapping

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services.accounts import (
    admin_create_user,
    agency_of,
    list_users,
    reset_password,
    set_active,
    set_role,
)
from app.store.models import ROLES
from app.ui.integrations import render_integrations
from app.ui.session import page_actor

FLASH = "admin_users.flash"  # (kind, text) shown once at the top
ONE_TIME = "admin_users.one_time"  # (name, password) shown once
CONFIRM = "admin_users.confirm"  # user id waiting for "Yes, disable"
NEW_FIELDS = ("admin_users.new_username", "admin_users.new_name", "admin_users.new_password")

actor = page_actor("manage_users")


def _role_label(role: str) -> str:
    return role.capitalize()


def _logins(count: int) -> str:
    return "1 open login" if count == 1 else f"{count} open logins"


def _status(user: Mapping) -> str:
    if not user["active"]:
        return "Disabled"
    if user["must_change_password"]:
        return "New password due"
    return "Active"


def _flash(kind: str, text: str) -> None:
    st.session_state[FLASH] = (kind, text)


def _add_user() -> None:
    state = st.session_state
    try:
        admin_create_user(
            actor=actor,
            username=state.get("admin_users.new_username", ""),
            display_name=state.get("admin_users.new_name", ""),
            role=state.get("admin_users.new_role", "trainee"),
            password=state.get("admin_users.new_password", ""),
        )
    except UserError as exc:
        _flash("error", f"Not added: {exc}")  # the fields keep what was typed
        return
    name = state.get("admin_users.new_username", "").strip().lower()
    _flash(
        "ok",
        f"Added {name}. Give them their first password in person. At their first login "
        "they must choose a password of their own before they can do anything else.",
    )
    for key in NEW_FIELDS:
        state[key] = ""


agency = agency_of(actor=actor)
st.title("Users")
st.caption(f"{agency['name']} · dispatch model: {agency['dispatch_model_label']}")

flash = st.session_state.pop(FLASH, None)
if flash:
    kind, text = flash
    (st.success if kind == "ok" else st.error)(text)

one_time = st.session_state.pop(ONE_TIME, None)
if one_time:
    name, password = one_time
    with st.container(border=True):
        st.markdown("**One-time password**")
        st.text(
            f"Give this password to {name} in person. It is shown only now: it will not be "
            "shown again once you leave or click anything. At their next login they must "
            "choose a password of their own."
        )
        st.code(password, language=None)

users = list_users(actor=actor)
by_id = {u["id"]: u for u in users}
st.dataframe(
    pd.DataFrame(
        [
            {
                "Name": u["name"],
                "User name": u["username"],
                "Role": _role_label(u["role"]),
                "Status": _status(u),
                "Open logins": u["open_logins"],
            }
            for u in users
        ]
    ),
    hide_index=True,
    width="stretch",
)

with st.form("admin_users.new", clear_on_submit=False, border=True):
    st.subheader("Add a user", anchor=False)
    cols = st.columns(2)
    cols[0].text_input("User name", key="admin_users.new_username", autocomplete="off")
    cols[1].text_input("Full name", key="admin_users.new_name", autocomplete="off")
    cols[0].selectbox("Role", ROLES, format_func=_role_label, key="admin_users.new_role")
    cols[1].text_input(
        "First password (at least 8 characters)",
        type="password",
        key="admin_users.new_password",
        autocomplete="new-password",
    )
    st.form_submit_button("Add user", type="primary", on_click=_add_user)


def _change_a_user() -> None:
    """Role, password and access of one chosen user (nobody is chosen at first)."""
    others = [u for u in users if u["id"] != actor.user_id]
    st.subheader("Change a user", anchor=False)
    if not others:
        st.caption("There is no other user in your center yet.")
        return

    chosen = st.selectbox(
        "User",
        [u["id"] for u in others],
        index=None,
        placeholder="Choose a user…",
        format_func=lambda uid: (
            f"{by_id[uid]['name']} ({by_id[uid]['username']}, {_role_label(by_id[uid]['role'])})"
        ),
        key="admin_users.chosen",
    )
    if chosen is None:
        st.caption("Choose a user to change their role, reset their password or disable them.")
        return

    user = by_id[chosen]
    st.text(
        f"{user['name']}: {_role_label(user['role'])} · {_status(user)} · "
        + _logins(user["open_logins"])
    )

    role_col, reset_col, active_col = st.columns(3, gap="large")

    with role_col, st.container(border=True):
        st.markdown("**Role**")
        new_role = st.selectbox(
            "New role",
            ROLES,
            index=ROLES.index(user["role"]),
            format_func=_role_label,
            key=f"admin_users.role.{chosen}",
        )
        st.caption("Changing the role ends the user's open logins; they log in again.")
        if st.button("Change role", key="admin_users.role_go", disabled=new_role == user["role"]):
            try:
                ended = set_role(actor=actor, user_id=chosen, role=new_role)
            except UserError as exc:
                st.error(str(exc))
            else:
                _flash(
                    "ok",
                    f"{user['name']} is now a {_role_label(new_role).lower()}. Ended {_logins(ended)}.",
                )
                st.rerun()

    with reset_col, st.container(border=True):
        st.markdown("**Password**")
        st.caption(
            "Reset gives a one-time password, shown to you once. The user must choose a new "
            "password when they next log in; their open logins end now."
        )
        if st.button("Reset password", key="admin_users.reset_go", disabled=not user["active"]):
            try:
                password = reset_password(actor=actor, user_id=chosen)
            except UserError as exc:
                st.error(str(exc))
            else:
                st.session_state[ONE_TIME] = (user["name"], password)
                _flash("ok", f"Password of {user['name']} reset.")
                st.rerun()

    with active_col, st.container(border=True):
        st.markdown("**Access**")
        if not user["active"]:
            st.caption("Disabled users cannot log in.")
            if st.button("Enable", key="admin_users.enable_go"):
                try:
                    set_active(actor=actor, user_id=chosen, active=True)
                except UserError as exc:
                    st.error(str(exc))
                else:
                    _flash("ok", f"{user['name']} is enabled and may log in again.")
                    st.rerun()
        elif st.session_state.get(CONFIRM) != chosen:
            st.caption("Disabling ends the user's open logins at once and stops new ones.")
            if st.button("Disable…", key="admin_users.disable_ask"):
                st.session_state[CONFIRM] = chosen
                st.rerun()
        else:
            live = user["open_logins"]
            st.warning(
                f"Disable {user['name']} ({user['username']})? "
                + (
                    f"Their {_logins(live)} end at once, and they cannot log in again "
                    if live
                    else "They cannot log in again "
                )
                + "until an admin enables them."
            )
            yes, no = st.columns(2)
            if yes.button("Yes, disable", type="primary", key="admin_users.disable_go"):
                st.session_state.pop(CONFIRM, None)
                try:
                    ended = set_active(actor=actor, user_id=chosen, active=False)
                except UserError as exc:
                    st.error(str(exc))
                else:
                    _flash("ok", f"{user['name']} is disabled. Ended {_logins(ended)}.")
                    st.rerun()
            if no.button("Cancel", key="admin_users.disable_cancel"):
                st.session_state.pop(CONFIRM, None)
                st.rerun()


_change_a_user()

st.divider()
render_integrations(actor)  # single sign-on and LRS: one line each (issue 21)
