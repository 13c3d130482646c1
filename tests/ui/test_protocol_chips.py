"""The agency protocol's call-type chips show the protocol's words, not codes (issue 18)."""

from __future__ import annotations

from streamlit.testing.v1 import AppTest

from app.core.protocol import load_protocol
from tests.factories import ROOT


def test_call_type_chips_are_labels(sqlite_db, world):
    at = AppTest.from_file(
        str(ROOT / "app" / "app_pages" / "trainer_protocol.py"), default_timeout=60
    )
    at.session_state["user_id"] = world["trainer-a"].user_id
    at.run()
    assert not at.exception, at.exception
    shown = at.multiselect(key="protocol.eligible").options
    protocol = load_protocol()
    assert sorted(shown) == sorted(c.label for c in protocol.call_types.values())
    assert not any(code in text for text in shown for code in protocol.call_types)
