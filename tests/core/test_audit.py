"""The audit hash chain: every change, removal, reordering or insertion is found."""

from __future__ import annotations

import copy
import dataclasses
import datetime as dt
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core import audit

T0 = dt.datetime(2025, 1, 1, 8, 0, tzinfo=dt.UTC)


def build_chain(n: int = 30, seed: int = 0) -> list[audit.AuditRecord]:
    rng = random.Random(seed)
    chain: list[audit.AuditRecord] = []
    for i in range(n):
        chain.append(
            audit.make_entry(
                chain[-1] if chain else None,
                at=T0 + dt.timedelta(minutes=7 * i, microseconds=rng.randrange(10**6)),
                event=rng.choice(audit.EVENTS),
                subject=f"{rng.choice(['exam', 'certificate'])}:{rng.randrange(1, 50)}",
                payload={
                    "user_id": rng.randrange(1, 9),
                    "score": rng.randrange(0, 101),
                    "reasons": [f"reason {rng.randrange(5)}"],
                    "nested": {"ok": rng.random() < 0.5, "ratio": round(rng.random(), 3)},
                }
                if rng.random() < 0.9
                else None,
                agency_id=rng.choice([1, 2, None]),
                actor_id=rng.choice([1, 2, 3, None]),
            )
        )
    return chain


CHAIN = build_chain()
ANCHOR = audit.head(CHAIN)


def test_intact_chain_has_no_problems():
    assert audit.verify_chain(CHAIN) == []
    assert audit.verify_chain(CHAIN, anchors=[ANCHOR]) == []
    assert audit.verify_chain([]) == []
    assert CHAIN[0].prev_hash == audit.GENESIS and CHAIN[0].id == 1
    assert [e.id for e in CHAIN] == list(range(1, 31))


def test_hash_is_sha256_of_prev_hash_and_canonical_json():
    import hashlib
    import json

    entry = CHAIN[3]
    text = json.dumps(
        [
            entry.at.strftime("%Y-%m-%dT%H:%M:%S.%fZ"),
            entry.agency_id,
            entry.actor_id,
            entry.event,
            entry.subject,
            entry.payload,
        ],
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert entry.hash == hashlib.sha256((entry.prev_hash + text).encode()).hexdigest()


def test_same_instant_in_another_zone_or_naive_utc_hashes_the_same():
    entry = CHAIN[5]
    other_zone = entry.at.astimezone(dt.timezone(dt.timedelta(hours=-5)))
    naive = entry.at.replace(tzinfo=None)
    for at in (other_zone, naive):
        assert audit.verify_chain(CHAIN[:5] + [dataclasses.replace(entry, at=at)]) == []


def test_rows_and_mappings_are_accepted():
    as_dicts = [dataclasses.asdict(e) for e in CHAIN]
    assert audit.verify_chain(as_dicts) == []
    as_dicts[4]["payload"] = {"forged": True}
    assert audit.verify_chain(as_dicts) == [
        "entry 5: hash does not match its contents (changed after it was written)"
    ]


def test_unknown_event_cannot_be_made():
    with pytest.raises(ValueError):
        audit.make_entry(None, at=T0, event="lunch", subject="x")


# ----------------------------------------------------------------------------- mutations

FIELDS = ("id", "at", "agency_id", "actor_id", "event", "subject", "payload", "prev_hash", "hash")


def _changed_value(rng: random.Random, field: str, value):
    """A different value of the same kind (or of another kind)."""
    if field == "id":
        return value + rng.choice([-2, -1, 1, 2, 40])
    if field == "at":
        return value + dt.timedelta(microseconds=rng.choice([1, -1, 1000, 3_600_000_000]))
    if field in ("agency_id", "actor_id"):
        return rng.choice([v for v in (None, 0, 1, 2, 3, 99) if v != value])
    if field == "event":
        return rng.choice([e for e in audit.EVENTS if e != value])
    if field == "subject":
        return value + rng.choice(["0", " ", "x"]) if rng.random() < 0.5 else value.upper() + "!"
    if field in ("prev_hash", "hash"):
        position = rng.randrange(64)
        digit = rng.choice([c for c in "0123456789abcdef" if c != value[position]])
        return value[:position] + digit + value[position + 1 :]
    # payload
    payload = copy.deepcopy(value)
    if not isinstance(payload, dict) or not payload:
        return {"forged": True}
    key = rng.choice(sorted(payload))
    choice = rng.randrange(5)
    if choice == 0:
        payload[key] = ["changed", payload[key]]
    elif choice == 1:
        extra = next(f"extra{i}" for i in range(100) if f"extra{i}" not in payload)
        payload[extra] = 1
    elif choice == 2:
        del payload[key]
    elif choice == 3 and isinstance(payload.get("score"), int):
        payload["score"] = float(payload["score"]) + 0.5  # another type and value
    elif choice == 3 and isinstance(payload.get("nested"), dict) and "ok" in payload["nested"]:
        payload["nested"]["ok"] = not payload["nested"]["ok"]
    else:
        return None
    return payload


def _forged(rng: random.Random, before: audit.AuditRecord | None) -> audit.AuditRecord:
    """A well-formed entry that links to ``before``: the strongest forgery."""
    return audit.make_entry(
        before,
        at=(before.at if before else T0) + dt.timedelta(seconds=rng.randrange(1, 60)),
        event=rng.choice(audit.EVENTS),
        subject=f"certificate:{rng.randrange(100)}",
        payload={"user_id": rng.randrange(1, 9), "reason": "forged"},
        agency_id=1,
        actor_id=rng.choice([None, 2]),
    )


def mutate(chain: list[audit.AuditRecord], rng: random.Random) -> tuple[str, list]:
    entries = list(chain)
    n = len(entries)
    kind = rng.choice(["edit", "delete", "reorder", "insert"])
    if kind == "edit":
        i = rng.randrange(n)
        field = rng.choice(FIELDS)
        new = _changed_value(rng, field, getattr(entries[i], field))
        entries[i] = dataclasses.replace(entries[i], **{field: new})
        return f"edit {field} of #{i}", entries
    if kind == "delete":
        i = rng.randrange(n)
        length = rng.choice([1, 1, 1, 2, 5])
        del entries[i : i + length]
        return f"delete {length} at #{i}", entries
    if kind == "reorder":
        i, j = rng.sample(range(n), 2)
        if rng.random() < 0.5:
            entries[i], entries[j] = entries[j], entries[i]
            return f"swap #{i} #{j}", entries
        entries.insert(j, entries.pop(i))
        return f"move #{i} to #{j}", entries
    # Insert a forged entry before an existing one (an append at the very end is what a
    # legitimate append looks like: only access control and the triggers stop that).
    i = rng.randrange(n)
    forged = _forged(rng, entries[i - 1] if i else None)
    if rng.random() < 0.5:
        # Renumber everything after it too, as a careful forger would.
        tail = [dataclasses.replace(e, id=e.id + 1) for e in entries[i:]]
        entries = entries[:i] + [forged] + tail
    else:
        entries.insert(i, forged)
    return f"insert forged at #{i}", entries


def test_a_thousand_random_mutations_are_all_detected():
    rng = random.Random(20250101)
    kinds: dict[str, int] = {}
    for _ in range(1000):
        what, mutated = mutate(CHAIN, rng)
        assert mutated != CHAIN, what
        problems = audit.verify_chain(mutated, anchors=[ANCHOR])
        assert problems, f"undetected: {what}"
        kinds[what.split()[0]] = kinds.get(what.split()[0], 0) + 1
    assert set(kinds) == {"edit", "delete", "swap", "move", "insert"}
    assert min(kinds.values()) > 100


def test_several_mutations_at_once_are_detected():
    rng = random.Random(7)
    for _ in range(300):
        mutated = list(CHAIN)
        for _ in range(rng.randrange(2, 5)):
            if len(mutated) < 3:
                break
            _, mutated = mutate(mutated, rng)
        if mutated == CHAIN:
            continue
        assert audit.verify_chain(mutated, anchors=[ANCHOR])


@settings(max_examples=300, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    length=st.integers(2, 40),
    mutations=st.integers(1, 3),
)
def test_mutations_of_any_chain_are_detected(seed, length, mutations):
    chain = build_chain(length, seed)
    anchor = audit.head(chain)
    rng = random.Random(seed)
    mutated = chain
    for _ in range(mutations):
        if len(mutated) < 2:
            break
        _, mutated = mutate(mutated, rng)
    if mutated == chain:
        return
    assert audit.verify_chain(mutated, anchors=[anchor])


def test_cutting_the_tail_needs_the_remembered_head():
    cut = CHAIN[:-3]
    assert audit.verify_chain(cut) == []  # a shorter log is a valid log on its own
    assert audit.verify_chain(cut, anchors=[ANCHOR]) == [
        f"entry {ANCHOR[0]}: remembered entry is missing (the log was cut short)"
    ]
    # Entries appended since the head was remembered are fine.
    longer = CHAIN + [_forged(random.Random(1), CHAIN[-1])]
    assert audit.verify_chain(longer, anchors=[ANCHOR]) == []


def test_problems_name_the_entry():
    swapped = list(CHAIN)
    swapped[10], swapped[11] = swapped[11], swapped[10]
    assert audit.verify_chain(swapped) == [
        "entry 12: ids jump from 10 to 12 (entries missing)",
        "entry 12: prev_hash does not match the hash of the entry before it",
        "entry 11: out of order or repeated (expected id 13)",
        "entry 11: prev_hash does not match the hash of the entry before it",
        "entry 13: prev_hash does not match the hash of the entry before it",
    ]
    gap = CHAIN[:4] + CHAIN[5:]
    assert audit.verify_chain(gap)[0] == "entry 6: ids jump from 4 to 6 (entries missing)"
    assert audit.verify_chain(CHAIN[1:])[0] == "entry 2: ids jump from 0 to 2 (entries missing)"


def test_problem_list_is_capped():
    broken = [dataclasses.replace(e, subject="x") for e in build_chain(200)]
    problems = audit.verify_chain(broken)
    assert len(problems) == audit.MAX_PROBLEMS + 1
    assert problems[-1].startswith("...")
