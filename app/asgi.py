"""The web app Streamlit serves: the pages, plus the routes that set the login cookie.

``python -m app serve`` runs ``streamlit run app/asgi.py``. Streamlit finds ``app`` (an
``st.App``) here and serves it with its own server: every browser session runs
``app/streamlit_app.py`` as before, and ``app/session_routes.py`` adds
``POST /api/session`` and ``POST /api/session/logout`` beside Streamlit's own routes.
"""

from pathlib import Path

import streamlit as st

from app.session_routes import routes

app = st.App(Path(__file__).with_name("streamlit_app.py"), routes=routes())
