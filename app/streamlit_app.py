"""Streamlit entrypoint: the page setup and role-based navigation, nothing else."""

import streamlit as st

from app.ui.navigation import build_navigation
from app.ui.session import current_actor, sync_login_cookie

st.set_page_config(
    page_title="CallScreen Academy", page_icon=":material/support_agent:", layout="wide"
)
actor = current_actor()
sync_login_cookie()
if actor is not None:
    st.sidebar.caption(f"Signed in as **{actor.display_name}** · {actor.role}")
build_navigation(actor).run()
