"""Trainer: edit a scenario's YAML (or its common fields) with live validation, a preview
as the trainee sees it, its checks, and the differences between versions."""

import hashlib

import pandas as pd
import streamlit as st
from code_editor import code_editor

from app.core.scenario import MODULE_SLUGS
from app.core.scenario_diff import diff_texts
from app.errors import UserError
from app.services import authoring
from app.services.authoring.editor import ScenarioChoice
from app.services.authoring.form import FormValues
from app.services.bank import ImportRejected, content_hash
from app.ui.grade_card import plain
from app.ui.scenario_preview import render_preview
from app.ui.session import page_actor

actor = page_actor("author_scenarios")
st.title("Edit scenario")

NEW = 0
PICK = "editor.pick"


@st.cache_data(ttl=600, max_entries=64, show_spinner="Rendering the caller's voice…")
def _clip(_actor, user_id: int, text: str, item: str) -> bytes | None:
    result = authoring.validate_text(actor=_actor, text=text)
    if result.data is None:
        return None
    return authoring.preview_clip(actor=_actor, data=result.data, item=item)


def _text_key(pick: int) -> str:
    return f"editor.text.{pick or 'new'}"


def _base_key(pick: int) -> str:
    # The saved text this editor started from: a save made meanwhile is not overwritten.
    return f"editor.base.{pick or 'new'}"


def _digest(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:12]


def _gen_key(pick: int) -> str:
    # Bumped whenever the text is replaced from outside the code editor (save, discard,
    # the form): the editor is drawn afresh with the new text.
    return f"editor.gen.{pick or 'new'}"


def _code_key(pick: int) -> str:
    return f"editor.code.{pick or 'new'}.{st.session_state.get(_gen_key(pick), 0)}"


def _replace_text(pick: int, text: str) -> None:
    st.session_state[_text_key(pick)] = text
    st.session_state[_gen_key(pick)] = st.session_state.get(_gen_key(pick), 0) + 1


# Error lines in the code editor: a tinted line and a marker in the gutter. The editor
# draws in its own frame, so its style sheet goes in with it.
EDITOR_CSS = (
    ".cs-problem-line{position:absolute;background:rgba(200,30,30,0.16);}"
    ".cs-warning-line{position:absolute;background:rgba(200,140,0,0.16);}"
)


choices = authoring.scenario_choices(actor=actor)
by_id = {c["version_id"]: c for c in choices}
wanted = st.session_state.pop("editor.version_id", None)
if wanted in by_id:
    st.session_state[PICK] = wanted
kept = st.session_state.get(PICK)
if kept not in (NEW, *by_id) and isinstance(kept, int):
    # The version on screen is no longer the one the picker offers (someone saved a
    # draft of it meanwhile): keep it open so nothing typed is lost.
    try:
        shown_version = authoring.load_scenario(actor=actor, version_id=kept)
        by_id[kept] = ScenarioChoice(
            version_id=shown_version["version_id"],
            key=shown_version["key"],
            title=shown_version["title"],
            status=shown_version["status"],
            version=shown_version["version"],
            pending=False,
        )
    except UserError:
        pass
if st.session_state.get(PICK) not in (NEW, *by_id):
    st.session_state[PICK] = next(iter(by_id), NEW)
pick = st.selectbox(
    "Scenario",
    [NEW, *by_id],
    format_func=lambda v: (
        "New scenario"
        if v == NEW
        else f"{by_id[v]['key']} — {by_id[v]['title']} (version {by_id[v]['version']}, "
        + ("draft of a change" if by_id[v].get("pending") else by_id[v]["status"])
        + ")"
    ),
    key=PICK,
)

loaded = authoring.load_scenario(actor=actor, version_id=pick) if pick != NEW else None
saved_text = loaded["yaml_text"] if loaded else authoring.new_scenario_text(actor=actor)
text_key = _text_key(pick)
if text_key not in st.session_state:
    st.session_state[text_key] = saved_text
    st.session_state[_base_key(pick)] = content_hash(saved_text)
# What the trainer typed in the code editor since the last run (it reports as they type).
typed = st.session_state.get(_code_key(pick))
if isinstance(typed, dict) and typed.get("id"):
    seen_key = f"{_code_key(pick)}.seen"
    if typed["id"] != st.session_state.get(seen_key):
        st.session_state[seen_key] = typed["id"]
        if isinstance(typed.get("text"), str):
            st.session_state[text_key] = typed["text"]
text = st.session_state[text_key]
result = authoring.validate_text(actor=actor, text=text)
filters = authoring.bank_filters(actor=actor)


def _save(pick: int, key: str | None) -> None:
    current = st.session_state[_text_key(pick)]
    try:
        saved = authoring.save_scenario(
            actor=actor, text=current, key=key, based_on=st.session_state.get(_base_key(pick))
        )
    except ImportRejected as exc:
        st.session_state["editor.flash"] = ("error", "Not saved: " + "; ".join(exc.problems))
        return
    except UserError as exc:
        st.session_state["editor.flash"] = ("error", f"Not saved: {exc}")
        return
    review = " Another trainer must approve it before trainees get it."
    messages = {
        "created": f"Saved as a new draft (version {saved['version']})." + review,
        "new_draft": f"Saved as a draft of version {saved['version']}. Trainees keep the "
        "published version until the change is approved." + review,
        "updated": f"Saved: the draft of version {saved['version']} is updated." + review,
        "unchanged": "Nothing to save: the text is unchanged.",
    }
    st.session_state["editor.flash"] = ("ok", messages[saved["outcome"]])
    for stale in (pick, saved["version_id"]):
        st.session_state.pop(_text_key(stale), None)
        st.session_state.pop(_base_key(stale), None)
        st.session_state[_gen_key(stale)] = st.session_state.get(_gen_key(stale), 0) + 1
    st.session_state[PICK] = saved["version_id"]


def _discard(pick: int, saved: str) -> None:
    _replace_text(pick, saved)
    st.session_state[_base_key(pick)] = content_hash(saved)


def _approve(version_id: int) -> None:
    try:
        done = authoring.approve(actor=actor, version_id=version_id)
    except UserError as exc:
        st.session_state["editor.flash"] = ("error", f"Not published: {exc}")
        return
    st.session_state["editor.flash"] = (
        "ok",
        f"Approved and published: trainees now get version {done['version']}.",
    )
    st.session_state.pop(_text_key(version_id), None)
    st.session_state.pop(_base_key(version_id), None)


def _apply_form(text_key: str, prefix: str) -> None:
    values = {
        name: st.session_state.get(f"{prefix}.{name}")
        for name in authoring.FORM_FIELDS
        if f"{prefix}.{name}" in st.session_state
    }
    try:
        before = st.session_state[text_key]
        after = authoring.apply_form(before, values)
    except UserError as exc:
        st.session_state["editor.flash"] = ("error", str(exc))
        return
    if after == before:
        st.session_state["editor.flash"] = ("ok", "The form has no changes to apply.")
        return
    st.session_state[text_key] = after
    st.session_state[_gen_key(pick)] = st.session_state.get(_gen_key(pick), 0) + 1
    change = diff_texts(before, after, "before", "after")
    st.session_state["editor.flash"] = (
        "ok",
        f"The form was applied to the YAML: {change.removed} line(s) changed, the rest "
        "is as you wrote it.",
    )


# ------------------------------------------------------------------ status line and save

STATUS_WORDS = {
    "draft": "Draft: trainees do not get it",
    "published": "Published: trainees get this version",
    "retired": "Retired: trainees no longer get it",
}
if loaded:
    used = loaded["attempts"]
    pending = loaded["status"] == "draft" and not loaded["current"]
    st.caption(
        f"Version {loaded['version']} · "
        + (
            "Draft of a change: trainees keep the published version until it is approved"
            if pending
            else STATUS_WORDS.get(loaded["status"], loaded["status"])
        )
        + f" · {used} attempt(s). "
        + (
            "Saving changes this draft."
            if loaded["status"] == "draft"
            else "Saving a change makes a draft of the next version; this one stays as "
            "trainees know it until the draft is approved."
        )
    )
else:
    st.caption("A new scenario is saved as a draft; another trainer approves it to publish it.")

flash = st.session_state.pop("editor.flash", None)
if flash:
    kind, message = flash
    (st.success if kind == "ok" else st.error)(plain(message))

if loaded and loaded["status"] == "draft":
    state = authoring.review_state(actor=actor, version_id=loaded["version_id"])
    with st.container(border=True):
        who = ", ".join(state["editors"]) or "an import"
        st.markdown(f"**Waiting for approval.** Changed by {plain(who)}.")
        if state["blocks"]:
            for block in state["blocks"]:
                st.caption(plain(block))
        st.button(
            "Approve and publish",
            key="editor.approve",
            icon=":material/verified:",
            disabled=not state["can_approve"] or text != saved_text,
            help="Publishing makes this version the one trainees get. Save your changes first."
            if text != saved_text
            else None,
            on_click=_approve,
            args=(loaded["version_id"],),
        )

unsaved = text != saved_text
bar = st.columns([1, 1, 4])
bar[0].button(
    "Save",
    type="primary",
    icon=":material/save:",
    key="editor.save",
    disabled=result.errors > 0 or (loaded is not None and not unsaved),
    on_click=_save,
    args=(pick, loaded["key"] if loaded else None),
)
bar[1].button(
    "Discard changes",
    key="editor.discard",
    disabled=not unsaved,
    on_click=_discard,
    args=(pick, saved_text),
)
if result.errors:
    bar[2].error(f"{result.errors} problem(s): fix them to save.", icon=":material/error:")
elif unsaved:
    bar[2].info("Unsaved changes.", icon=":material/edit:")

tab_yaml, tab_form, tab_preview, tab_checks, tab_versions = st.tabs(
    ["YAML", "Form", "Preview", "Checks", "Versions"]
)

# ------------------------------------------------------------------ YAML with live validation


def _marks(problems: list[dict], lines: int) -> tuple[list[dict], list[dict]]:
    """Gutter markers and tinted lines for the code editor (0-based rows)."""
    annotations, markers = [], []
    for p in problems:
        row = min(max(int(p.get("line") or 1), 1), max(lines, 1)) - 1
        kind = "warning" if p["severity"] == "warning" else "error"
        annotations.append({"row": row, "column": 0, "type": kind, "text": p["message"]})
        markers.append(
            {
                "startRow": row,
                "startCol": 0,
                "endRow": row,
                "endCol": 1,
                "className": f"cs-{'warning' if kind == 'warning' else 'problem'}-line",
                "type": "fullLine",
            }
        )
    return annotations, markers


with tab_yaml:
    plain_box = st.toggle(
        "Plain text box",
        key="editor.plain_box",
        help="A simple text box instead of the code editor, for screen readers. It is "
        "checked when you leave the box (or press Ctrl+Enter) rather than as you type.",
    )
    left, right = st.columns([2, 1], gap="large")
    with left:
        if plain_box:
            st.text_area("Scenario YAML", key=text_key, height=640)
        else:
            st.caption(
                "Checked as you type. A problem line is tinted and marked in the margin; "
                "point at the marker to read it."
            )
            annotations, markers = _marks(result.problems, text.count("\n") + 1)
            base_key = f"{_code_key(pick)}.base"
            if base_key not in st.session_state:
                st.session_state[base_key] = text  # what the editor was drawn with
            code_editor(
                st.session_state[base_key],
                lang="yaml",
                height=[24, 36],
                response_mode="debounce",
                key=_code_key(pick),
                options={
                    "showLineNumbers": True,
                    "wrap": True,
                    "tabSize": 2,
                    "useSoftTabs": True,
                    "useWorker": False,
                    "showPrintMargin": False,
                    # No pop-up suggestions: they cover the line being typed.
                    "enableLiveAutocompletion": False,
                    "enableBasicAutocompletion": False,
                    "enableSnippets": False,
                },
                # A built-in theme: the package's own themes load a web font from the
                # internet, and nothing here may leave the machine.
                props={"theme": "textmate", "annotations": annotations, "markers": markers},
                component_props={"globalCSS": EDITOR_CSS},
            )
    with right:
        st.markdown("**Validation**")
        for problem in result.problems[:30]:
            where = f"Line {problem['line']}" if problem.get("line") else "The file"
            say = st.warning if problem["severity"] == "warning" else st.error
            # Problems quote the trainer's text: made inert, never Markdown or HTML.
            say(plain(f"{where}: {problem['message']}"))
        if len(result.problems) > 30:
            st.caption(f"… and {len(result.problems) - 30} more.")
        if result.errors == 0:
            st.success("The scenario is valid.", icon=":material/check_circle:")

# ------------------------------------------------------------------ form for the common fields

with tab_form:
    values: FormValues | None
    try:
        values = authoring.form_values(text)
    except UserError as exc:
        values = None
        st.info(f"The form needs readable YAML. {plain(exc)}")
    if values is not None:
        st.caption(
            "Applying the form changes only the fields you changed here; every other line "
            "of the YAML, comments included, stays as written."
        )
        prefix = f"editor.form.{_digest(text)}"
        call_types = filters["call_types"]
        routes = filters["dispositions"]
        with st.form(f"{prefix}.form"):
            st.text_input("Title", value=values["title"], key=f"{prefix}.title")
            cols = st.columns(3)
            modules = list(
                dict.fromkeys(
                    [*MODULE_SLUGS, values["module"]] if values["module"] else MODULE_SLUGS
                )
            )
            cols[0].selectbox(
                "Module",
                modules,
                index=modules.index(values["module"]) if values["module"] in modules else 0,
                key=f"{prefix}.module",
            )
            cols[1].selectbox(
                "Difficulty",
                [1, 2, 3, 4, 5],
                index=(values["difficulty"] or 1) - 1 if values["difficulty"] in range(1, 6) else 0,
                key=f"{prefix}.difficulty",
            )
            codes = list(call_types)
            cols[2].selectbox(
                "Call type when the call comes in",
                codes,
                index=codes.index(values["initial_call_type"])
                if values["initial_call_type"] in codes
                else 0,
                format_func=lambda c: call_types.get(c, c),
                key=f"{prefix}.initial_call_type",
            )
            st.text_area(
                "Opening (what the caller says first)",
                value=values["opening"],
                key=f"{prefix}.opening",
            )
            st.markdown("**Expert key**")
            cols = st.columns(3)
            cols[0].multiselect(
                "Disqualifiers",
                list(filters["disqualifiers"]),
                default=[d for d in values["disqualifiers"] if d in filters["disqualifiers"]],
                format_func=lambda c: filters["disqualifiers"].get(c, c),
                key=f"{prefix}.disqualifiers",
            )
            cols[1].selectbox(
                "Final call type",
                codes,
                index=codes.index(values["call_type"]) if values["call_type"] in codes else 0,
                format_func=lambda c: call_types.get(c, c),
                key=f"{prefix}.call_type",
            )
            cols[2].selectbox(
                "Priority",
                [None, 1, 2, 3, 4],
                index=[None, 1, 2, 3, 4].index(values["priority"])
                if values["priority"] in (None, 1, 2, 3, 4)
                else 0,
                format_func=lambda p: "Not set" if p is None else str(p),
                key=f"{prefix}.priority",
            )
            route_codes = list(routes)
            cols = st.columns(3)
            cols[0].selectbox(
                "Best route",
                route_codes,
                index=route_codes.index(values["disposition"])
                if values["disposition"] in route_codes
                else 0,
                format_func=lambda c: routes.get(c, c),
                key=f"{prefix}.disposition",
            )
            cols[1].multiselect(
                "Also acceptable (partial credit)",
                route_codes,
                default=[d for d in values["acceptable"] if d in routes],
                format_func=lambda c: routes.get(c, c),
                key=f"{prefix}.acceptable",
            )
            cols[2].multiselect(
                "Unsafe (critical error)",
                route_codes,
                default=[d for d in values["unsafe"] if d in routes],
                format_func=lambda c: routes.get(c, c),
                key=f"{prefix}.unsafe",
            )
            asked = list(dict.fromkeys(values["exchange_ids"] + values["required_questions"]))
            st.multiselect(
                "Required questions (from the call's exchanges)",
                asked,
                default=values["required_questions"],
                key=f"{prefix}.required_questions",
            )
            st.text_area("Rationale", value=values["rationale"], key=f"{prefix}.rationale")
            st.form_submit_button(
                "Apply to the YAML",
                icon=":material/sync_alt:",
                on_click=_apply_form,
                args=(text_key, prefix),
            )

# ------------------------------------------------------------------ preview as the trainee sees it

with tab_preview:
    if result.data is None:
        st.info("Fix the problems first: only a valid scenario can be previewed.")
    else:
        st.caption(
            "Exactly what a trainee of your agency sees, without the key. Ask questions to "
            "hear and read the caller's answers."
        )
        view = authoring.preview(actor=actor, data=result.data)
        render_preview(
            view,
            key=f"editor.preview.{_digest(text)}",
            clip=lambda item: _clip(actor, actor.user_id, text, item),
        )

# ------------------------------------------------------------------ the scenario's checks

with tab_checks:
    if result.data is None:
        st.info("Fix the problems first: checks run on a valid scenario.")
    else:
        checks = authoring.scenario_checks(actor=actor, data=result.data)
        if not checks:
            st.info("This scenario has no checks. Add sample answers under `checks:`.")
        else:
            passed = sum(1 for c in checks if c["ok"])
            st.caption(f"{passed} of {len(checks)} check(s) grade as stated.")

            def _answer(a: dict) -> str:
                parts = [
                    f"asks {', '.join(a.get('questions') or []) or 'nothing'}",
                    f"disqualifiers {', '.join(a.get('disqualifiers') or []) or 'none'}",
                    f"call type {a.get('call_type')}",
                    f"route {a.get('disposition')}",
                ]
                return "; ".join(parts)

            st.dataframe(
                pd.DataFrame(
                    {
                        "Check": [c["check"] for c in checks],
                        "Model": [c["model"] for c in checks],
                        "Answer": [_answer(c["answer"]) for c in checks],
                        "Expects": [
                            ", ".join(f"{k}: {v}" for k, v in c["expect"].items()) for c in checks
                        ],
                        "Grades as": [
                            (
                                f"score {c['result']['score']}, passed: {c['result']['passed']}, "
                                f"errors: {', '.join(c['result']['errors']) or 'none'}, "
                                f"critical: {', '.join(c['result']['critical']) or 'none'}"
                            )
                            if c["result"]
                            else "cannot be graded"
                            for c in checks
                        ],
                        "Result": ["as stated" if c["ok"] else "DIFFERS" for c in checks],
                        "Differences": ["; ".join(c["differences"]) for c in checks],
                    }
                ),
                hide_index=True,
                width="stretch",
            )

# ------------------------------------------------------------------ versions and differences

with tab_versions:
    if unsaved:
        st.markdown("**Unsaved changes**")
        change = diff_texts(saved_text, text, "saved", "editing")
        st.caption(f"{change.added} line(s) added, {change.removed} removed.")
        st.code(change.text, language="diff")
    if loaded:
        versions = loaded["versions"]
        st.dataframe(
            pd.DataFrame(
                {
                    "Version": [v["version"] for v in versions],
                    "Status": [v["status"] for v in versions],
                    "Current": [v["current"] for v in versions],
                    "Attempts": [v["attempts"] for v in versions],
                    "Saved": [v["created_at"] for v in versions],
                }
            ),
            hide_index=True,
        )
        if len(versions) > 1:
            ids = {v["version_id"]: v["version"] for v in versions}
            order = list(ids)
            ends = st.columns(2)
            old = ends[0].selectbox(
                "From version",
                order,
                index=1,
                format_func=lambda v: f"v{ids[v]}",
                key=f"editor.from.{loaded['key']}",
            )
            new = ends[1].selectbox(
                "To version",
                order,
                index=0,
                format_func=lambda v: f"v{ids[v]}",
                key=f"editor.to.{loaded['key']}",
            )
            diff = authoring.version_diff(actor=actor, old_version_id=old, new_version_id=new)
            if diff.unchanged:
                st.info("These versions have the same text.")
            else:
                st.caption(f"{diff.added} line(s) added, {diff.removed} removed.")
                st.code(diff.text, language="diff")
        else:
            st.caption("Only one version so far.")
