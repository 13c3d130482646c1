"""Certifications: sign off passed exams, manage certificates, review exams, the audit log."""

import functools
import time

import pandas as pd
import streamlit as st

from app.errors import UserError
from app.services import certification
from app.services import review as replays
from app.services.access import can
from app.ui.audit_log import render_audit_log
from app.ui.certificate_status import CERTIFICATE_STATUS
from app.ui.grade_card import plain
from app.ui.replay_steps import STEP_LABELS
from app.ui.session import page_actor
from app.ui.tables import day_date

actor = page_actor("audit")  # supervisors and admins

NOTICE = "certs.notice"
EXPIRY_CHECK = "certs.expiry_checked"
CONFIRMING = "certs.confirming"  # the exam whose sign-off dialog is open
OPENED = "certs.opened"  # + exam id: the numbers of the calls opened in this review


def _notice(kind: str, text: str) -> None:
    st.session_state[NOTICE] = (kind, text)


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


def _call_table(calls: list[certification.ReviewCall]) -> pd.DataFrame:
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


def _rules(review: certification.ExamReview) -> None:
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


def _summary(review: certification.ExamReview) -> None:
    """The exam's result in four figures and the reasons it did not pass."""
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


def _review(exam_id: int, key: str) -> None:
    review = certification.exam_review(actor=actor, exam_id=exam_id)
    _summary(review)
    attestation = review.get("attestation")
    if review.get("signed_off"):
        when = day_date(review.get("signed_off_at"))
        who = review.get("signed_off_by") or "?"
        st.markdown(f":material/verified: Signed off by **{plain(who)}** on {when}.")
        if attestation:
            opened = ", ".join(map(str, attestation.get("calls_opened") or [])) or "none"
            st.caption(
                plain(
                    f"They confirmed: “{attestation.get('statement', '')}” Calls opened: {opened}."
                )
            )
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


def _opened(exam_id: int) -> set[int]:
    """Numbers of the exam's calls this supervisor has opened in this review."""
    return st.session_state.setdefault(f"{OPENED}.{exam_id}", set())


@st.dialog("Exam call", width="large")
def _call_dialog(exam_id: int, number: int, attempt_id: int) -> None:
    """The supervisor replay of one exam call: what the trainee did beside the key."""
    _opened(exam_id).add(number)
    try:
        replay = replays.attempt_replay(actor=actor, attempt_id=attempt_id)
    except UserError as exc:
        st.error(str(exc))
        return
    info = replay.attempt
    st.markdown(f"**Call {number}: {plain(info['scenario'])}**")  # trainer-written: inert
    head = st.columns(3)
    head[0].metric("Score", info["score"])
    head[1].metric("Seconds", "–" if info["seconds"] is None else f"{info['seconds']:.0f}")
    head[2].metric(
        "Result",
        "Unsafe"
        if replay.grade.get("critical")
        else ("Passed" if info["passed"] else "Not passed"),
    )
    if info["opening"]:
        st.caption("Caller's opening line")
        st.text(info["opening"])  # trainer-written text: plain text only
    st.markdown("**What the trainee did, second by second**")
    if replay.timeline.empty:
        st.caption("No timeline was recorded for this call.")
    else:
        st.dataframe(
            pd.DataFrame(
                {
                    "Second": replay.timeline["t"],
                    "Step": replay.timeline["kind"].map(lambda k: STEP_LABELS.get(k, k)),
                    "What": replay.timeline["label"],
                    "Against the key": replay.timeline["verdict"],
                }
            ),
            hide_index=True,
            width="stretch",
        )
    st.markdown("**The trainee's answer beside the expert key**")
    st.dataframe(
        pd.DataFrame(
            {
                "": replay.checklist["ok"].map({True: "✓", False: "✗"}),
                "Item": replay.checklist["item"],
                "Key": replay.checklist["expected"],
                "Trainee": replay.checklist["trainee"],
            }
        ),
        hide_index=True,
        width="stretch",
    )
    if replay.key.get("rationale"):
        st.caption("Why (the trainer's rationale)")
        st.text(str(replay.key["rationale"]).strip())


def _stop_confirming() -> None:
    st.session_state.pop(CONFIRMING, None)


def _start_confirming(exam_id: int) -> None:
    st.session_state[CONFIRMING] = exam_id


@st.dialog("Sign off this exam", on_dismiss=_stop_confirming)
def _confirm_dialog(exam_id: int) -> None:
    opened = sorted(_opened(exam_id))
    statement = certification.sign_off_statement(actor=actor, exam_id=exam_id)
    st.write(
        "Signing off issues the certificate at once. Your name, the time, this statement "
        f"and the calls you opened (call{'s' if len(opened) > 1 else ''} "
        f"{', '.join(map(str, opened))}) are kept with the exam "
        "and in the audit log."
    )
    with st.container(border=True):
        st.markdown(plain(statement))
    agreed = st.checkbox("I confirm this statement", key=f"certs.attest.{exam_id}")
    cols = st.columns(2)
    if cols[0].button(
        "Sign off and issue certificate",
        type="primary",
        icon=":material/workspace_premium:",
        disabled=not agreed,
        key=f"certs.sign.{exam_id}",
    ):
        try:
            cert = certification.sign_off(
                actor=actor, exam_id=exam_id, attested=agreed, calls_opened=opened
            )
        except UserError as exc:
            st.error(str(exc))
            return
        _notice("success", f"Certificate issued to {cert['holder']}: code {cert['code']}.")
        st.session_state.pop(f"{OPENED}.{exam_id}", None)
        _stop_confirming()
        st.rerun()
    if cols[1].button("Cancel", key=f"certs.cancel.{exam_id}"):
        _stop_confirming()
        st.rerun()


def _exam_calls(exam_id: int, calls: list[certification.ReviewCall]) -> None:
    """Every call of the exam with a button that opens its replay."""
    opened = _opened(exam_id)
    head = st.columns([1, 5, 2, 2, 2])
    for col, label in zip(head, ["Call", "Title", "Score", "Result", ""], strict=True):
        col.caption(label)
    for call in calls:
        grade = call["grade"]
        result = (
            "Unsafe"
            if grade.get("critical")
            else ("Passed" if grade.get("passed") else ("Not passed" if grade else "Not answered"))
        )
        row = st.columns([1, 5, 2, 2, 2], vertical_alignment="center")
        row[0].markdown(f"**{call['number']}**")
        row[1].markdown(plain(call["title"]))
        row[2].markdown(str(grade.get("score", "—")))
        row[3].markdown(result)
        if call["attempt_id"] is not None and row[4].button(
            "Opened ✓" if call["number"] in opened else "Open call",
            icon=":material/play_circle:",
            key=f"certs.open.{exam_id}.{call['number']}",
            help="Replay what the trainee asked and decided, beside the expert key.",
        ):
            _call_dialog(exam_id, call["number"], call["attempt_id"])


with tab_pending:
    if not may_sign:
        st.info(
            "Supervisors sign off exams. As an administrator you can view and revoke certificates."
        )
    else:
        pending = certification.pending_sign_offs(actor=actor)
        if not pending:
            st.caption("No passed exam is waiting for sign-off.")
        else:
            by_exam = {p["exam_id"]: p for p in pending}
            exam_id = st.selectbox(
                f"Passed exams waiting for your sign-off ({len(pending)})",
                list(by_exam),
                format_func=lambda eid: (
                    f"{by_exam[eid]['trainee']} · {by_exam[eid]['title']} · score "
                    f"{by_exam[eid]['score']} · finished {day_date(by_exam[eid]['finished_at'])}"
                ),
                key="certs.pending",
            )
            waiting = by_exam[exam_id]
            with st.container(border=True):
                st.markdown(f"**{plain(waiting['trainee'])}** — {plain(waiting['title'])}")
                exam = certification.exam_review(actor=actor, exam_id=exam_id)
                _summary(exam)
                st.markdown("**The exam's calls**")
                st.caption(
                    "Open the calls you want to check: each shows what the trainee asked and "
                    "decided, second by second, beside the expert key. Open at least one "
                    "before you sign off."
                )
                _exam_calls(exam_id, exam["calls"])
                opened = sorted(_opened(exam_id))
                st.divider()
                if opened:
                    st.caption(
                        f"You opened call{'s' if len(opened) > 1 else ''} "
                        f"{', '.join(map(str, opened))} of {len(exam['calls'])}."
                    )
                else:
                    st.caption("You have not opened any of the calls yet.")
                st.button(
                    "Sign off…",
                    type="primary",
                    icon=":material/workspace_premium:",
                    disabled=not opened,
                    key=f"certs.confirm.{exam_id}",
                    help=None if opened else "Open at least one of the exam's calls first.",
                    on_click=_start_confirming,
                    args=(exam_id,),
                )
                if opened and st.session_state.get(CONFIRMING) == exam_id:
                    _confirm_dialog(exam_id)


def _renewal(certificate_id: int, renewal: certification.RenewalState) -> None:
    """Renewal through continuing practice: nothing to judge before its window opens."""
    st.markdown("**Renewal through continuing practice**")
    window = renewal.get("window", "open")
    if window == "none":
        st.caption("This certification is renewed by taking the exam again.")
        return
    if window == "not_yet":
        st.caption(
            f"Renewal opens on {day_date(renewal['opens_at'])}. Nothing is needed before then; "
            f"practice calls since the certificate was issued so far: {renewal['calls']}."
        )
        return
    if window == "closed":
        st.caption(
            f"The renewal period ended on {day_date(renewal['closes_at'])}: "
            "the exam must be taken again."
        )
        return
    average = "—" if renewal["average"] is None else f"{renewal['average']:g}"
    st.caption(
        f"Renewal is open until {day_date(renewal['closes_at'])}. Practice calls since the "
        f"certificate was issued (within the look-back period): {renewal['calls']}, "
        f"average score {average}."
    )
    for reason in renewal["reasons"]:
        st.caption(f":material/close: {plain(reason)}")
    if may_sign:
        st.button(
            f"Renew until {day_date(renewal['new_expires_at'])}",
            disabled=not renewal["eligible"],
            icon=":material/autorenew:",
            key=f"certs.renew.{certificate_id}",
            on_click=_renew,
            args=(certificate_id,),
        )


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
                        "Status": CERTIFICATE_STATUS[c["status"]][0],
                        "Renewal": "ready" if c["renewal"] and c["renewal"]["eligible"] else "",
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
        label, color, icon = CERTIFICATE_STATUS[item["status"]]
        with st.container(border=True):
            st.markdown(
                f"**{plain(item['holder'])}** — {plain(item['title'])} :{color}-badge[{icon} {label}]"
            )
            st.markdown(
                f"Code `{item['code']}` · issued {day_date(item['issued_at'])} · "
                f"valid until {day_date(item['expires_at'])} · "
                f"public check at `{item['verify_url']}`"
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
                _renewal(picked, renewal)
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
            finished = {e["exam_id"]: e for e in exams}
            chosen = st.selectbox(
                "Exam",
                list(finished),
                format_func=lambda eid: (
                    f"{finished[eid]['trainee']} · {day_date(finished[eid]['finished_at'])} · "
                    f"{finished[eid]['score']} · "
                    + ("passed" if finished[eid]["passed"] else "not passed")
                ),
                key="certs.exam",
            )
            _review(chosen, "certs.review")

with tab_audit:
    render_audit_log(actor, key="certs.audit")
