"""Account: who you are, change your password, log out.

A user holding a one-time password from an admin sees only the form to set a new one.
"""

import streamlit as st

from app.services.accounts import agency_of
from app.ui.session import current_actor, log_out, password_change_form

actor = current_actor()
if actor is None:
    st.error("Please log in first.")
    st.stop()

if actor.must_change_password:
    password_change_form(actor, forced=True)
    st.stop()

st.title("Account")
agency = agency_of(actor=actor)
st.text(f"{actor.display_name} ({actor.username}) · {actor.role.capitalize()} · {agency['name']}")

password_change_form(actor)

if st.button("Log out", type="primary", key="account.logout"):
    log_out()
    st.rerun()
