"""Streamlit entrypoint: the page setup and role-based navigation, nothing else."""

import streamlit as st

from app.ui.a11y import FAVICON, render_page_chrome
from app.ui.grade_card import plain
from app.ui.heap import settle_after_new_imports
from app.ui.navigation import build_navigation
from app.ui.session import current_actor, sync_login_cookie

st.set_page_config(page_title="CallScreen Academy", page_icon=FAVICON, layout="wide")
render_page_chrome()
actor = current_actor()
sync_login_cookie()
if actor is not None:
    st.sidebar.caption(f"Signed in as **{plain(actor.display_name)}** · {actor.role.title()}")
build_navigation(actor).run()
settle_after_new_imports()  # after the page ran: its imports are loaded
