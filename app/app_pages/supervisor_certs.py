"""Certifications: sign off passed exams, manage certificates, review exams, the audit log."""

import functools
import time

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services import audit, certification
from app.services.access import can
from app.ui.grade_card import plain
from app.ui.session import page_actor
from app.ui.tables import day_date

actor = page_actor("audit")  # supervisors and admins

NOTICE = "certs.notice"
EXPIRY_CHECK = "certs.expiry_checked"
STATUS = {
    "valid": ("Valid", "green", ":material/verified:"),
    "expired": ("Expired", "orange", ":material/schedule:"),
    "revoked": ("Revoked", "red", ":material/block:"),
}


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


def _sign_off(exam_id: int) -> None:
    try:
        cert = certification.sign_off(actor=actor, exam_id=exam_id)
        _notice("success", f"Certificate issued to {cert['holder']}: code {cert['code']}.")
    except UserError as exc:
        _notice("error", str(exc))


def _revoke(certificate_id: int, key: str) -> None:
    try:
        cert = certification.revoke(
            actor=actor, certificate_id=certificate_id, reason=st.session_state.get(key, "")
        )
        _notice("success", f"Certificate {cert['code']} of {cert['holder']} is revoked.")
        st.session_state[key] = ""
    except UserError as exc:
        _notice("error", str(exc))


def _renew(certificate_id: int) -> None:
    try:
        cert = certification.renew(actor=actor, certificate_id=certificate_id)
        _notice(
            "success", f"Renewed: {cert['code']} is now valid until {day_date(cert['expires_at'])}."
        )
    except UserError as exc:
        _notice("error", str(exc))


# Expiry events are written when a supervisor opens this page (and by the daily job).
if time.time() - st.session_state.get(EXPIRY_CHECK, 0) > 600:
    try:
        certification.record_expiries(actor=actor)
    except UserError:
        pass
    st.session_state[EXPIRY_CHECK] = time.time()

st.title("Certifications")
notice = st.session_state.pop(NOTICE, None)
if notice:
    getattr(st, notice[0])(plain(notice[1]))

may_sign = can(actor, "sign_off")
tab_pending, tab_certs, tab_exams, tab_audit = st.tabs(
    ["Awaiting sign-off", "Certificates", "Exam review", "Audit log"]
)


def _call_table(calls: list[dict]) -> pd.DataFrame:
    rows = []
    for c in calls:
        new = c["new_grade"]
        rows.append(
            {
                "Call": c["number"],
                "Title": c["title"],
                "Score": c["grade"].get("score"),
                "Unsafe": bool(c["grade"].get("critical")),
                "Key changed": "yes" if c["key_changed"] else "",
                "Score with current key": str(new.get("score")) if new else "",
                "Rules": c.get("rules"),
                "Seconds": c["seconds"],
            }
        )
    return pd.DataFrame(rows)


def _rules(review: dict) -> None:
    """Calls graded under older grading rules, and the outcome under the new ones."""
    if not review.get("rules_note"):
        return
    st.caption(plain(review["rules_note"]))
    regraded = review.get("outcome_under_new_rules")
    if regraded:
        new = regraded.get("outcome") or {}
        changed = bool(new.get("passed")) != bool(review["outcome"].get("passed"))
        text = (
            f"Under grading rules {regraded.get('rules')} this exam would score "
            f"{new.get('score')} and would {'pass' if new.get('passed') else 'not pass'}. "
            "The stored result and any certificate stand until you decide."
        )
        if changed:
            st.warning(text, icon=":material/rule:")
            for reason in new.get("reasons") or []:
                st.markdown(f":material/close: {plain(reason)}")
        else:
            st.caption(text)


def _review(exam_id: int, key: str) -> None:
    review = certification.exam_review(actor=actor, exam_id=exam_id)
    outcome = review["outcome"]
    cols = st.columns(4)
    cols[0].metric("Score", f"{outcome.get('score', '—')} / 100")
    cols[1].metric(
        "Calls passed", f"{outcome.get('calls_passed', 0)} / {outcome.get('calls_planned', 0)}"
    )
    cols[2].metric("Critical errors", outcome.get("critical", 0))
    cols[3].metric("Result", "Passed" if outcome.get("passed") else "Not passed")
    for reason in outcome.get("reasons") or []:
        st.markdown(f":material/close: {plain(reason)}")
    _rules(review)
    st.dataframe(
        _call_table(review["calls"]),
        hide_index=True,
        width="stretch",
        key=f"{key}.table",
        column_config={
            "Score": st.column_config.NumberColumn("Score (stored)", format="%d"),
            "Score with current key": st.column_config.TextColumn(
                "Score with current key",
                help="What the newest version of the call's expert key would give. Never stored.",
            ),
            "Rules": st.column_config.NumberColumn(
                "Rules", help="The grading rules the stored score was given under."
            ),
        },
    )
    now = review["outcome_with_current_keys"]
    if now is not None:
        st.info(
            f"Some expert keys changed after this exam. With the current keys the exam would "
            f"score {now['score']} and would {'pass' if now['passed'] else 'not pass'}. "
            "The stored result stands; this is for your judgement only.",
            icon=":material/compare_arrows:",
        )
        for call in review["calls"]:
            if not call["key_changed"]:
                continue
            old, new = call["key"], call["new_key"] or {}
            changes = [
                f"{name.replace('_', ' ')}: {old.get(name)} → {new.get(name)}"
                for name in ("disqualifiers", "call_type", "disposition", "acceptable")
                if old.get(name) != new.get(name)
            ]
            st.markdown(
                f"**Call {call['number']}** (version {call['version']} → "
                f"{call['current_version']}): " + plain("; ".join(changes) or "wording only")
            )
            if call["regrade_error"]:
                st.caption(plain(call["regrade_error"]))


with tab_pending:
    if not may_sign:
        st.info(
            "Supervisors sign off exams. As an administrator you can view and revoke certificates."
        )
    else:
        pending = certification.pending_sign_offs(actor=actor)
        if not pending:
            st.caption("No passed exam is waiting for sign-off.")
        for item in pending:
            with st.container(border=True):
                cols = st.columns([3, 2, 2])
                cols[0].markdown(f"**{plain(item['trainee'])}** — {plain(item['title'])}")
                cols[1].markdown(
                    f"Score {item['score']} · finished {day_date(item['finished_at'])}"
                )
                cols[2].button(
                    "Sign off and issue certificate",
                    type="primary",
                    icon=":material/workspace_premium:",
                    key=f"certs.sign.{item['exam_id']}",
                    on_click=_sign_off,
                    args=(item["exam_id"],),
                )
                with st.expander("Review the exam calls"):
                    _review(item["exam_id"], f"certs.pending.{item['exam_id']}")

with tab_certs:
    choice = st.segmented_control(
        "Show", ["All", "Valid", "Expired", "Revoked"], default="All", key="certs.filter"
    )
    status = None if choice in (None, "All") else choice.lower()
    certs = certification.list_certificates(actor=actor, status=status)
    if not certs:
        st.caption("No certificates to show.")
    else:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Holder": c["holder"],
                        "Track": c["title"],
                        "Code": c["code"],
                        "Issued": day_date(c["issued_at"]),
                        "Expires": day_date(c["expires_at"]),
                        "Status": STATUS[c["status"]][0],
                        "Renewal": "ready" if c.get("renewal") and c["renewal"]["eligible"] else "",
                    }
                    for c in certs
                ]
            ),
            hide_index=True,
            width="stretch",
        )
        by_id = {c["certificate_id"]: c for c in certs}
        picked = st.selectbox(
            "Certificate",
            list(by_id),
            format_func=lambda cid: f"{by_id[cid]['holder']} · {by_id[cid]['code']}",
            key="certs.pick",
        )
        item = by_id[picked]
        label, color, icon = STATUS[item["status"]]
        with st.container(border=True):
            st.markdown(
                f"**{plain(item['holder'])}** — {plain(item['title'])} :{color}-badge[{icon} {label}]"
            )
            st.markdown(
                f"Code `{item['code']}` · issued {day_date(item['issued_at'])} · "
                f"valid until {day_date(item['expires_at'])} · "
                f"public check at `{item['verify_path']}`"
            )
            if item["revoked_at"]:
                st.markdown(
                    f"Revoked {day_date(item['revoked_at'])}: {plain(item['revoked_reason'])}"
                )
            st.download_button(
                "Certificate (PDF)",
                data=functools.partial(
                    certification.certificate_pdf, actor=actor, certificate_id=picked
                ),
                file_name=f"certificate-{item['code']}.pdf",
                mime="application/pdf",
                icon=":material/download:",
                on_click="ignore",
                key=f"certs.pdf.{picked}",
            )
            renewal = item.get("renewal")
            if renewal and item["status"] != "revoked":
                st.markdown("**Renewal through continuing practice**")
                average = "—" if renewal["average"] is None else f"{renewal['average']:g}"
                st.caption(
                    f"{renewal['calls']} practice calls in the look-back period, average "
                    f"{average}. "
                    f"Renewal window {day_date(renewal['opens_at'])} – "
                    f"{day_date(renewal['closes_at'])}."
                )
                for reason in renewal["reasons"]:
                    st.caption(f":material/close: {plain(reason)}")
                if may_sign:
                    st.button(
                        f"Renew until {day_date(renewal['new_expires_at'])}",
                        disabled=not renewal["eligible"],
                        icon=":material/autorenew:",
                        key=f"certs.renew.{picked}",
                        on_click=_renew,
                        args=(picked,),
                    )
            if item["status"] != "revoked":
                reason_key = f"certs.reason.{picked}"
                st.text_area(
                    "Reason for revoking",
                    key=reason_key,
                    max_chars=certification.MAX_REASON,
                    placeholder="What happened, in a sentence.",
                )
                st.button(
                    "Revoke certificate",
                    icon=":material/block:",
                    key=f"certs.revoke.{picked}",
                    on_click=_revoke,
                    args=(picked, reason_key),
                )

with tab_exams:
    if not may_sign:
        st.info("Exam reviews are for supervisors.")
    else:
        exams = [e for e in certification.agency_exams(actor=actor) if e["status"] == "completed"]
        if not exams:
            st.caption("No finished exams yet.")
        else:
            by_exam = {e["exam_id"]: e for e in exams}
            chosen = st.selectbox(
                "Exam",
                list(by_exam),
                format_func=lambda eid: (
                    f"{by_exam[eid]['trainee']} · {day_date(by_exam[eid]['finished_at'])} · "
                    f"{by_exam[eid]['score']} · "
                    + ("passed" if by_exam[eid]["passed"] else "not passed")
                ),
                key="certs.exam",
            )
            _review(chosen, "certs.review")

with tab_audit:
    state = audit.check_log(actor=actor)
    if state["ok"]:
        st.success(f"The audit log is intact ({state['entries']} entries, hash chain verified).")
    else:
        st.error(
            f"The audit log fails verification ({state['problems']} problem(s)). "
            "Run `python -m app audit verify` on the server for details."
        )
    entries = audit.agency_entries(actor=actor)
    if entries:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "#": e["id"],
                        "When (UTC)": e["at"].strftime("%Y-%m-%d %H:%M:%S"),
                        "Event": e["event"],
                        "Subject": e["subject"],
                        "By": e["actor"],
                        "Details": ", ".join(f"{k}={v}" for k, v in sorted(e["payload"].items())),
                    }
                    for e in entries
                ]
            ),
            hide_index=True,
            width="stretch",
        )
