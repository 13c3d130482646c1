"""The audit log tab in plain words: "1 entry", event names and details, no raw codes."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import accounts
from tests.factories import ROOT

PAGE = str(ROOT / "app" / "app_pages" / "supervisor_certs.py")


def _run(user_id: int) -> AppTest:
    at = AppTest.from_file(PAGE, default_timeout=60)
    at.session_state["user_id"] = user_id
    return at.run()


def test_one_entry_is_one_entry_and_events_read_as_words(sqlite_db, world):
    admin = world["admin-a"]
    accounts.set_role(actor=admin, user_id=world["trainee-a"].user_id, role="trainer")

    at = _run(admin.user_id)

    assert not at.exception, at.exception
    intact = [s.value for s in at.success if "audit log is intact" in s.value]
    assert intact and "1 entry," in intact[0] and "entries" not in intact[0]
    table = next(d.value for d in at.dataframe if "What happened" in d.value.columns)
    row = table.iloc[0]
    assert row["What happened"] == "Role changed"
    assert row["About"] == "user trainee-a"
    assert row["Details"] == "from: Trainee · to: Trainer"
    assert row["By"] == admin.display_name
    assert "role_changed" not in table.to_string()


def test_two_entries_and_the_filter(sqlite_db, world):
    admin = world["admin-a"]
    trainee = world["trainee-a"].user_id
    accounts.set_active(actor=admin, user_id=trainee, active=False)
    accounts.set_active(actor=admin, user_id=trainee, active=True)
    at = _run(admin.user_id)
    assert any("2 entries," in s.value for s in at.success)
    at.selectbox(key="certs.audit.event").set_value("user_disabled").run()
    table = next(d.value for d in at.dataframe if "What happened" in d.value.columns)
    assert table["What happened"].tolist() == ["User disabled"]
    assert table["Details"].tolist() == ["logins ended: 0"]
