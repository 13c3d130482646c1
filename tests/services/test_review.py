"""Supervisor review service on SQLite and PostgreSQL, against a data set written by hand.

``seed_review_data`` is shared with the page tests (tests/ui/test_supervisor_*.py).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pandas as pd
import pytest

from app.core import analytics as an
from app.errors import AccessDenied, NotFound, UserError
from app.services import review
from app.services.accounts import actor_for, create_user
from app.store.db import write_session
from app.store.models import Attempt, ScenarioVersion, utcnow
from tests.factories import PASSWORD

NOW = utcnow().replace(microsecond=0)


def _scenario(key: str, dq: list[str], disposition: str, *, twin: str | None = None) -> dict:
    tags = ["twin:g1", f"twin-variant:{twin}"] if twin else []
    return {
        "format": 1,
        "id": key,
        "version": 1,
        "title": f"Call {key}",
        "module": "disqualifiers",
        "tags": tags,
        "call": {
            "channel": "911",
            "initial_call_type": "WELFARE_CHECK",
            "opening": "Someone needs help.",
            "exchanges": [
                {"ask": "weapons", "answer": "He has a knife." if "weapon" in dq else "No."},
                {"ask": "threats", "answer": "No threats."},
                {"ask": "medical", "answer": "He looks fine."},
            ],
        },
        "expert": {
            "disqualifiers": dq,
            "call_type": "WEAPONS" if "weapon" in dq else "WELFARE_CHECK",
            "disposition": disposition,
            "acceptable": [],
            "unsafe": ["community_responder"] if dq else [],
            "required_questions": ["weapons", "threats"],
            "time_target_seconds": 60,
            "evidence": {"weapon": "weapons"} if "weapon" in dq else {},
            "rationale": "Test key.",
        },
    }


SCENARIOS = {
    "S1": _scenario("s1", [], "community_responder", twin="a"),
    "S2": _scenario("s2", [], "community_responder", twin="b"),
    "S3": _scenario("s3", ["weapon"], "police"),
    "S4": _scenario("s4", ["medical"], "ems"),
}

# (user, scenario, days ago, score, passed, unsafe, over_routed, seconds, chosen,
#  expert, missed, over-flagged, twin variant)
ROWS = [
    ("T1", "S1", 40, 100, True, False, False, 30, "community_responder", "community_responder", "", "", "a"),
    ("T1", "S2", 39, 70, False, False, True, 70, "police", "community_responder", "", "", "b"),
    ("T1", "S3", 10, 40, False, True, False, 50, "community_responder", "police", "weapon", "", None),
    ("T1", "S3", 5, 90, True, False, False, 65, "police", "police", "", "", None),
    ("T1", "S4", 2, 85, True, False, False, 45, "ems", "ems", "", "threat", None),
    ("T2", "S1", 20, 60, False, False, True, 90, "police", "community_responder", "", "", "a"),
    ("T2", "S2", 20.5, 95, True, False, False, 40, "community_responder", "community_responder", "", "", "b"),
    ("T2", "S4", 1, 30, False, True, False, 120, "community_responder", "ems", "medical", "", None),
    ("T2", "S3", 1.5, 100, True, False, False, 20, "police", "police", "", "", None),
]  # fmt: skip

# Attempt 3 (T1 on S3) as the practice page records it.
EVENTS_3 = [
    {"t": 5.0, "kind": "ask", "value": "weapons"},
    {"t": 12.0, "kind": "ask", "value": "threats"},
    {"t": 20.0, "kind": "disqualifier", "value": {"code": "threat", "on": True}},
    {"t": 25.0, "kind": "disqualifier", "value": {"code": "threat", "on": False}},
    {"t": 30.0, "kind": "call_type", "value": "WELFARE_CHECK"},
    {"t": 50.0, "kind": "disposition", "value": "community_responder"},
]


@dataclass
class Seeded:
    now: dt.datetime
    users: dict[str, int]
    attempts: list[int]  # ids in ROWS order
    scenarios: dict[str, int]
    other_attempts: list[int] = field(default_factory=list)


def seed_review_data(world) -> Seeded:
    """The hand-written data set in agency a, plus noise in agency b that must never show."""
    agency_a, agency_b = world.agencies["a"], world.agencies["b"]
    with write_session() as session:
        t2 = create_user(
            session=session,
            agency_id=agency_a,
            username="trainee-a2",
            display_name="Second Trainee",
            role="trainee",
            password=PASSWORD,
        )
        users = {"T1": world["trainee-a"].user_id, "T2": t2.id}
        scenario_ids = {}
        for agency, suffix in ((agency_a, "a"), (agency_b, "b")):
            for name, data in SCENARIOS.items():
                row = ScenarioVersion(
                    agency_id=agency,
                    scenario_key=f"{data['id']}-{suffix}",
                    title=data["title"],
                    module=data["module"],
                    call_type=data["expert"]["call_type"],
                    disqualifiers=",".join(sorted(data["expert"]["disqualifiers"])),
                    twin_group="g1" if data["tags"] else None,
                    yaml_text="{}",
                    data=data,
                    content_hash=f"{name}-{suffix}",
                )
                session.add(row)
                session.flush()
                scenario_ids[f"{name}-{suffix}"] = row.id
        ids = []
        for index, (user, sc, days, score, passed, unsafe, over, secs, chosen, expert, missed,
                    over_dq, variant) in enumerate(ROWS, start=1):  # fmt: skip
            submitted = NOW - dt.timedelta(days=days)
            attempt = Attempt(
                agency_id=agency_a,
                user_id=users[user],
                scenario_version_id=scenario_ids[f"{sc}-a"],
                status="submitted",
                idempotency_key=f"review-test-{index}",
                started_at=submitted - dt.timedelta(seconds=secs),
                submitted_at=submitted,
                events=EVENTS_3 if index == 3 else [],
                answer={
                    "questions": ["weapons", "threats"],
                    "disqualifiers": [],
                    "call_type": "WELFARE_CHECK",
                    "disposition": chosen,
                    "seconds": secs,
                },
                grade={"score": score, "passed": passed},
                score=score,
                passed=passed,
                unsafe=unsafe,
                over_routed=over,
                seconds=secs,
                disposition=chosen,
                expert_disposition=expert,
                call_type="WELFARE_CHECK",
                missed_disqualifiers=missed,
                over_disqualifiers=over_dq,
                twin_group="g1" if variant else None,
                twin_variant=variant,
            )
            session.add(attempt)
            session.flush()
            ids.append(attempt.id)
        # An unfinished call (never counted) and agency b's attempts (never visible to a).
        session.add(
            Attempt(
                agency_id=agency_a,
                user_id=users["T2"],
                scenario_version_id=scenario_ids["S1-a"],
                status="in_progress",
                idempotency_key="review-test-open",
                started_at=NOW,
            )
        )
        other = []
        for index in range(3):
            attempt = Attempt(
                agency_id=agency_b,
                user_id=world["trainee-b"].user_id,
                scenario_version_id=scenario_ids["S3-b"],
                status="submitted",
                idempotency_key=f"review-test-b-{index}",
                started_at=NOW - dt.timedelta(days=1),
                submitted_at=NOW - dt.timedelta(days=1),
                score=0,
                passed=False,
                unsafe=True,
                over_routed=True,
                seconds=500,
                disposition="community_responder",
                expert_disposition="police",
                missed_disqualifiers="weapon",
                over_disqualifiers="threat",
                twin_group="g1",
                twin_variant="ab"[index % 2],
            )
            session.add(attempt)
            session.flush()
            other.append(attempt.id)
    return Seeded(NOW, users, ids, scenario_ids, other)


@pytest.fixture
def seeded(database, world):
    return seed_review_data(world)


@pytest.fixture
def sup(world):
    return world["supervisor-a"]


# --- each view against the hand-computed values -------------------------------------------


def test_cohort_overview(seeded, sup):
    view = review.cohort_overview(actor=sup, now=seeded.now)
    assert view.summary["trainees"] == 2
    assert view.summary["attempts"] == 9
    assert view.summary["passes"] == 5
    assert view.summary["pass_rate"] == pytest.approx(5 / 9)
    table = view.trainees.set_index("user_id")
    t1, t2 = table.loc[seeded.users["T1"]], table.loc[seeded.users["T2"]]
    assert (t1["attempts"], t1["passes"], t1["score_sum"]) == (5, 3, 385)
    assert (t1["unsafe"], t1["over_routed"]) == (1, 1)
    assert (t1["recent_attempts"], t1["recent_passes"], t1["missed_weapon"]) == (3, 2, 1)
    assert (t2["attempts"], t2["passes"], t2["recent_attempts"], t2["missed_medical"]) == (
        4,
        2,
        4,
        1,
    )
    assert t1["days_inactive"] == 2 and t2["days_inactive"] == 1
    assert t1["stage"] == "lessons"  # has practised, no lesson passed
    assert view.stages.set_index("stage").loc["lessons", "trainees"] == 2
    # Weekly counts add up to everything submitted (all within the trend window).
    assert view.weekly["attempts"].sum() == 9
    assert view.weekly["passes"].sum() == 5


def test_stuck_rules_are_applied(seeded, sup):
    rules = an.StuckRules(repeat_misses=1, inactive_days=2)
    view = review.cohort_overview(actor=sup, now=seeded.now, rules=rules)
    reasons = view.trainees.set_index("user_id")["reasons"]
    assert reasons[seeded.users["T1"]] == (
        "inactive for 2 days; missed 'weapon' 1 time in the last 30 days"
    )
    assert reasons[seeded.users["T2"]] == "missed 'medical' 1 time in the last 30 days"


def test_error_profile(seeded, sup):
    profile = review.error_profile(actor=sup).set_index("disqualifier")
    assert profile.loc["weapon", ["present", "absent", "missed", "over_flagged"]].tolist() == [
        3,
        6,
        1,
        0,
    ]
    assert profile.loc["weapon", "missed_rate"] == pytest.approx(1 / 3)
    assert profile.loc["medical", "missed_rate"] == 0.5
    assert profile.loc["threat", "over_rate"] == pytest.approx(1 / 9)
    assert profile["over_flagged"].sum() == 1 and profile["missed"].sum() == 2


def test_error_profile_since(seeded, sup):
    profile = review.error_profile(actor=sup, since=seeded.now - dt.timedelta(days=3))
    # Attempts 5, 8, 9 only: medical missed once (of 2), threat over-flagged once (of 3).
    profile = profile.set_index("disqualifier")
    assert profile.loc["medical", ["present", "missed"]].tolist() == [2, 1]
    assert profile.loc["threat", ["absent", "over_flagged"]].tolist() == [3, 1]


def test_confusion_matrix_and_rates(seeded, sup):
    view = review.confusion_matrix(actor=sup)
    cells = {
        (e, c): n
        for e, c, n in zip(view.cells.expert, view.cells.chosen, view.cells.n, strict=True)
    }
    assert cells == {
        ("community_responder", "community_responder"): 2,
        ("community_responder", "police"): 2,
        ("police", "community_responder"): 1,
        ("police", "police"): 2,
        ("ems", "ems"): 1,
        ("ems", "community_responder"): 1,
    }
    assert view.rates["unsafe"] == 2 and view.rates["unsafe_rate"] == pytest.approx(2 / 9)
    assert view.rates["over_routing_base"] == 6
    assert view.rates["over_routing_rate"] == pytest.approx(2 / 6)
    assert len(view.matrix) == 9  # three routes on each axis


def test_timing_matches_core_on_raw_values(seeded, sup):
    view = review.timing(actor=sup)
    raw = [r[7] for r in ROWS]
    assert view.summary == an.timing_summary(raw)
    assert view.summary["within"] == 5 and view.summary["p90"] == 120
    assert view.histogram["n"].sum() == 9
    assert view.histogram.set_index("start").loc[120.0, "n"] == 1


def test_equity_audit(seeded, sup):
    view = review.equity_audit(actor=sup)
    pairs = view.pairs.set_index("user_id")
    assert pairs.loc[seeded.users["T1"], "diff"] == -1.0  # only variant b went to police
    assert pairs.loc[seeded.users["T2"], "diff"] == 1.0  # only variant a went to police
    assert view.cohort["pairs"] == 2 and view.cohort["mean_diff"] == 0.0
    assert not view.cohort["flagged"] and not view.per_trainee["flagged"].any()
    assert set(view.per_trainee["name"]) == {"Trainee A", "Second Trainee"}


def test_twin_differences_in_words_for_each_pair_of_the_audit(seeded, sup, world):
    """The audit's twin pairs name their two versions; the words on what differs come
    from their contents, and only from versions of the supervisor's own agency."""
    view = review.equity_audit(actor=sup)
    assert {"version_a", "version_b"} <= set(view.twins.columns) and len(view.twins)
    twins = view.twins
    pairs = list(zip(twins["twin_group"], twins["version_a"], twins["version_b"], strict=True))
    words = review.twin_differences(actor=sup, pairs=pairs)
    assert set(words) == set(view.twins["twin_group"])
    assert all(text and text != review.NOT_FOUND for text in words.values())
    assert review.twin_differences(actor=sup, pairs=pairs) == words  # kept: the same again
    other = world["supervisor-b"]
    assert set(review.twin_differences(actor=other, pairs=pairs).values()) == {review.NOT_FOUND}


def test_the_equity_query_reads_its_covering_index_alone(sqlite_db, world):
    """The audit's query (with the version each attempt took) is answered from
    ix_attempt_an_twin without reading attempt rows (migration 0015 added the column)."""
    from sqlalchemy import event

    from app.store.db import get_engine, read_session

    seed_review_data(world)
    seen: list[tuple[str, object]] = []
    engine = get_engine()

    def capture(conn, cursor, statement, parameters, context, executemany):
        if "ix_attempt_an_twin" in statement:
            seen.append((statement, parameters))

    event.listen(engine, "before_cursor_execute", capture)
    try:
        review.equity_audit(actor=world["supervisor-a"])
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    [(statement, parameters)] = seen
    with read_session() as session:
        plan = session.connection().exec_driver_sql("EXPLAIN QUERY PLAN " + statement, parameters)
        details = " ".join(str(row[-1]) for row in plan)
    assert "COVERING INDEX ix_attempt_an_twin" in details, details


# --- traceability ---------------------------------------------------------------------------


def test_attempts_behind(seeded, sup):
    ids = seeded.attempts

    def behind(metric, **where):
        return review.attempts_behind(actor=sup, metric=metric, where=where)["attempt_id"].tolist()

    assert behind("missed", disqualifier="weapon") == [ids[2]]
    assert behind("over_flagged", disqualifier="threat") == [ids[4]]
    assert behind("route", expert="community_responder", chosen="police") == [ids[5], ids[1]]
    assert behind("over_limit") == [ids[7], ids[3], ids[5], ids[1]]
    assert len(behind("within_limit")) == 5
    assert behind("unsafe") == [ids[7], ids[2]]
    assert behind("over_routed") == [ids[5], ids[1]]
    assert behind("trainee", user_id=seeded.users["T2"]) == [ids[7], ids[8], ids[5], ids[6]]
    assert behind("time_bin", start=120.0) == [ids[7]]
    assert len(behind("all")) == 9 and len(behind("passed")) == 5 and len(behind("failed")) == 4
    assert behind("twin", user_id=seeded.users["T1"]) == [ids[1], ids[0]]
    week = review.cohort_overview(actor=sup, now=seeded.now).weekly.iloc[-1]
    assert len(behind("week", week=week["week"])) == week["attempts"]
    rows = review.attempts_behind(actor=sup, metric="missed", where={"disqualifier": "weapon"})
    assert rows.iloc[0]["trainee"] == "Trainee A" and rows.iloc[0]["scenario"] == "Call s3"


def test_attempts_behind_rejects_bad_input(seeded, sup):
    with pytest.raises(UserError):
        review.attempts_behind(actor=sup, metric="nope")
    with pytest.raises(UserError):
        review.attempts_behind(actor=sup, metric="missed")
    with pytest.raises(UserError):
        review.attempts_behind(actor=sup, metric="missed", where={"disqualifier": "x' OR 1=1"})


# --- one trainee, one attempt, notes ---------------------------------------------------------


def test_trainee_detail(seeded, sup):
    detail = review.trainee_detail(actor=sup, trainee_id=seeded.users["T1"])
    assert detail.trainee["name"] == "Trainee A"
    assert detail.attempts["attempt_id"].tolist() == list(reversed(seeded.attempts[:5]))
    assert detail.summary["attempts"] == 5 and detail.summary["passes"] == 3
    assert detail.summary["avg_score"] == pytest.approx(77)


# Question ids are shown as the protocol's questions (issue 18: no raw codes).
WEAPONS_Q = "Does anyone there have a weapon, or is there one within reach?"
MEDICAL_Q = "Is the person awake and breathing normally? Do they need medical help right now?"


def test_attempt_replay(seeded, sup):
    replay = review.attempt_replay(actor=sup, attempt_id=seeded.attempts[2])
    assert replay.attempt["trainee"] == "Trainee A"
    assert replay.key["disqualifiers"] == ["weapon"] and replay.key["disposition"] == "police"
    assert replay.timeline["verdict"].tolist() == [
        "required; reveals Weapon",  # protocol labels, not codes (issue 18)
        "required",
        "not in the key",
        "undid an over-flag",
        "key: Weapons call",
        "UNSAFE",
    ]
    assert replay.timeline["t"].tolist() == [5, 12, 20, 25, 30, 50]
    assert replay.timeline["judgement"].tolist() == ["good", "good", "bad", "good", "bad", "bad"]
    checklist = replay.checklist.set_index("item")
    assert checklist.loc[f"ask: {WEAPONS_Q}", "trainee"] == "asked at 5 s"
    assert not checklist.loc["disqualifier: Weapon", "ok"]
    assert checklist.loc["call type", "expected"] == "Weapons call"
    assert not checklist.loc["route", "ok"]
    asked = replay.exchanges.set_index("question")["asked_at"]
    assert asked[WEAPONS_Q] == 5 and pd.isna(asked[MEDICAL_Q])


def test_review_notes(seeded, sup, world):
    attempt = seeded.attempts[2]
    text = "<b>Listen again</b> at 0:05: the knife was mentioned."
    note = review.add_review_note(actor=sup, attempt_id=attempt, text=f"  {text}\n")
    assert note["text"] == text
    assert [n["text"] for n in review.review_notes(actor=sup, attempt_id=attempt)] == [text]
    # The trainee sees notes on their own attempt, not on someone else's.
    assert review.review_notes(actor=world["trainee-a"], attempt_id=attempt)[0]["text"] == text
    with pytest.raises(NotFound):
        review.review_notes(actor=world["trainee-a"], attempt_id=seeded.attempts[5])
    detail = review.trainee_detail(actor=sup, trainee_id=seeded.users["T1"])
    assert detail.attempts.set_index("attempt_id").loc[attempt, "notes"] == 1
    with pytest.raises(UserError):
        review.add_review_note(actor=sup, attempt_id=attempt, text="   ")
    with pytest.raises(UserError):
        review.add_review_note(actor=sup, attempt_id=attempt, text="x" * 4001)

    # --- access ---------------------------------------------------------------------------------
    # Direction controls cannot disguise a note (U+202E would draw the rest backwards).
    hidden = review.add_review_note(actor=sup, attempt_id=attempt, text="ok \u202egnorw")
    assert hidden["text"] == "ok gnorw"


def test_other_agency_sees_nothing_of_a(seeded, world):
    sup_b = world["supervisor-b"]
    view = review.cohort_overview(actor=sup_b, now=seeded.now)
    assert view.summary["attempts"] == 3  # only b's own noise
    assert seeded.users["T1"] not in set(view.trainees["user_id"])
    assert review.confusion_matrix(actor=sup_b).rates["attempts"] == 3
    assert set(review.attempts_behind(actor=sup_b, metric="all")["attempt_id"]) == set(
        seeded.other_attempts
    )
    with pytest.raises(NotFound):
        review.trainee_detail(actor=sup_b, trainee_id=seeded.users["T1"])
    with pytest.raises(NotFound):
        review.attempt_replay(actor=sup_b, attempt_id=seeded.attempts[0])
    with pytest.raises(NotFound):
        review.add_review_note(actor=sup_b, attempt_id=seeded.attempts[0], text="hi")
    with pytest.raises(NotFound):
        review.review_notes(actor=sup_b, attempt_id=seeded.attempts[0])
    # A's supervisor cannot reach b's attempts either.
    with pytest.raises(NotFound):
        review.attempt_replay(actor=world["supervisor-a"], attempt_id=seeded.other_attempts[0])


def test_a_supervisor_cannot_open_a_non_trainee(seeded, sup, world):
    with pytest.raises(NotFound):
        review.trainee_detail(actor=sup, trainee_id=world["trainer-a"].user_id)


@pytest.mark.parametrize("role", ["trainee", "trainer", "admin"])
def test_other_roles_are_refused(seeded, world, role):
    actor = world[f"{role}-a"]
    calls = [
        lambda: review.cohort_overview(actor=actor),
        lambda: review.error_profile(actor=actor),
        lambda: review.confusion_matrix(actor=actor),
        lambda: review.timing(actor=actor),
        lambda: review.equity_audit(actor=actor),
        lambda: review.attempts_behind(actor=actor, metric="all"),
        lambda: review.trainee_detail(actor=actor, trainee_id=seeded.users["T1"]),
        lambda: review.attempt_replay(actor=actor, attempt_id=seeded.attempts[0]),
        lambda: review.add_review_note(actor=actor, attempt_id=seeded.attempts[0], text="x"),
    ]
    for call in calls:
        with pytest.raises(AccessDenied):
            call()


def test_empty_agency(database, world):
    sup = world["supervisor-a"]
    view = review.cohort_overview(actor=sup)
    assert view.summary["attempts"] == 0 and view.weekly.empty
    assert review.timing(actor=sup).summary["p90"] is None
    assert review.equity_audit(actor=sup).per_trainee.empty
    assert review.confusion_matrix(actor=sup).matrix.empty
    assert review.error_profile(actor=sup)["present"].sum() == 0
    assert review.attempts_behind(actor=sup, metric="all").empty


def test_actor_for_new_trainee_is_visible(seeded, world, sup):
    # A trainee without attempts still appears (not started), in the agency's list.
    with write_session() as session:
        user = create_user(
            session=session,
            agency_id=world.agencies["a"],
            username="fresh-trainee",
            display_name="Fresh Trainee",
            role="trainee",
            password=PASSWORD,
        )
        fresh = actor_for(user)
    table = review.cohort_overview(actor=sup, now=seeded.now).trainees.set_index("user_id")
    assert table.loc[fresh.user_id, "stage"] == "not started"
    assert table.loc[fresh.user_id, "attempts"] == 0
    assert fresh.user_id in set(review.trainees(actor=sup)["user_id"])


def test_timing_bins_agree_with_core_on_random_values(database, world):
    import random

    rng = random.Random(11)
    values = [round(rng.lognormvariate(3.8, 0.5), 1) for _ in range(300)]
    values += [60.0, 60.0, 59.9, 60.1, 0.0, 300.0, 301.5, 900.0]
    with write_session() as session:
        version = ScenarioVersion(
            agency_id=world.agencies["a"],
            scenario_key="timing",
            title="Timing",
            module="m",
            call_type="WELFARE_CHECK",
            yaml_text="{}",
            data=SCENARIOS["S1"],
            content_hash="t",
        )
        session.add(version)
        session.flush()
        for i, secs in enumerate(values):
            session.add(
                Attempt(
                    agency_id=world.agencies["a"],
                    user_id=world["trainee-a"].user_id,
                    scenario_version_id=version.id,
                    status="submitted",
                    idempotency_key=f"timing-{i}",
                    started_at=NOW,
                    submitted_at=NOW,
                    seconds=secs,
                )
            )
    view = review.timing(actor=world["supervisor-a"])
    assert view.summary == an.timing_summary(values)
    assert view.histogram["n"].sum() == len(values)
    assert view.histogram["start"].max() == review.HIST_CAP  # 300, 301.5 and 900 share it
    assert view.histogram.set_index("start").loc[review.HIST_CAP, "n"] == 3
