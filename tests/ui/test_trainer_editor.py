"""The editor page (AppTest): live validation at the right line, saving drafts, approval
by a second trainer, the form changing only its fields, checks, the preview and the diff
between versions. AppTest cannot type into the code editor (a component in its own
frame), so these tests use the plain text box; tests/browser/test_trainer_editor.py
types into the code editor itself."""

from __future__ import annotations

import re

import pytest
from sqlmodel import select
from streamlit.testing.v1 import AppTest

from app.store.db import read_session
from app.store.models import ScenarioVersion
from tests.factories import ROOT
from tests.services.test_authoring_support import LAUNDROMAT, add_attempt, store, text_of

PAGE = str(ROOT / "app" / "app_pages" / "trainer_editor.py")


@pytest.fixture
def scenario(sqlite_db, world):
    return store(world.agencies["a"], text_of(LAUNDROMAT))


def open_editor(world, version_id=None, who="trainer-a") -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = world[who].user_id
    at.session_state["editor.plain_box"] = True
    if version_id is not None:
        at.session_state["editor.version_id"] = version_id
    at.run()
    assert not at.exception, at.exception
    return at


def shown(elements) -> list[str]:
    """Texts as a person reads them (the page escapes Markdown characters)."""
    return [e.value.replace("\\", "") for e in elements]


def yaml_box(at: AppTest):
    return next(t for t in at.text_area if t.label == "Scenario YAML")


def rows(version_key="disturbance-laundromat-0004"):
    with read_session() as session:
        return session.exec(
            select(ScenarioVersion)
            .where(ScenarioVersion.scenario_key == version_key)
            .order_by(ScenarioVersion.version)
        ).all()


def test_an_error_is_shown_at_its_line_and_blocks_saving(scenario, world):
    at = open_editor(world, scenario)
    box = yaml_box(at)
    assert box.value == text_of(LAUNDROMAT)
    broken = box.value.replace("difficulty: 1", "difficulty: 9")
    box.set_value(broken).run()
    line = broken.splitlines().index("difficulty: 9") + 1
    assert f"Line {line}: difficulty must be 1..5, not 9" in shown(at.error)
    assert at.button(key="editor.save").disabled
    assert any("fix them to save" in e for e in shown(at.error))
    # An unknown code is named at its own line too.
    broken = text_of(LAUNDROMAT).replace("call_type: DISTURBANCE", "call_type: DISTURBANCES")
    yaml_box(at).set_value(broken).run()
    line = broken.splitlines().index("  call_type: DISTURBANCES") + 1
    assert any(f"Line {line}: " in e and "DISTURBANCES" in e for e in shown(at.error))
    # A syntax error is said in plain words, not in the YAML reader's.
    broken = text_of(LAUNDROMAT).replace("module: conflict-calls", "module conflict-calls")
    yaml_box(at).set_value(broken).run()
    line = broken.splitlines().index("module conflict-calls") + 1
    errors = shown(at.error)
    assert any(e.startswith(f"Line {line}: The file cannot be read here") for e in errors)
    assert not any("scanning" in e or "simple key" in e for e in errors)


def test_saving_makes_a_draft_that_another_trainer_approves(scenario, world):
    from tests.services.test_authoring_support import add_user

    at = open_editor(world, scenario)
    yaml_box(at).set_value(text_of(LAUNDROMAT).replace("over a dryer", "over a washer", 1)).run()
    at.button(key="editor.save").click().run()
    assert not at.exception
    assert any("Saved as a draft" in s for s in shown(at.success))
    live, draft = rows()
    assert (live.status, live.is_current, live.yaml_text) == (
        "published",
        True,
        text_of(LAUNDROMAT),
    )
    assert (draft.status, draft.is_current) == ("draft", False)
    assert "over a washer" in draft.yaml_text
    assert at.selectbox(key="editor.pick").value == draft.id  # the editor is on the draft
    # The author may not approve their own change.
    assert at.button(key="editor.approve").disabled
    assert any("another trainer" in c for c in shown(at.caption))
    add_user(world.agencies["a"], "trainer-a2", "trainer")
    other = AppTest.from_file(PAGE, default_timeout=60)
    with read_session() as session:
        from app.store.models import User

        reviewer = session.exec(select(User).where(User.username == "trainer-a2")).one()
    other.session_state["user_id"] = reviewer.id
    other.session_state["editor.plain_box"] = True
    other.session_state["editor.version_id"] = draft.id
    other.run()
    assert not other.button(key="editor.approve").disabled
    other.button(key="editor.approve").click().run()
    assert any("Approved and published" in s for s in shown(other.success))
    old, new = rows()
    assert (old.is_current, new.is_current, new.status) == (False, True, "published")


def test_a_save_made_meanwhile_is_not_overwritten_and_my_text_is_kept(scenario, world):
    from app.services import authoring
    from tests.services.test_authoring_support import add_user

    mine = open_editor(world, scenario)
    other = add_user(world.agencies["a"], "trainer-a2", "trainer")
    theirs = text_of(LAUNDROMAT).replace("over a dryer", "over a washer", 1)
    authoring.save_scenario(actor=other, text=theirs, key="disturbance-laundromat-0004")
    edited = text_of(LAUNDROMAT).replace("over a dryer", "over a phone charger", 1)
    yaml_box(mine).set_value(edited).run()
    mine.button(key="editor.save").click().run()
    assert not mine.exception
    assert any("after you opened it" in e.value for e in mine.error)
    assert yaml_box(mine).value == edited  # nothing typed is lost
    assert "over a washer" in rows()[-1].yaml_text  # and their save (a draft) stands
    assert rows()[0].yaml_text == text_of(LAUNDROMAT)  # trainees still get the original


def test_a_title_edit_in_the_form_changes_one_line(scenario, world):
    add_attempt(world["trainee-a"], scenario, 100)
    at = open_editor(world, scenario)
    assert any("makes a draft of the next version" in c for c in shown(at.caption))
    title = next(t for t in at.text_input if t.label == "Title")
    title.set_value("Team on patrol stops at an argument over a washer")
    next(b for b in at.button if b.label == "Apply to the YAML").click().run()
    assert any("1 line(s) changed" in s for s in shown(at.success))
    at.button(key="editor.save").click().run()
    old, new = rows()
    assert (old.is_current, old.status, new.is_current, new.status) == (
        True,
        "published",
        False,
        "draft",
    )
    assert old.yaml_text == text_of(LAUNDROMAT)
    assert at.selectbox(key="editor.pick").value == new.id  # the editor moved on
    at.selectbox(key="editor.from.disturbance-laundromat-0004")  # the versions tab
    diffs = [c.value for c in at.code if c.language == "diff"]
    assert any(
        "-title: Team on patrol stops at an argument over a dryer" in d
        and "+title: Team on patrol stops at an argument over a washer" in d
        and [line[0] for line in d.splitlines()[2:] if line[:1] in "+-"] == ["-", "+"]
        for d in diffs
    ), diffs


def test_the_form_rewrites_the_yaml(scenario, world):
    at = open_editor(world, scenario)
    title = next(t for t in at.text_input if t.label == "Title")
    title.set_value("Argument over a dryer, **loud**")
    next(b for b in at.button if b.label == "Apply to the YAML").click().run()
    assert not at.exception
    assert "\ntitle: Argument over a dryer, **loud**\n" in yaml_box(at).value
    assert any(s.value.startswith("The scenario is valid") for s in at.success)
    # Nothing but the title changed: the rest of the file is as written.
    before, after = text_of(LAUNDROMAT).splitlines(), yaml_box(at).value.splitlines()
    assert len(before) == len(after)
    assert [(b, a) for b, a in zip(before, after, strict=True) if b != a] == [
        (
            "title: Team on patrol stops at an argument over a dryer",
            "title: Argument over a dryer, **loud**",
        )
    ]


def test_checks_and_preview(scenario, world):
    at = open_editor(world, scenario)
    frames = [f.value for f in at.dataframe]
    checks = next(f for f in frames if "Result" in f.columns)
    assert list(checks["Result"]) == ["as stated", "as stated"]
    # The preview shows the opening as the trainee hears it, and no part of the key.
    opening = "Dispatch, Unit C"  # shown escaped: "Unit C\\-3\\."
    assert any(opening in m.value for m in at.markdown)
    page_text = " ".join(m.value for m in at.markdown)
    assert "Proactive encounters are part of the job" not in page_text  # the rationale
    ask = at.button(key=next(k for k in _button_keys(at) if k.endswith("ask.weapons")))
    ask.click().run()
    assert any("Nothing seen" in m.value for m in at.markdown)


def _button_keys(at: AppTest) -> list[str]:
    return [b.key for b in at.button if b.key]


def test_trainer_text_is_never_markdown_or_html(sqlite_db, world):
    text = text_of(LAUNDROMAT).replace(
        "    Dispatch, Unit C-3.", "    <img src=x onerror=alert(1)> **Dispatch**, Unit C-3."
    )
    version_id = store(world.agencies["a"], text)
    at = open_editor(world, version_id)
    opening = next(m.value for m in at.markdown if "Unit C" in m.value)
    # Every < and * is escaped, so Markdown shows them as typed and no tag is made.
    assert re.search(r"(?<!\\)[<*]", opening) is None
    assert "\\<img" in opening and "\\*\\*Dispatch" in opening


def test_a_new_scenario_is_saved_as_a_draft(sqlite_db, world):
    at = open_editor(world)
    assert at.selectbox(key="editor.pick").value == 0  # an empty bank starts a new scenario
    at.button(key="editor.save").click().run()
    assert any("new draft" in s for s in shown(at.success))
    draft = rows("new-scenario-0001")
    assert [(r.status, r.source) for r in draft] == [("draft", "authored")]


def test_trainees_cannot_open_the_editor(scenario, world):
    at = open_editor(world, scenario, who="trainee-a")
    assert any("may not" in e.value for e in at.error)
    assert not at.text_area
