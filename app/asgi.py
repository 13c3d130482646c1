"""The web app Streamlit serves: the pages, the login-cookie routes, the LRS sender.

``python -m app serve`` runs ``streamlit run app/asgi.py``. Streamlit finds ``app`` (an
``st.App``) here and serves it with its own server: every browser session runs
``app/streamlit_app.py`` as before. Beside Streamlit's own routes (and its ``/auth/login``,
``/oauth2callback`` and ``/auth/logout`` for single sign-on), ``app/session_routes.py``
adds ``POST /api/session`` and ``POST /api/session/logout``, and ``app/clip_route.py``
adds ``GET /api/clip`` (the caller's voice).

While the server runs, a background thread delivers learning records (xAPI statements
waiting in the outbox) to the LRS when ``LRS_URL`` is set (``app/services/lrs/``). Each
replica runs its own; they share the outbox safely.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import streamlit as st

from app import clip_route, session_routes

log = logging.getLogger(__name__)


@asynccontextmanager
async def lifespan(_app: Any) -> AsyncIterator[None]:
    from app.errors import UserError
    from app.services.lrs import start_background_sender

    sender = None
    try:
        sender = start_background_sender()
    except UserError as exc:  # a bad setting: the pages still work, the admin page says why
        log.warning("learning records are not sent: %s", exc)
    try:
        yield None
    finally:
        if sender is not None:
            sender.stop()


app = st.App(
    Path(__file__).with_name("streamlit_app.py"),
    routes=[*session_routes.routes(), *clip_route.routes()],
    lifespan=lifespan,
)
