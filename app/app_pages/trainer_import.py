"""Trainer: import scenario files (or a zip of them), all or nothing; export the bank."""

import streamlit as st

from app.core.safe_zip import DEFAULT_LIMITS
from app.errors import UserError
from app.services import authoring
from app.services.bank import ImportRejected
from app.ui.session import page_actor

actor = page_actor("author_scenarios")
st.title("Import and export")

limits = DEFAULT_LIMITS
st.subheader("Import", anchor=False)
st.caption(
    f"Upload .yaml or .yml scenario files, or a .zip of them: at most "
    f"{limits.max_total_bytes // (1024 * 1024)} MB at once, {limits.max_files} files, "
    f"{limits.max_file_bytes // 1024} KiB per file, UTF-8 text. Every file is checked "
    "against the scenario format and your agency's protocol; if any file has a problem, "
    "nothing is imported. A scenario that trainees have attempted gets a new version; "
    "otherwise it is updated in place."
)
uploaded = st.file_uploader(
    "Scenario files",
    type=["yaml", "yml", "zip"],
    accept_multiple_files=True,
    max_upload_size=max(1, limits.max_total_bytes // (1024 * 1024)),
    key="import.files",
)
if st.button("Import", type="primary", icon=":material/upload:", disabled=not uploaded):
    # The uploader's type filter only helps the browser; the service checks the bytes.
    uploads = [(f.name, f.getvalue()) for f in uploaded or []]
    try:
        summary = authoring.import_uploads(actor=actor, uploads=uploads)
    except ImportRejected as exc:
        st.error(f"Nothing was imported: {len(exc.problems)} problem(s).", icon=":material/block:")
        # Messages quote file names and the trainer's text: shown as plain text.
        st.code("\n".join(exc.problems), language=None, wrap_lines=True)
    except UserError as exc:
        st.error("Nothing was imported.", icon=":material/block:")
        st.code(str(exc), language=None, wrap_lines=True)
    else:
        st.success(
            f"Imported as drafts: {summary}. Trainees get them once another trainer "
            "approves each one (Scenario bank or Edit scenario).",
            icon=":material/check_circle:",
        )

st.divider()
st.subheader("Export", anchor=False)
st.caption("Download the current version of every scenario, or of those matching a filter.")
filters = authoring.bank_filters(actor=actor)
cols = st.columns(3)
ALL = "All"
module = cols[0].selectbox("Module", [ALL, *filters["modules"]], key="export.module")
status = cols[1].selectbox("Status", [ALL, *filters["statuses"]], key="export.status")
call_types = filters["call_types"]
call_type = cols[2].selectbox(
    "Call type",
    [ALL, *call_types],
    format_func=lambda c: c if c == ALL else call_types.get(c, c),
    key="export.ct",
)
rows = authoring.bank(
    actor=actor,
    module=None if module == ALL else module,
    status=None if status == ALL else status,
    call_type=None if call_type == ALL else call_type,
    with_stats=False,
)
if rows:
    chosen_ids = [r["version_id"] for r in rows]
    st.download_button(
        f"Download {len(rows)} scenario(s) as a .zip",
        # Built only when the button is clicked, not on every rerun of the page.
        data=lambda: authoring.export_bank(actor=actor, version_ids=chosen_ids),
        file_name="scenarios.zip",
        mime="application/zip",
        icon=":material/download:",
        on_click="ignore",
        key="export.download",
    )
else:
    st.info("No scenario matches these filters.")
