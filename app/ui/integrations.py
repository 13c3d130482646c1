"""The admin's view of single sign-on and learning records: one plain line each.

Shown at the foot of the admin's users page, with the form that records the e-mail a
user's first single sign-on is matched to. The provider check reads each identity
provider's discovery document, so it is cached for a few minutes; the outbox counts are
one small query.
"""

from __future__ import annotations

import hashlib
import json

import streamlit as st

from app.errors import UserError
from app.services import lrs, sso
from app.services.access import Actor
from app.ui.sso import secrets_data

CHECK_SECONDS = 300


@st.cache_data(ttl=CHECK_SECONDS, show_spinner=False)
def _provider_lines(_secrets: dict, secrets_key: str, agency_id: int) -> list[tuple[bool, str]]:
    """Cached per secrets file and agency; reached only after the admin check passed."""
    return sso.agency_lines(_secrets, agency_id)


def _show(ok: bool, line: str) -> None:
    if ok:
        st.success(line)
    else:
        st.error(line)


def render_integrations(actor: Actor) -> None:
    """Single sign-on and LRS status for the admin's agency (one line each)."""
    st.subheader("Single sign-on and learning records")
    try:
        status = lrs.admin_status(actor=actor)  # checks the role and agency
    except UserError as exc:
        st.error(str(exc))
        return
    data = secrets_data()
    key = hashlib.sha256(json.dumps(data, sort_keys=True, default=str).encode()).hexdigest()
    for ok, line in _provider_lines(data, key, actor.agency_id):
        _show(ok, line)
    _show(status["ok"], status["line"])
    st.write(
        f"Learning records of your agency: {status['pending']} waiting, "
        f"{status['sent']} sent, {status['rejected']} refused by the LRS."
    )
    if status["last_problem"]:
        st.warning(f"Last problem sending: {status['last_problem']}")
    if status["rejected_rows"]:
        with st.expander("Refused statements and the LRS's reasons"):
            st.dataframe(
                [
                    {"statement": r["statement_id"], "event": r["event"], "reason": r["reason"]}
                    for r in status["rejected_rows"]
                ],
                hide_index=True,
            )

    _email_form(actor)


def _email_form(actor: Actor) -> None:
    users = sso.user_emails(actor=actor)
    if not users:
        return
    with st.form("integrations.email"):
        st.markdown("**E-mail for single sign-on**")
        st.caption(
            "A user's first sign-in with the agency account is matched to this address "
            "(the identity provider must say it is verified)."
        )
        by_id = {u["id"]: u for u in users}
        chosen = st.selectbox(
            "User",
            list(by_id),
            format_func=lambda uid: (
                f"{by_id[uid]['name']} ({by_id[uid]['username']})"
                + (" · linked" if by_id[uid]["linked"] else "")
            ),
            key="integrations.email_user",
        )
        email = st.text_input(
            "E-mail address",
            placeholder=by_id[chosen]["email"] if chosen in by_id else "",
            key="integrations.email_value",
            help="Leave empty to remove the address.",
        )
        if st.form_submit_button("Save e-mail"):
            try:
                sso.set_email(actor=actor, user_id=int(chosen), email=email)
            except UserError as exc:
                st.error(str(exc))
            else:
                st.success("E-mail saved." if email.strip() else "E-mail removed.")
