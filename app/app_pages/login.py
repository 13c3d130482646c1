"""Log in: with the agency's account (single sign-on) where one is set up, or a password."""

import streamlit as st

from app.errors import UserError
from app.services.accounts import authenticate
from app.services.sso import StaleSignIn
from app.ui import sso
from app.ui.session import client_address, log_in

st.title("CallScreen Academy")
st.caption(
    "Training and certification for 911 call takers who screen calls for community responders."
)

left, _ = st.columns([1, 1])

# Back from the identity provider: hand its sign-in over to our own login, once.
if sso.identity_signed_in():
    try:
        actor = sso.hand_over()
    except StaleSignIn:
        pass  # an old identity: the buttons below start a fresh sign-in
    except UserError as exc:
        left.error(str(exc))
        left.button("Sign out of the agency account", on_click=st.logout)
    else:
        log_in(actor)
        st.rerun()

for provider in sso.providers():
    if left.button(f"Log in with your {provider.label}", key=f"sso-{provider.name}"):
        st.login(provider.name)

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
