"""Single sign-on on the page: Streamlit's ``st.login``/``st.user``, handed to our session.

Streamlit runs the OpenID Connect exchange and keeps the identity in its own cookie. The
login page hands that identity to :func:`app.services.sso.sign_in` once, right after the
provider sent the user back, and starts our own login (``app/ui/session.py``); from then on
our HttpOnly session cookie is the one session. Logging out ends it and calls
``st.logout()``, which clears Streamlit's identity cookie and ends the session at the
provider too (where it offers that).
"""

from __future__ import annotations

from typing import Any

import streamlit as st

from app.errors import SettingsError
from app.services import sso
from app.services.access import Actor


def secrets_data() -> dict[str, Any]:
    """``st.secrets`` as plain data ({} when there is no secrets file)."""
    try:
        return dict(st.secrets.to_dict())
    except Exception:  # no secrets file, or one Streamlit cannot read
        return {}


def providers() -> list[sso.Provider]:
    """The configured providers; a broken setup shows none (the admin page says why)."""
    try:
        return sso.providers(secrets_data())
    except SettingsError:
        return []


def identity_signed_in() -> bool:
    try:
        return bool(st.user.is_logged_in)
    except Exception:  # no browser context (AppTest, bare mode)
        return False


def hand_over() -> Actor:
    """The actor Streamlit's identity signs in; raises a one-line UserError otherwise."""
    claims = st.user.to_dict()
    return sso.sign_in(
        secrets_data=secrets_data(),
        provider_name=str(claims.get("provider") or ""),
        claims=claims,
    )


def end_identity_session() -> None:
    """After our logout: end Streamlit's identity (and the provider's session) too.

    The run stops here: ``st.logout()`` sends the browser to ``/auth/logout``, and a
    rerun would clear that message from the queue before it left.
    """
    if identity_signed_in():
        st.logout()
        st.stop()
