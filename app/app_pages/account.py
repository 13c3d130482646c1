"""Account: who you are, change your password, log out."""

import streamlit as st

from app.errors import UserError
from app.services.accounts import agency_of, change_password
from app.ui.session import current_actor, log_out

actor = current_actor()
if actor is None:
    st.error("Please log in first.")
    st.stop()

st.title("Account")
agency = agency_of(actor=actor)
st.write(f"**{actor.display_name}** ({actor.username}) · {actor.role} · {agency['name']}")

with st.form("password"):
    st.subheader("Change password")
    current = st.text_input("Current password", type="password")
    new = st.text_input("New password (at least 8 characters)", type="password")
    if st.form_submit_button("Change password"):
        try:
            change_password(actor=actor, current=current, new=new)
            st.success("Password changed.")
        except UserError as exc:
            st.error(str(exc))

if st.button("Log out", type="primary"):
    log_out()
    st.rerun()
