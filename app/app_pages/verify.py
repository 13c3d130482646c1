"""Verify a certificate: public, no login. Shows only what the certificate itself shows."""

import streamlit as st

from app.services import certification
from app.ui.grade_card import plain
from app.ui.session import client_address
from app.ui.tables import day_date

DONE = "verify.prefilled"

# Lookups are limited per client address in the database (certification.verify_lookup),
# so a new browser session or another replica does not reset the count.


st.title("Verify a certificate")
st.write(
    "Type the verification code printed on a CallScreen Academy certificate to see "
    "whether it is valid. Letters and digits only; case, spaces and dashes do not matter."
)

from_link = str(st.query_params.get("code", ""))[:64]
with st.form("verify.form"):
    code = st.text_input(
        "Verification code", value=from_link, max_chars=32, placeholder="e.g. 7KQM-3WXT-HN9C"
    )
    submitted = st.form_submit_button("Check", type="primary", icon=":material/search:")

# A link with ?code=... is checked once on arrival.
if from_link and not st.session_state.get(DONE):
    st.session_state[DONE] = True
    submitted, code = True, from_link

if submitted:
    try:
        result = certification.verify_lookup(code, client_address=client_address())
    except certification.TooManyLookups as exc:
        st.warning(str(exc), icon=":material/hourglass_top:")
    else:
        if not result["found"]:
            st.error("No certificate with this code was found.", icon=":material/search_off:")
        else:
            status = result["status"]
            issued, expires, revoked = (
                day_date(result[k], long_month=True)
                for k in ("issued_on", "expires_on", "revoked_on")
            )
            if status == "valid":
                st.success(
                    f"Valid certificate, until {expires}.",
                    icon=":material/verified:",
                )
            elif status == "expired":
                st.warning(
                    f"This certificate expired on {expires}.",
                    icon=":material/schedule:",
                )
            else:
                st.error(
                    f"This certificate was revoked on {revoked}.",
                    icon=":material/block:",
                )
            with st.container(border=True):
                st.markdown(f"**Holder:** {plain(result['holder'])}")
                st.markdown(f"**Agency:** {plain(result['agency'])}")
                st.markdown(f"**Certification:** {plain(result['track'])}")
                st.markdown(f"**Issued:** {issued}")
                label = "Expired" if status == "expired" else "Valid until"
                st.markdown(f"**{label}:** {expires}")
                if result["revoked_on"]:
                    st.markdown(f"**Revoked:** {revoked}")
                st.caption(f"Code {result['code']}")
