"""Certification exam: what is still missing, the exam itself, results and certificates."""

import functools

import pandas as pd
import streamlit as st

from app.core import training_plan as tp
from app.core.grading import duration_text
from app.errors import UserError
from app.services import certification, lessons
from app.ui.call_panel import RECORDED, render_call_screen
from app.ui.certificate_status import CERTIFICATE_STATUS
from app.ui.grade_card import plain
from app.ui.session import page_actor
from app.ui.tables import day_date

actor = page_actor("exam")

EXAM = "exam.exam_id"
ERROR = "exam.error"
SHOWN = "exam.shown"  # the exam call on screen: {exam_id, attempt_id, title, answered, total}
CONFIRM = "exam.confirm"  # the track whose "start the exam?" question is open


def _ask(track_id: str | None) -> None:
    st.session_state[CONFIRM] = track_id


def _start(track_id: str) -> None:
    st.session_state.pop(CONFIRM, None)
    try:
        st.session_state[EXAM] = certification.start_exam(actor=actor, track_id=track_id)
    except UserError as exc:
        st.session_state[ERROR] = str(exc)


def _open(exam_id: int) -> None:
    st.session_state[EXAM] = exam_id


def _close() -> None:
    st.session_state.pop(EXAM, None)


def _outcome(outcome: certification.ExamOutcome, calls: list[certification.ReportCall]) -> None:
    with st.container(border=True):
        cols = st.columns(4)
        cols[0].metric("Result", "Passed" if outcome.get("passed") else "Not passed")
        cols[1].metric("Score", f"{outcome.get('score', 0)} / 100")
        cols[2].metric(
            "Calls passed", f"{outcome.get('calls_passed', 0)} / {outcome.get('calls_planned', 0)}"
        )
        cols[3].metric("Critical errors", outcome.get("critical", 0))
        for reason in outcome.get("reasons") or []:
            st.markdown(f":material/close: {plain(reason)}")
    if calls:
        st.dataframe(
            pd.DataFrame(
                [
                    {
                        "Call": c["number"],
                        "Title": c["title"],
                        "Score": c["score"],
                        "Result": "Unsafe"
                        if c["critical"]
                        else ("Passed" if c["passed"] else "Not passed"),
                        "Time": duration_text(c["seconds"]),
                    }
                    for c in calls
                ]
            ),
            hide_index=True,
            width="stretch",
            column_config={
                "Score": st.column_config.ProgressColumn(
                    "Score", min_value=0, max_value=100, format="%d"
                )
            },
        )
        st.caption("The expert's answer for each call is now under “My attempts”.")


def _certificates(items: list[certification.CertificateRow]) -> None:
    st.subheader("My certificates", anchor=False)
    if not items:
        st.caption(
            "None yet. A supervisor signs off a passed exam and the certificate appears here."
        )
        return
    for item in items:
        label, color, icon = CERTIFICATE_STATUS[item["status"]]
        with st.container(border=True):
            left, right = st.columns([3, 1])
            left.markdown(f"**{plain(item['title'])}** :{color}-badge[{icon} {label}]")
            left.markdown(
                f"Issued {day_date(item['issued_at'])} · valid until {day_date(item['expires_at'])}"
                + (f" · revoked {day_date(item['revoked_at'])}" if item["revoked_at"] else "")
            )
            left.markdown(
                f"Verification code `{item['code']}` · public check at `{item['verify_url']}`"
            )
            right.download_button(
                "Certificate (PDF)",
                data=functools.partial(
                    certification.certificate_pdf,
                    actor=actor,
                    certificate_id=item["certificate_id"],
                ),
                file_name=f"certificate-{item['code']}.pdf",
                mime="application/pdf",
                icon=":material/download:",
                on_click="ignore",
                key=f"exam.pdf.{item['certificate_id']}",
            )


def _overview() -> None:
    st.title("Certification")
    try:
        overview = certification.exam_overview(actor=actor)
    except UserError as exc:  # e.g. a broken track file: say so, do not show a trace
        st.error(plain(exc))
        return
    error = st.session_state.pop(ERROR, None)
    if error:
        st.error(plain(error))
    modules = lessons.list_modules(actor=actor)
    for track in overview["tracks"]:
        elig = track["eligibility"]
        with st.container(border=True):
            st.subheader(track["title"], anchor=False)
            st.write(plain(track["summary"]))
            plan = tp.training_plan(modules, elig, average_of_last=track.get("average_of_last"))
            st.caption(f"Before the exam: {plan.met} of {len(plan.requirements)} requirements met.")
            for req in plan.requirements:
                icon = ":material/check_circle:" if req.met else ":material/radio_button_unchecked:"
                st.markdown(f"{icon} {plain(req.text)}")
            for line in elig["blocked"]:
                st.info(plain(line), icon=":material/info:")
            with st.expander("What the exam asks"):
                st.markdown(
                    f"- {track['exam_calls']} calls you have never seen in practice, "
                    "one after the other, with no feedback until the end.\n"
                    f"- Pass: an average score of at least {track['pass_mark']}, "
                    f"at least {track['min_passed_calls']} calls passed on their own, and "
                    + (
                        "no unsafe dispatch at all."
                        if track["max_critical"] == 0
                        else f"at most {track['max_critical']} unsafe dispatches."
                    )
                )
                for part, minimum in track["part_minimums"].items():
                    st.markdown(
                        f"- The {part.replace('_', ' ')} part must average at least {minimum:.0%}."
                    )
                mix = ", ".join(f"{n} with {what}" for what, n in track["stratify"].items())
                if mix:
                    st.markdown(f"- The calls include at least: {mix}.")
                st.markdown(
                    "- Each call is timed. If your connection drops or you reload the page, "
                    "the exam continues at the same call."
                )
                st.markdown(
                    f"- A certificate is valid for {track['validity_months']} months once a "
                    "supervisor signs off your exam."
                )
            if track["open_exam_id"]:
                st.button(
                    "Resume the exam",
                    type="primary",
                    icon=":material/play_arrow:",
                    on_click=_open,
                    args=(track["open_exam_id"],),
                    key=f"exam.resume.{track['id']}",
                )
            elif elig["eligible"] and st.session_state.get(CONFIRM) == track["id"]:
                with st.container(border=True, key=f"exam-confirm-{track['id']}"):
                    st.warning(
                        f"Start the exam now? It has {track['exam_calls']} calls, one after "
                        "the other, and each call's clock runs while it is open. Lessons and "
                        "practice calls are closed until you finish.",
                        icon=":material/timer:",
                    )
                    yes, no = st.columns(2)
                    yes.button(
                        "Yes, start the exam",
                        type="primary",
                        icon=":material/verified:",
                        on_click=_start,
                        args=(track["id"],),
                        key=f"exam.start_yes.{track['id']}",
                    )
                    no.button("Not yet", on_click=_ask, args=(None,), key="exam.start_no")
            else:
                st.button(
                    "Start the exam",
                    type="primary",
                    icon=":material/verified:",
                    disabled=not elig["eligible"],
                    on_click=_ask,
                    args=(track["id"],),
                    key=f"exam.start.{track['id']}",
                    help=None if elig["eligible"] else " ".join(elig["missing"] + elig["blocked"]),
                )
                for line in elig["missing"]:
                    st.caption(plain(line))

    finished = [e for e in overview["exams"] if e["status"] == "completed"]
    if finished:
        st.subheader("My exams", anchor=False)
        for item in finished:
            cols = st.columns([3, 2, 2, 1])
            cols[0].markdown(f"{plain(item['title'])} — {day_date(item['finished_at'])}")
            cols[1].markdown(
                f"{item['score']} / 100 · " + ("passed" if item["passed"] else "not passed")
            )
            cols[2].markdown(
                "signed off"
                if item["signed_off"]
                else ("awaiting sign-off" if item["passed"] else "")
            )
            cols[3].button(
                "Open", key=f"exam.open.{item['exam_id']}", on_click=_open, args=(item["exam_id"],)
            )
    _certificates(overview["certificates"])


# Focus the "next call" button, so the exam goes on from the keyboard. Fixed text only.
_NEXT_FOCUS_JS = """<script>setTimeout(() => {
  const b = document.querySelector(".st-key-exam-next button");
  if (b) b.focus();
}, 150);</script>"""


def _go_on() -> None:
    st.session_state.pop(RECORDED, None)
    st.session_state.pop(SHOWN, None)


def _recorded(shown: dict) -> None:
    """Between two exam calls: the last one is recorded; the next starts when asked for."""
    st.title(shown["title"])
    st.progress(
        shown["answered"] / shown["total"] if shown["total"] else 1.0,
        text=f"{shown['answered']} of {shown['total']} exam calls done",
    )
    st.success("Call recorded.", icon=":material/task_alt:")
    last = shown["answered"] >= shown["total"]
    with st.container(key="exam-next"):
        st.button(
            "See the result" if last else "Start the next call",
            type="primary",
            icon=":material/flag:" if last else ":material/call:",
            on_click=_go_on,
        )
    st.caption(
        "The next call's clock starts when you open it."
        if not last
        else "Every call is answered: your result is ready."
    )
    st.html(_NEXT_FOCUS_JS, unsafe_allow_javascript=True)


def _exam(exam_id: int) -> None:
    shown = st.session_state.get(SHOWN)
    if (
        shown
        and shown.get("exam_id") == exam_id
        and st.session_state.get(RECORDED) == (shown.get("attempt_id"))
    ):
        _recorded({**shown, "answered": shown["answered"] + 1})
        return
    try:
        state = certification.exam_state(actor=actor, exam_id=exam_id)
    except UserError as exc:
        st.error(plain(exc))
        st.button("Back", on_click=_close)
        return
    position, attempt_id = state["position"], state["attempt_id"]
    # in progress: exam_state has opened the call at position (both set)
    if state["status"] == "in_progress" and position is not None and attempt_id is not None:
        st.title(state["title"])
        done = state["answered"] / state["total"] if state["total"] else 0
        st.progress(done, text=f"Exam call {position + 1} of {state['total']}")
        st.caption(
            "No feedback until the last call. If the connection drops or you reload the "
            "page, the exam continues at this call. The call's clock runs only while this "
            "page is open."
        )
        st.session_state[SHOWN] = {
            "exam_id": exam_id,
            "attempt_id": attempt_id,
            "title": state["title"],
            "answered": state["answered"],
            "total": state["total"],
        }
        render_call_screen(actor, attempt_id, mode="exam", show_feedback=False)
        return
    st.session_state.pop(SHOWN, None)
    report = certification.exam_report(actor=actor, exam_id=exam_id)
    st.title(f"{report['title']}: result")
    outcome = report["outcome"]
    if outcome.get("passed"):
        if report["certificate_id"]:
            st.success(
                "Passed and signed off: your certificate is below.", icon=":material/verified:"
            )
        else:
            st.success(
                "Passed. A supervisor will review and sign off your exam; the certificate then "
                "appears on this page.",
                icon=":material/celebration:",
            )
    else:
        st.warning("Not passed this time. The reasons are below.", icon=":material/replay:")
    if report.get("rules_note"):  # graded under older grading rules: the result stands
        st.caption(plain(report["rules_note"]))
    _outcome(outcome, report["calls"])
    st.caption(
        f"Exam time {duration_text(outcome.get('exam_seconds'))} · "
        f"time on the calls {duration_text(outcome.get('total_seconds'))}"
    )
    st.button("Back to certification", on_click=_close, icon=":material/arrow_back:")


if EXAM not in st.session_state:
    # A refresh or a dropped connection: pick up the exam that is still open.
    resumed = certification.current_exam(actor=actor)
    if resumed is not None:
        st.session_state[EXAM] = resumed

if st.session_state.get(EXAM) is None:
    _overview()
else:
    _exam(st.session_state[EXAM])
