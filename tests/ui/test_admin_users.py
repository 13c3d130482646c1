"""Admin users page and the forced password change, through AppTest (issue 18)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.services import accounts, audit
from app.ui.session import LOGIN_KEY
from tests.factories import PASSWORD, ROOT

PAGES = ROOT / "app" / "app_pages"


def _page(name: str, user_id: int | None = None, login_id: int | None = None) -> AppTest:
    at = AppTest.from_file(str(PAGES / name), default_timeout=60)
    if login_id is not None:
        at.session_state[LOGIN_KEY] = login_id
    elif user_id is not None:
        at.session_state["user_id"] = user_id
    return at.run()


def _texts(at: AppTest) -> str:
    parts = []
    for kind in ("markdown", "caption", "info", "success", "warning", "error", "title", "text"):
        parts += [str(e.value) for e in getattr(at, kind)]
    return "\n".join(parts).replace("\\", "")


def _button(at: AppTest, label: str):
    return next(b for b in at.button if b.label == label)


def _users(world) -> dict[str, dict]:
    return {u["username"]: u for u in accounts.list_users(actor=world["admin-a"])}


def test_a_rejected_user_keeps_the_fields_then_is_added_with_a_message(sqlite_db, world):
    at = _page("admin_users.py", world["admin-a"].user_id)
    assert not at.exception, at.exception
    at.text_input(key="admin_users.new_username").input("sam.reyes")
    at.text_input(key="admin_users.new_name").input("Sam Reyes")
    at.selectbox(key="admin_users.new_role").set_value("trainer")
    at.text_input(key="admin_users.new_password").input("short")
    _button(at, "Add user").click().run()

    assert any("Not added" in e.value and "at least 8" in e.value for e in at.error)
    assert at.text_input(key="admin_users.new_username").value == "sam.reyes"
    assert at.text_input(key="admin_users.new_name").value == "Sam Reyes"
    assert at.selectbox(key="admin_users.new_role").value == "trainer"
    assert "sam.reyes" not in _users(world)

    at.text_input(key="admin_users.new_password").input("a long first passphrase")
    _button(at, "Add user").click().run()

    assert not at.error
    assert any("Added sam.reyes" in s.value for s in at.success)
    # The admin is told the first password is only for the first login.
    assert any(
        "At their first login they must choose a password of their own" in s.value
        for s in at.success
    )
    assert _users(world)["sam.reyes"]["role"] == "trainer"
    assert _users(world)["sam.reyes"]["must_change_password"]
    assert at.text_input(key="admin_users.new_username").value == ""  # ready for the next
    assert audit.agency_entries(actor=world["admin-a"])[0]["event"] == "user_created"


def test_disabling_asks_first_and_the_picker_starts_empty(sqlite_db, world):
    trainee = world["trainee-a"]
    at = _page("admin_users.py", world["admin-a"].user_id)
    picker = at.selectbox(key="admin_users.chosen")
    assert picker.value is None  # no real user chosen by default
    assert not [b for b in at.button if b.label in ("Disable…", "Reset password")]

    picker.set_value(trainee.user_id).run()
    _button(at, "Disable…").click().run()
    assert _users(world)["trainee-a"]["active"]  # not yet: asked first
    assert any("Disable Trainee A (trainee-a)?" in w.value for w in at.warning)
    _button(at, "Cancel").click().run()
    assert _users(world)["trainee-a"]["active"]

    _button(at, "Disable…").click().run()
    _button(at, "Yes, disable").click().run()

    assert not at.exception, at.exception
    assert not _users(world)["trainee-a"]["active"]
    assert any("is disabled. Ended 0 open logins." in s.value for s in at.success)
    assert audit.agency_entries(actor=world["admin-a"])[0]["event"] == "user_disabled"


def test_role_change_and_reset_from_the_page(sqlite_db, world):
    trainer = world["trainer-a"]
    at = _page("admin_users.py", world["admin-a"].user_id)
    at.selectbox(key="admin_users.chosen").set_value(trainer.user_id).run()
    at.selectbox(key=f"admin_users.role.{trainer.user_id}").set_value("supervisor").run()
    _button(at, "Change role").click().run()
    assert any("is now a supervisor" in s.value for s in at.success)
    assert accounts.load_actor(trainer.user_id).role == "supervisor"

    _button(at, "Reset password").click().run()
    assert not at.exception, at.exception
    shown = [c.value for c in at.code]
    assert len(shown) == 1
    one_time = shown[0]
    assert accounts.authenticate(username="trainer-a", password=one_time).must_change_password
    # Shown once: the next interaction no longer has it.
    at.run()
    assert not at.code
    events = [e["event"] for e in audit.agency_entries(actor=world["admin-a"])]
    assert events[:2] == ["password_reset", "role_changed"]


def test_only_admins_get_the_page(sqlite_db, world):
    for name in ("trainee-a", "trainer-a", "supervisor-a"):
        at = _page("admin_users.py", world[name].user_id)
        assert at.error and not at.dataframe


def test_a_reset_user_sees_only_the_change_form_until_they_set_a_password(sqlite_db, world):
    trainee = world["trainee-a"]
    one_time = accounts.reset_password(actor=world["admin-a"], user_id=trainee.user_id)
    forced = accounts.authenticate(username="trainee-a", password=one_time)
    login = accounts.begin_login(actor=forced)

    at = _page("trainee_home.py", login_id=login.session_id)

    assert not at.exception, at.exception
    assert at.title[0].value == "Set a new password"
    assert "My training" not in _texts(at) and not at.metric
    at.text_input[0].input(one_time)
    at.text_input[1].input("my own long passphrase")
    at.text_input[2].input("my own long passphrase")
    _button(at, "Set my new password").click().run()

    assert any("Your password is changed" in s.value for s in at.success)
    assert accounts.authenticate(username="trainee-a", password="my own long passphrase")
    fresh = accounts.authenticate(username="trainee-a", password="my own long passphrase")
    assert not fresh.must_change_password


def test_a_user_added_by_an_admin_first_sees_only_the_change_form(sqlite_db, world):
    first = "the admin's first passphrase"
    accounts.admin_create_user(
        actor=world["admin-a"],
        username="new.trainer",
        display_name="New Trainer",
        role="trainer",
        password=first,
    )
    at = _only_the_change_form(accounts.authenticate(username="new.trainer", password=first))
    at.text_input[0].input(first)
    at.text_input[1].input("the trainer's own passphrase")
    at.text_input[2].input("the trainer's own passphrase")
    _button(at, "Set my new password").click().run()

    assert any("Your password is changed" in s.value for s in at.success)
    fresh = accounts.authenticate(username="new.trainer", password="the trainer's own passphrase")
    assert not fresh.must_change_password


def test_the_menu_of_a_reset_user_holds_only_the_change_form(sqlite_db, world):
    one_time = accounts.reset_password(actor=world["admin-a"], user_id=world["trainer-a"].user_id)
    _only_the_change_form(accounts.authenticate(username="trainer-a", password=one_time))


def _only_the_change_form(forced) -> AppTest:
    """The app as a user who must set their own password sees it: the form, nothing else."""
    login = accounts.begin_login(actor=forced)
    at = AppTest.from_file(str(ROOT / "app" / "streamlit_app.py"), default_timeout=60)
    at.session_state[LOGIN_KEY] = login.session_id
    at.run()
    assert not at.exception, at.exception
    assert at.title[0].value == "Set a new password"
    assert "Scenario bank" not in _texts(at)
    return at


def test_a_disabled_users_next_click_is_refused(sqlite_db, world):
    trainee = world["trainee-a"]
    login = accounts.begin_login(
        actor=accounts.authenticate(username="trainee-a", password=PASSWORD)
    )
    at = _page("trainee_home.py", login_id=login.session_id)
    assert at.title[0].value == "My training"

    accounts.set_active(actor=world["admin-a"], user_id=trainee.user_id, active=False)
    at.run()

    assert not at.exception, at.exception
    assert any("Please log in first." in e.value for e in at.error)
    assert not any(t.value == "My training" for t in at.title)
