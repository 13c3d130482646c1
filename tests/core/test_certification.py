"""Certification rules (pure): track files, eligibility, stratified plans, results,
renewal, codes and the certificate PDF."""

from __future__ import annotations

import datetime as dt
import itertools
import random
from pathlib import Path

import pytest
from hypothesis import assume, event, given, settings
from hypothesis import strategies as st

from app.core import certification as cert
from app.core.certificate_pdf import CertificateInfo, render_certificate_pdf
from app.core.protocol import DISQUALIFIERS

ROOT = Path(__file__).resolve().parents[2]
MODULES = sorted(p.name for p in (ROOT / "content" / "modules").iterdir() if p.is_dir())
NOW = dt.datetime(2025, 6, 1, 12, 0, tzinfo=dt.UTC)

MINIMAL = """\
format: 1
id: minimal
title: Minimal track
summary: A small track for tests.
validity_months: 12
requirements:
  modules: [disqualifiers]
  practice: {min_calls: 2, min_average: 80}
exam:
  calls: 4
  pass_mark: 80
"""


def parse(text: str, name: str = "<text>") -> cert.Track:
    return cert.parse_track(text, name, MODULES)


# ----------------------------------------------------------------------------- track files


def test_shipped_tracks_load_and_resolve_per_model():
    tracks = cert.load_tracks(known_modules=MODULES)
    assert [t.id for t in tracks] == ["community-responder-screening"]
    track = tracks[0]
    assert track.validity_months == 24 and track.modules == "all"
    assert track.exam.calls == 10 and track.exam.max_critical == 0
    base = track.for_model("call_center_led").exam.stratify
    assert base.each_disqualifier == 1 and base.no_disqualifier == 4
    hotline = track.for_model("external_hotline").exam.stratify.dispositions
    assert hotline == {"external_hotline": 3}  # null removed community_responder
    embedded = track.for_model("embedded_professional").exam.stratify.groups
    assert embedded["behavioral_health"] == 2 and embedded["conflict"] == 2
    again = cert.track_from_snapshot(track.for_model("external_hotline").snapshot())
    assert again.exam == track.for_model("external_hotline").exam


def test_minimal_track_has_defaults():
    track = parse(MINIMAL)
    assert track.knowledge_checks is True and track.renewal is None
    assert track.exam.stratify.requirements() == {}
    assert track.for_model("external_hotline").model == "external_hotline"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (
            ("validity_months: 12", "validity_months: 0"),
            ":5: validity_months: must be a whole number from 1 to 120",
        ),
        (("exam:\n", "exam:\n  colour: red\n"), ":10: exam.colour: unknown key"),
        (
            (
                "  pass_mark: 80",
                "  pass_mark: 80\n  stratify: {no_disqualifier: 3, each_disqualifier: 2}",
            ),
            "exceed the 4 exam calls",
        ),
        (
            (
                "  pass_mark: 80",
                "  pass_mark: 80\n  stratify: {dispositions: {external_hotline: 1}}",
            ),
            "route 'external_hotline' does not exist in the base rules",
        ),
        (
            ("  pass_mark: 80", "  pass_mark: 80\n  stratify: {groups: {space: 1}}"),
            "unknown name 'space'",
        ),
        (("  pass_mark: 80", "  pass_mark: 80\n  part_minimums: {charm: 0.5}"), "unknown part"),
        (("  pass_mark: 80", "  pass_mark: 80\n  part_minimums: {disposition: 2}"), "from 0 to 1"),
        (("[disqualifiers]", "[no-such-module]"), "unknown module 'no-such-module'"),
        (("format: 1", "format: 2"), ":1: format: must be 1"),
        (("summary: A small track for tests.\n", ""), "missing key 'summary'"),
        (("id: minimal", "id: Not A Slug"), "id: must be a slug"),
        (("  calls: 4", "  calls: true"), "exam.calls: must be a whole number"),
    ],
)
def test_track_errors_name_file_line_and_key(change, message):
    old, new = change
    assert old in MINIMAL
    with pytest.raises(cert.TrackError) as info:
        parse(MINIMAL.replace(old, new), "bad.yaml")
    assert any(message in p for p in info.value.problems), info.value.problems
    assert all(p.startswith("bad.yaml:") for p in info.value.problems)


def test_model_sections_are_validated_with_their_own_lines():
    text = MINIMAL + "models:\n  external_hotline:\n    exam:\n      calls: 99\n  warp_drive: {}\n"
    with pytest.raises(cert.TrackError) as info:
        parse(text, "bad.yaml")
    problems = info.value.problems
    assert any(p.startswith("bad.yaml:15: exam.calls: must be a whole number") for p in problems)
    assert any("models.warp_drive: unknown dispatch model" in p for p in problems)
    hotline = MINIMAL.replace("  pass_mark: 80", "  pass_mark: 80\n  stratify: {}") + (
        "models:\n  external_hotline:\n    exam:\n      stratify:\n"
        "        dispositions: {external_hotline: 2}\n"
    )
    track = parse(hotline)
    assert track.for_model("external_hotline").exam.stratify.dispositions == {"external_hotline": 2}
    assert track.for_model("call_center_led").exam.stratify.dispositions == {}


def test_id_must_match_the_file_name(tmp_path):
    path = tmp_path / "other.yaml"
    path.write_text(MINIMAL)
    with pytest.raises(cert.TrackError, match="must match the file name 'other'"):
        cert.load_track(path, MODULES)
    (tmp_path / "minimal.yaml").write_text(MINIMAL)
    path.unlink()
    assert [t.id for t in cert.load_tracks(tmp_path, MODULES)] == ["minimal"]


@pytest.mark.parametrize(
    "text",
    [
        "a: &a [1, 2]\nb: *a\n",
        "!!python/object/apply:os.system ['echo hi']\n",
        "format: [unclosed\n",
        "- just a list\n",
        "",
    ],
)
def test_hostile_or_broken_yaml_is_refused(text):
    with pytest.raises(cert.TrackError):
        parse(text, "x.yaml")


def test_merge_overrides_key_by_key_and_null_removes():
    base = {"a": {"b": 1, "c": 2}, "d": [1]}
    assert cert.merge(base, {"a": {"c": None, "e": 3}, "d": [2]}) == {
        "a": {"b": 1, "e": 3},
        "d": [2],
    }
    assert base == {"a": {"b": 1, "c": 2}, "d": [1]}


# ----------------------------------------------------------------------------- eligibility


def facts(**changes) -> cert.ProgressFacts:
    values = dict(
        all_modules=("m1", "m2"),
        modules_read=frozenset({"m1", "m2"}),
        checks_passed=frozenset({"m1", "m2"}),
        practice_scores=(90,) * 20,
        now=NOW,
    )
    values.update(changes)
    return cert.ProgressFacts(**values)


TRACK = cert.load_tracks(known_modules=MODULES)[0].for_model("call_center_led")


def test_eligible_when_everything_is_done():
    result = cert.eligibility(TRACK, facts())
    assert result.eligible and result.missing == () and result.progress == 1.0


def test_what_is_missing_is_listed():
    result = cert.eligibility(
        TRACK,
        facts(modules_read=frozenset({"m1"}), checks_passed=frozenset(), practice_scores=(70,) * 5),
    )
    assert not result.eligible
    assert result.modules_missing == ("m2",) and result.checks_missing == ("m1", "m2")
    assert result.missing == (
        "Read 1 more lesson.",
        "Pass 2 more knowledge checks.",
        "Submit 15 more practice calls.",
        "Raise the average score of your last 20 practice calls to 80 (now 70).",
    )
    assert 0 < result.progress < 1


def test_average_counts_only_the_most_recent_calls():
    # 20 recent good calls after 30 early weak ones: the early ones no longer count.
    assert cert.eligibility(TRACK, facts(practice_scores=(85,) * 20 + (40,) * 30)).eligible
    assert not cert.eligibility(TRACK, facts(practice_scores=(40,) * 10 + (95,) * 30)).eligible


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"exam_in_progress": True}, "resume it"),
        ({"awaiting_sign_off": True}, "sign-off"),
        ({"valid_certificate_until": NOW + dt.timedelta(days=9)}, "valid certificate"),
        ({"last_failed_exam_at": NOW - dt.timedelta(hours=3)}, "retake"),
    ],
)
def test_blocks_are_reported(change, fragment):
    result = cert.eligibility(TRACK, facts(**change))
    assert not result.eligible and result.missing == ()
    assert fragment in " ".join(result.blocked)


def test_retake_allowed_after_the_wait():
    assert cert.eligibility(TRACK, facts(last_failed_exam_at=NOW - dt.timedelta(hours=25))).eligible


# ----------------------------------------------------------------------------- exam plans


def make_track(calls: int, **stratify) -> cert.Track:
    return cert.Track(
        id="t",
        title="T",
        summary="T",
        validity_months=12,
        modules="all",
        knowledge_checks=True,
        practice=cert.PracticeRule(0, 0, None),
        exam=cert.ExamRules(calls, 80, 0, 0, {}, 0, cert.Stratify(**stratify)),
        renewal=None,
    )


GROUPS = ("conflict", "welfare", "violent")
CHANNELS = ("911", "non_emergency")
ROUTES = ("community_responder", "police", "ems")


@st.composite
def banks(draw, max_size=14):
    """Random banks; some calls are twins (same facts, same twin group)."""
    size = draw(st.integers(0, max_size))
    calls = []
    for i in range(size):
        dq = frozenset(draw(st.sets(st.sampled_from(DISQUALIFIERS), max_size=2)))
        facts_ = dict(
            disqualifiers=dq,
            group=draw(st.sampled_from(GROUPS)),
            channel=draw(st.sampled_from(CHANNELS)),
            disposition=draw(st.sampled_from(ROUTES)),
        )
        twin = draw(st.booleans()) if i else False
        if twin:
            base = calls[-1]
            calls.append(
                cert.CallSummary(
                    id=i + 1,
                    key=f"k{i}",
                    disqualifiers=base.disqualifiers,
                    group=base.group,
                    channel=base.channel,
                    disposition=base.disposition,
                    twin_group=base.twin_group or f"tw{i}",
                )
            )
            if base.twin_group is None:
                calls[-2] = cert.CallSummary(**{**base.__dict__, "twin_group": f"tw{i}"})
        else:
            calls.append(cert.CallSummary(id=i + 1, key=f"k{i}", **facts_))
    return calls


@st.composite
def tracks(draw):
    calls = draw(st.integers(1, 5))
    each = draw(st.sampled_from([0, 0, 0, 1]))
    none = draw(st.integers(0, calls - each))
    groups = {g: draw(st.integers(0, 1)) for g in GROUPS[:2]}
    channels = {"911": draw(st.integers(0, 2))}
    routes = {"community_responder": draw(st.integers(0, 1))}
    assume(sum(groups.values()) <= calls and sum(routes.values()) <= calls)
    return make_track(
        calls,
        each_disqualifier=each,
        no_disqualifier=none,
        groups=groups,
        channels=channels,
        dispositions=routes,
    )


def brute_force_feasible(track, bank, seen) -> bool:
    families = {}
    for call in bank:
        if call.key in seen or (call.twin_group and call.twin_group in seen):
            continue
        families.setdefault(call.family, call)
    pool = list(families.values())
    for combo in itertools.combinations(pool, track.exam.calls):
        if not cert.plan_meets(track, list(combo)):
            return True
    return False


@settings(max_examples=400, deadline=None)
@given(track=tracks(), bank=banks(max_size=16), data=st.data(), seed=st.integers(0, 2**32))
def test_plans_meet_every_minimum_and_are_found_whenever_possible(track, bank, data, seed):
    seen = data.draw(st.sets(st.sampled_from([c.key for c in bank] or ["none"]), max_size=4))
    feasible = brute_force_feasible(track, bank, seen)
    event(f"feasible={feasible}")
    try:
        plan = cert.plan_exam(track, bank, seen, random.Random(seed))
    except cert.ExamPlanShort as exc:
        assert not feasible, "a possible exam was not found"
        assert exc.shortfalls and exc.needs
        return
    assert feasible
    by_id = {c.id: c for c in bank}
    chosen = [by_id[i] for i in plan]
    assert len(plan) == len(set(plan)) == track.exam.calls
    assert cert.plan_meets(track, chosen) == []
    assert not {c.key for c in chosen} & seen, "an exam call the trainee has already seen"
    families = [c.family for c in chosen]
    assert len(families) == len(set(families)), "two variants of one call in an exam"


@settings(max_examples=200, deadline=None)
@given(
    planted=banks(max_size=10),
    noise=banks(max_size=40),
    seen_share=st.floats(0, 1),
    seed=st.integers(0, 2**32),
)
def test_a_planted_exam_is_always_found_among_seen_and_distracting_calls(
    planted, noise, seen_share, seed
):
    """Take any unseen calls as the answer, derive the minimums they meet, hide them in a
    bank of other calls (some seen): planning must succeed."""
    assume(planted)
    rng = random.Random(seed)
    exam = [
        cert.CallSummary(**{**c.__dict__, "id": 1000 + i, "key": f"p{i}", "twin_group": None})
        for i, c in enumerate(planted)
    ]
    count = lambda pred: sum(1 for c in exam if pred(c))  # noqa: E731
    track = make_track(
        len(exam),
        each_disqualifier=min(count(lambda c, d=d: d in c.disqualifiers) for d in DISQUALIFIERS),
        no_disqualifier=count(lambda c: not c.disqualifiers),
        groups={g: count(lambda c, g=g: c.group == g) for g in GROUPS},
        channels={ch: count(lambda c, ch=ch: c.channel == ch) for ch in CHANNELS},
        dispositions={r: count(lambda c, r=r: c.disposition == r) for r in ROUTES},
    )
    seen = {c.key for c in noise if rng.random() < seen_share}
    bank = exam + noise
    rng.shuffle(bank)
    plan = cert.plan_exam(track, bank, seen, random.Random(seed))
    by_id = {c.id: c for c in bank}
    assert cert.plan_meets(track, [by_id[i] for i in plan]) == []
    assert not {by_id[i].key for i in plan} & seen


@settings(max_examples=100, deadline=None)
@given(bank=banks(max_size=30), seed=st.integers(0, 2**32))
def test_the_same_seed_gives_the_same_plan(bank, seed):
    track = make_track(3, no_disqualifier=1)
    outcomes = []
    for _ in range(2):
        try:
            outcomes.append(cert.plan_exam(track, bank, set(), random.Random(seed)))
        except cert.ExamPlanShort as exc:
            outcomes.append(str(exc))
    assert outcomes[0] == outcomes[1]


def realistic_bank(n: int, rng: random.Random) -> list[cert.CallSummary]:
    calls = []
    for i in range(n):
        dq = frozenset([rng.choice(DISQUALIFIERS)]) if rng.random() < 0.3 else frozenset()
        route = "community_responder" if not dq and rng.random() < 0.8 else "police"
        calls.append(
            cert.CallSummary(
                id=i + 1,
                key=f"s{i}",
                disqualifiers=dq,
                group=rng.choice(("conflict", "behavioral_health", "welfare")),
                channel=rng.choice(("911", "911", "non_emergency")),
                disposition=route,
            )
        )
    return calls


def test_shipped_track_plans_from_a_realistic_bank_never_repeat_seen_calls():
    rng = random.Random(3)
    bank = realistic_bank(120, rng)
    for _ in range(50):
        seen = {c.key for c in rng.sample(bank, 60)}
        plan = cert.plan_exam(TRACK, bank, seen, rng)
        chosen = [c for c in bank if c.id in plan]
        assert cert.plan_meets(TRACK, chosen) == []
        assert not {c.key for c in chosen} & seen


def test_shortfalls_say_what_is_missing():
    bank = [c for c in realistic_bank(80, random.Random(1)) if "weapon" not in c.disqualifiers]
    with pytest.raises(cert.ExamPlanShort) as info:
        cert.plan_exam(TRACK, bank, set(), random.Random(1))
    assert info.value.needs == {"disqualifier:weapon": 1}
    assert "1 more with the disqualifier 'weapon'" in str(info.value)
    with pytest.raises(cert.ExamPlanShort) as info:
        cert.plan_exam(make_track(5), bank[:3], set(), random.Random(1))
    assert info.value.needs == {"calls": 2}


def test_kept_calls_stay_first_and_count_towards_the_minimums():
    bank = realistic_bank(200, random.Random(2))
    weapon = next(c for c in bank if "weapon" in c.disqualifiers)
    rest = [c for c in bank if "weapon" not in c.disqualifiers]
    plan = cert.plan_exam(TRACK, rest, set(), random.Random(2), keep=[weapon])
    assert plan[0] == weapon.id and len(plan) == 10
    chosen = [weapon] + [c for c in rest if c.id in plan]
    assert cert.plan_meets(TRACK, chosen) == []


# ----------------------------------------------------------------------------- results


def graded(score=100, passed=True, critical=(), parts=None, seconds=60.0):
    full = {p: 1.0 for p in cert.PARTS}
    full.update(parts or {})
    return cert.GradedCall(
        1, {"score": score, "passed": passed, "critical": list(critical), "parts": full}, seconds
    )


def test_perfect_exam_passes():
    result = cert.exam_result(TRACK, [graded()] * 10)
    assert result["passed"] and result["score"] == 100 and result["reasons"] == []
    assert result["total_seconds"] == 600.0 and result["calls_passed"] == 10


def test_one_unsafe_dispatch_fails_the_exam():
    calls = [graded()] * 9 + [graded(score=70, passed=False, critical=["unsafe_dispatch"])]
    result = cert.exam_result(TRACK, calls)
    assert not result["passed"] and result["score"] == 97
    assert result["reasons"] == ["1 critical error (unsafe route on 1 call); none is allowed."]


def test_the_reason_names_each_kind_of_critical_error():
    """A priority far too low is not called an unsafe route (it once was, on every kind)."""
    calls = [graded()] * 7 + [
        graded(score=90, passed=False, critical=["under_triaged"]),
        graded(score=60, passed=False, critical=["unsafe_dispatch", "missed_disqualifier"]),
        graded(score=70, passed=False, critical=["unsafe_dispatch"]),
    ]
    result = cert.exam_result(TRACK, calls)
    assert result["reasons"][0] == (
        "4 critical errors (priority far too low on 1 call, unsafe route on 2 calls, "
        "missed disqualifier on 1 call); none is allowed."
    )


def test_each_rule_gives_its_own_reason():
    weak = graded(score=75, passed=False, parts={"disqualifiers": 0.5, "disposition": 0.5})
    result = cert.exam_result(TRACK, [graded()] * 6 + [weak] * 3)
    assert result["score"] == 83  # (6*100 + 3*75 + 0 unanswered) / 10 = 82.5, half up
    assert not result["passed"]
    assert result["reasons"] == [
        "1 of the 10 calls were not answered.",
        "6 of 10 calls passed on their own; 8 are needed.",
        "The disqualifiers part averaged 0.75; at least 0.90 is needed.",
        "The disposition part averaged 0.75; at least 0.80 is needed.",
    ]


def test_low_average_is_a_reason():
    result = cert.exam_result(TRACK, [graded(score=79, passed=False)] * 10)
    assert "The average score 79 is below the pass mark 80." in result["reasons"]


# ----------------------------------------------------------------------------- certificates


def test_add_months_keeps_the_day_or_the_month_end():
    assert cert.add_months(dt.datetime(2025, 1, 31), 1) == dt.datetime(2025, 2, 28)
    assert cert.add_months(dt.datetime(2024, 1, 31), 1) == dt.datetime(2024, 2, 29)
    assert cert.add_months(dt.datetime(2024, 2, 29), 24) == dt.datetime(2026, 2, 28)
    assert cert.add_months(dt.datetime(2025, 11, 15), 3) == dt.datetime(2026, 2, 15)
    assert cert.add_months(dt.datetime(2025, 3, 15), -6) == dt.datetime(2024, 9, 15)


def test_certificate_status():
    exp = NOW + dt.timedelta(days=1)
    assert cert.certificate_status(exp, None, NOW) == "valid"
    assert cert.certificate_status(exp, None, exp) == "expired"
    assert cert.certificate_status(exp, NOW, NOW) == "revoked"
    assert cert.certificate_status(exp.replace(tzinfo=None), None, NOW) == "valid"


def calls_(n, score=90, days_ago=10, critical=False):
    return [cert.PracticeCall(NOW - dt.timedelta(days=days_ago), score, critical)] * n


def test_renewal_window_practice_and_new_date():
    expires = NOW + dt.timedelta(days=30)
    ok = cert.renewal_check(TRACK, expires_at=expires, revoked=False, calls=calls_(12), now=NOW)
    assert ok.eligible and ok.new_expires_at == cert.add_months(expires, 24)
    early = cert.renewal_check(
        TRACK, expires_at=NOW + dt.timedelta(days=200), revoked=False, calls=calls_(12), now=NOW
    )
    assert not early.eligible and "opens" in early.reasons[0]
    few = cert.renewal_check(TRACK, expires_at=expires, revoked=False, calls=calls_(11), now=NOW)
    assert few.reasons == ("11 practice calls in the last 6 months; 12 are needed.",)
    old = cert.renewal_check(
        TRACK, expires_at=expires, revoked=False, calls=calls_(20, days_ago=200), now=NOW
    )
    assert not old.eligible and old.calls == 0
    weak = cert.renewal_check(
        TRACK, expires_at=expires, revoked=False, calls=calls_(12, 70), now=NOW
    )
    assert weak.reasons == ("Their average score is 70; 80 is needed.",)
    unsafe = cert.renewal_check(
        TRACK, expires_at=expires, revoked=False, calls=calls_(12, critical=True), now=NOW
    )
    assert not unsafe.eligible
    revoked = cert.renewal_check(TRACK, expires_at=expires, revoked=True, calls=calls_(12), now=NOW)
    assert revoked.reasons == ("A revoked certificate cannot be renewed.",)
    # In the grace period after expiry the new period starts today.
    lapsed = NOW - dt.timedelta(days=10)
    grace = cert.renewal_check(TRACK, expires_at=lapsed, revoked=False, calls=calls_(12), now=NOW)
    assert grace.eligible and grace.new_expires_at == cert.add_months(NOW, 24)
    late = cert.renewal_check(
        TRACK, expires_at=NOW - dt.timedelta(days=31), revoked=False, calls=calls_(12), now=NOW
    )
    assert late.reasons == ("The renewal period has passed; the exam must be taken again.",)


def test_codes_are_grouped_and_unambiguous():
    codes = {cert.new_code() for _ in range(2000)}
    assert len(codes) == 2000
    for code in codes:
        assert len(code) == 14 and code[4] == code[9] == "-"
        assert not set(code.replace("-", "")) & set("01OIUL")
        assert cert.normalize_code(code) == code


@given(
    st.text(alphabet=cert.CODE_ALPHABET, min_size=12, max_size=12), st.sampled_from([" ", "-", ""])
)
def test_typed_codes_normalize(chars, sep):
    code = "-".join(chars[i : i + 4] for i in (0, 4, 8))
    typed = sep.join(chars[i : i + 4] for i in (0, 4, 8)).lower()
    assert cert.normalize_code(typed) == code


@pytest.mark.parametrize(
    "text", ["", "ABCD-EFGH-JKM", "ABCD-EFGH-JKMNP", "ABCD-EFGH-JKM0", "O" * 12, "x" * 100]
)
def test_bad_codes_are_rejected(text):
    assert cert.normalize_code(text) is None


# ----------------------------------------------------------------------------- the PDF


def test_certificate_pdf_renders_with_the_code(tmp_path):
    import pypdfium2 as pdfium

    info = CertificateInfo(
        holder="Zoë Ødegaard-Nguyễn",
        agency="Riverside Emergency Communications",
        track="Community responder call screening",
        issued_at=dt.datetime(2025, 3, 4, 15, 0, tzinfo=dt.UTC),
        expires_at=dt.datetime(2027, 3, 4, 15, 0, tzinfo=dt.UTC),
        code="7KQM-3WXT-HN9C",
        verify_url="/verify?code=7KQM-3WXT-HN9C",
    )
    data = render_certificate_pdf(info)
    assert data.startswith(b"%PDF")
    pdf = pdfium.PdfDocument(data)
    assert len(pdf) == 1
    page = pdf[0]
    text = page.get_textpage().get_text_range()
    for expected in (
        "7KQM-3WXT-HN9C",
        "Zoë Ødegaard-Nguyễn",
        "Riverside Emergency Communications",
        "Community responder call screening",
        "4 March 2025",
        "4 March 2027",
        "/verify?code=7KQM-3WXT-HN9C",
    ):
        assert expected in text, expected
    colour = page.render(scale=1.5).to_pil()
    image = colour.convert("L")
    histogram = image.histogram()
    dark = sum(histogram[:128])
    assert dark > 0.01 * image.width * image.height, "the rendered page is blank"
    assert histogram[255] + sum(histogram[200:255]) > 0.5 * image.width * image.height
    artifacts = ROOT / "test-artifacts"
    artifacts.mkdir(exist_ok=True)
    colour.save(artifacts / "certificate.png")


def test_revoked_certificate_pdf_says_so():
    import pypdfium2 as pdfium

    info = CertificateInfo(
        holder="A" * 120,
        agency="Agency",
        track="Track",
        issued_at=NOW,
        expires_at=NOW,
        code="2345-6789-ABCD",
        verify_url="https://academy.example/verify?code=2345-6789-ABCD",
        status="revoked",
    )
    text = pdfium.PdfDocument(render_certificate_pdf(info))[0].get_textpage().get_text_range()
    assert "REVOKED" in text and "2345-6789-ABCD" in text
