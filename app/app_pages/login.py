"""Log in."""

import streamlit as st

from app.errors import UserError
from app.services.accounts import authenticate
from app.ui.session import client_address, log_in

st.title("CallScreen Academy")
st.caption(
    "Training and certification for 911 call takers who screen calls for community responders."
)

left, _ = st.columns([1, 1])
with left, st.form("login"):
    username = st.text_input("User name", autocomplete="username")
    password = st.text_input("Password", type="password", autocomplete="current-password")
    submitted = st.form_submit_button("Log in", type="primary")

if submitted:
    try:
        actor = authenticate(username=username, password=password, client_address=client_address())
    except UserError as exc:
        left.error(str(exc))
    else:
        log_in(actor)
        st.rerun()
