"""The supervisor's download of the training records (docs/records-export.md)."""

from __future__ import annotations

import streamlit as st

from app.services.access import Actor
from app.services.records_export import records_csv


def records_download(actor: Actor) -> None:
    """A download button; the CSV is built only when it is clicked."""
    st.download_button(
        "Download training records (CSV)",
        data=lambda: records_csv(actor=actor),
        file_name="training-records.csv",
        mime="text/csv",
        help="One row per trainee and certificate: hours on calls, calls and pass rates, "
        "certificates with their dates and verify address. For your records system.",
        on_click="ignore",
    )
