"""Renewal through practice, for any practice history: a certificate is never judged
before its renewal window opens, and practice before it was issued never counts."""

from __future__ import annotations

import datetime as dt

from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import certification as cert
from tests.core.test_certification import TRACK

ISSUED = dt.datetime(2026, 1, 10, 9, 0, tzinfo=dt.UTC)
EXPIRES = cert.add_months(ISSUED, TRACK.validity_months)

calls = st.lists(
    st.builds(
        cert.PracticeCall,
        st.integers(-400, 800).map(lambda d: ISSUED + dt.timedelta(days=d)),
        st.integers(0, 100),
        st.booleans(),
    ),
    max_size=60,
)


@settings(max_examples=200, deadline=None)
@given(calls, st.integers(0, 10_000))
def test_before_the_window_only_its_opening_date_is_shown(history, minutes):
    opens = EXPIRES - dt.timedelta(days=TRACK.renewal.window_days)
    now = min(ISSUED + dt.timedelta(minutes=minutes * 60), opens - dt.timedelta(seconds=1))
    check = cert.renewal_check(
        TRACK, expires_at=EXPIRES, revoked=False, calls=history, now=now, issued_at=ISSUED
    )
    assert check.window == "not_yet" and not check.eligible
    assert len(check.reasons) == 1 and check.reasons[0].startswith("Renewal opens on")


@settings(max_examples=200, deadline=None)
@given(calls, st.integers(0, 40))
def test_practice_before_issue_never_counts(history, days_into_window):
    opens = EXPIRES - dt.timedelta(days=TRACK.renewal.window_days)
    now = opens + dt.timedelta(days=days_into_window)
    check = cert.renewal_check(
        TRACK, expires_at=EXPIRES, revoked=False, calls=history, now=now, issued_at=ISSUED
    )
    since = max(ISSUED, cert.add_months(now, -TRACK.renewal.lookback_months))
    counted = [c for c in history if c.submitted_at >= since]
    assert check.calls == len(counted)
    assert check.unsafe == sum(1 for c in counted if c.critical)
    before = [c for c in history if c.submitted_at < ISSUED]
    again = cert.renewal_check(
        TRACK,
        expires_at=EXPIRES,
        revoked=False,
        calls=[c for c in history if c not in before],
        now=now,
        issued_at=ISSUED,
    )
    assert again == check  # removing every call before issue changes nothing
