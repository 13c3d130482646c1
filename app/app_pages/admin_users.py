"""Admin: the users of this center."""

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services.accounts import admin_create_user, agency_of, list_users, set_active
from app.store.models import ROLES
from app.ui.session import page_actor

actor = page_actor("manage_users")
agency = agency_of(actor=actor)
st.title("Users")
st.caption(f"{agency['name']} · dispatch model: {agency['dispatch_model'].replace('_', ' ')}")

users = list_users(actor=actor)
st.dataframe(pd.DataFrame(users), hide_index=True, width="stretch")

with st.form("new_user", clear_on_submit=True):
    st.subheader("Add a user")
    cols = st.columns(2)
    username = cols[0].text_input("User name")
    name = cols[1].text_input("Full name")
    role = cols[0].selectbox("Role", ROLES)
    password = cols[1].text_input("First password (at least 8 characters)", type="password")
    if st.form_submit_button("Add user", type="primary"):
        try:
            admin_create_user(
                actor=actor, username=username, display_name=name, role=role, password=password
            )
            st.success(f"Added {username}.")
            st.rerun()
        except UserError as exc:
            st.error(str(exc))

others = [u for u in users if u["id"] != actor.user_id]
if others:
    st.subheader("Enable or disable")
    labels = {u["id"]: f"{u['name']} ({u['username']}, {u['role']})" for u in others}
    chosen = st.selectbox("User", list(labels), format_func=lambda uid: labels[uid])
    current = next(u for u in others if u["id"] == chosen)
    label = "Disable" if current["active"] else "Enable"
    if st.button(label):
        try:
            set_active(actor=actor, user_id=chosen, active=not current["active"])
            st.rerun()
        except UserError as exc:
            st.error(str(exc))
