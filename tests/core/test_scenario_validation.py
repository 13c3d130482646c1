"""Every rejection of the scenario format (section 3), each at its exact line."""

from __future__ import annotations

from pathlib import Path

import pytest

from app.core import yaml_safe
from app.core.protocol import load_protocol
from app.core.scenario import Problem, parse_scenario

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(autouse=True, params=yaml_safe.BACKENDS)
def backend(request, monkeypatch):
    """Run every test with each YAML event parser (libyaml and pure Python)."""
    monkeypatch.setattr(yaml_safe, "BACKEND", request.param)
    return request.param


# The spec's sample with a known module and without comments. Line numbers matter below.
BASE = """\
format: 1
id: doorway-sleeper-0001
version: 1
title: Man asleep in a store doorway
module: disqualifiers
difficulty: 2
tags: [unhoused, business]
call:
  channel: "911"
  time: "02:40"
  initial_call_type: WELFARE_CHECK
  location: Doorway of a shoe store on a commercial street
  caller:
    role: store owner
    relation: stranger
    voice: adult_male
  opening: >
    There's a guy asleep in my doorway and I can't open up. He wakes up
    and yells at people when they walk past.
  exchanges:
    - ask: weapons
      answer: I don't see anything, his hands are in his sleeping bag.
    - ask: threats
      answer: He yells but he hasn't threatened anyone.
    - ask: medical
      answer: He's breathing, he just rolled over.
    - id: how_long
      question: How long has he been there?
      answer: Since last night I think.
  context:
    responders_available: true
expert:
  disqualifiers: []
  call_type: UNHOUSED_PERSON
  priority: 3
  disposition: community_responder
  acceptable: []
  unsafe: [police]
  required_questions: [weapons, threats, medical]
  time_target_seconds: 90
  evidence: {}
  rationale: >
    A person resting in a doorway with no weapon, threat or medical need is a
    classic community responder call.
  by_model:
    external_hotline:
      disposition: external_hotline
      acceptable: [community_responder]
checks:
  - answer: {questions: [weapons], disqualifiers: [], call_type: UNHOUSED_PERSON, disposition: police}
    model: call_center_led
    expect: {passed: false}
"""


def sub(number: int, new: str, text: str = BASE) -> str:
    """Replace line ``number`` (1-based) with ``new`` (which may hold several lines)."""
    lines = text.split("\n")
    lines[number - 1 : number] = new.split("\n") if new is not None else []
    return "\n".join(lines)


def drop(number: int, text: str = BASE) -> str:
    lines = text.split("\n")
    del lines[number - 1]
    return "\n".join(lines)


def add(after: int, new: str, text: str = BASE) -> str:
    lines = text.split("\n")
    lines[after:after] = new.split("\n")
    return "\n".join(lines)


def problems(text: str) -> list[str]:
    data, found = parse_scenario(text, "s.yaml")
    if any(p.is_error for p in found):
        assert data is None, "a rejected file must never be partly loaded"
    return [str(p) for p in found]


def test_base_is_valid_without_any_problem():
    data, found = parse_scenario(BASE, "s.yaml")
    assert found == []
    assert data["id"] == "doorway-sleeper-0001"


def test_spec_sample_validates_and_its_check_grades_as_stated():
    text = (FIXTURES / "spec_sample.yaml").read_text(encoding="utf-8")
    data, found = parse_scenario(text, "spec_sample.yaml")
    assert [p for p in found if p.is_error] == []
    assert data is not None
    # its module slug is not one of ours: a warning, not an error
    assert [str(p) for p in found] == [
        "spec_sample.yaml:5: warning: unknown module 'disqualifier-screening'; "
        "did you mean 'disqualifiers'?"
    ]
    assert data["checks"][0]["expect"] == {"passed": False}


def test_problem_string_and_severity():
    assert str(Problem("a.yaml", 3, "bad")) == "a.yaml:3: bad"
    assert str(Problem("a.yaml", 3, "odd", "warning")) == "a.yaml:3: warning: odd"
    assert str(Problem("a.yaml", 0, "gone")) == "a.yaml: gone"
    assert Problem("a", 1, "x").is_error and not Problem("a", 1, "x", "warning").is_error


CASES = [
    # --- unknown keys, at every level
    ("unknown top key", add(7, "colour: red"), 8, "unknown key 'colour' in the scenario"),
    ("typo top key", sub(4, "titel: Man asleep"), 4, "did you mean 'title'?"),
    ("unknown call key", add(9, "  channell: x"), 10, "unknown key 'channell' in call"),
    ("unknown caller key", add(16, "    mood: 40"), 17, "unknown key 'mood' in call.caller"),
    (
        "unknown exchange key",
        add(22, "      mood: calm"),
        23,
        "unknown key 'mood' in call.exchanges[0]",
    ),
    (
        "unknown context key",
        add(31, "    weather: rain"),
        32,
        "unknown key 'weather' in call.context",
    ),
    ("unknown expert key", add(33, "  severity: 3"), 34, "unknown key 'severity' in expert"),
    (
        "unknown by_model key",
        add(48, "      priority: 2"),
        49,
        "unknown key 'priority' in expert.by_model.external_hotline",
    ),
    ("unknown checks key", add(52, "    note: hi"), 53, "unknown key 'note' in checks[0]"),
    (
        "unknown expect key",
        sub(52, "    expect: {passed: false, grade: A}"),
        52,
        "unknown key 'grade'",
    ),
    (
        "unknown answer key in a check",
        sub(51, "    model: call_center_led\n    answer_note: x"),
        52,
        "unknown key 'answer_note' in checks[0]",
    ),
    # --- missing required keys point at the parent mapping
    ("missing format", drop(1), 1, "missing required key 'format'"),
    ("missing id", drop(2), 1, "missing required key 'id'"),
    ("missing version", drop(3), 1, "missing required key 'version'"),
    ("missing title", drop(4), 1, "missing required key 'title'"),
    ("missing module", drop(5), 1, "missing required key 'module'"),
    ("missing initial_call_type", drop(11), 8, "missing required key 'call.initial_call_type'"),
    ("missing opening", drop(17, drop(18, drop(19))), 8, "missing required key 'call.opening'"),
    ("missing disqualifiers", drop(33), 32, "missing required key 'expert.disqualifiers'"),
    ("missing call_type", drop(34), 32, "missing required key 'expert.call_type'"),
    ("missing disposition", drop(36), 32, "missing required key 'expert.disposition'"),
    (
        "missing required_questions",
        drop(39),
        32,
        "missing required key 'expert.required_questions'",
    ),
    (
        "missing rationale",
        drop(42, drop(43, drop(44))),
        32,
        "missing required key 'expert.rationale'",
    ),
    ("missing exchange answer", drop(22), 21, "missing required key 'call.exchanges[0].answer'"),
    (
        "missing own question text",
        drop(28),
        27,
        "missing required key 'call.exchanges[3].question'",
    ),
    ("exchange without ask or id", sub(21, "    - answer: hi", drop(22)), 21, "needs ask:"),
    ("missing check expect", drop(52), 50, "missing required key 'checks[0].expect'"),
    # --- unknown codes
    (
        "unknown initial call type",
        sub(11, "  initial_call_type: NAP"),
        11,
        "unknown call type 'NAP'",
    ),
    (
        "unknown expert call type",
        sub(34, "  call_type: SLEEPER"),
        34,
        "unknown call type 'SLEEPER'",
    ),
    (
        "unknown disqualifier",
        sub(33, "  disqualifiers: [knife]"),
        33,
        "unknown disqualifier 'knife'",
    ),
    ("unknown disposition", sub(36, "  disposition: taxi"), 36, "unknown disposition 'taxi'"),
    ("unknown acceptable", sub(37, "  acceptable: [taxi]"), 37, "unknown disposition 'taxi'"),
    ("unknown unsafe", sub(38, "  unsafe: [police, army]"), 38, "unknown disposition 'army'"),
    (
        "unknown by_model disposition",
        sub(47, "      disposition: hotline"),
        47,
        "unknown disposition 'hotline'",
    ),
    ("unknown question id", sub(21, "    - ask: gun"), 21, "unknown question id 'gun'"),
    ("unknown channel", sub(9, "  channel: sms"), 9, "unknown channel 'sms'"),
    ("unknown relation", sub(15, "    relation: cousin"), 15, "unknown relation 'cousin'"),
    (
        "unknown by_model model",
        sub(46, "    hotline_led:"),
        46,
        "unknown dispatch model 'hotline_led'",
    ),
    ("unknown check model", sub(51, "    model: radio"), 51, "unknown dispatch model 'radio'"),
    ("unknown ambience", add(31, "    ambience: rain"), 32, "unknown ambience 'rain'"),
    (
        "unknown expected error code",
        sub(52, "    expect: {errors: [oops]}"),
        52,
        "unknown error code",
    ),
    (
        "unknown disqualifier in a check answer",
        sub(
            50,
            "  - answer: {questions: [], disqualifiers: [gun], call_type: FIRE, disposition: ems}",
        ),
        50,
        "unknown disqualifier 'gun'",
    ),
    # --- questions and evidence tied to exchanges
    (
        "required question without exchange",
        sub(39, "  required_questions: [weapons, injuries]"),
        39,
        "required question 'injuries' has no exchange",
    ),
    (
        "evidence without exchange",
        sub(33, "  disqualifiers: [weapon]", sub(41, "  evidence: {weapon: knife_seen}")),
        41,
        "evidence 'knife_seen' has no exchange",
    ),
    (
        "evidence key not in disqualifiers",
        sub(41, "  evidence: {weapon: weapons}"),
        41,
        "evidence for 'weapon', but 'weapon' is not in expert.disqualifiers",
    ),
    (
        "evidence key not a disqualifier",
        sub(41, "  evidence: {knife: weapons}"),
        41,
        "unknown disqualifier 'knife'",
    ),
    # --- route rules
    (
        "disposition also unsafe",
        sub(38, "  unsafe: [community_responder]"),
        36,
        "disposition 'community_responder' is also listed in unsafe",
    ),
    (
        "by_model disposition also unsafe",
        add(48, "      unsafe: [external_hotline]"),
        47,
        "disposition 'external_hotline' is also listed in unsafe (under external_hotline)",
    ),
    (
        "acceptable also unsafe",
        sub(37, "  acceptable: [police]"),
        37,
        "'police' is both acceptable and unsafe",
    ),
    (
        "community responder best with a disqualifier",
        sub(33, "  disqualifiers: [weapon]"),
        36,
        "route 'community_responder' does not meet what weapon demands (police); a route that "
        "does: community_responder_with_police, police, police_with_ems",
    ),
    (
        "community responder acceptable (by_model) with a disqualifier",
        sub(33, "  disqualifiers: [medical]", sub(36, "  disposition: ems")),
        48,
        "route 'community_responder' (under external_hotline) does not meet what medical demands "
        "(EMS); a route that does: community_responder_with_ems, ems, police_with_ems",
    ),
    (
        "community responder acceptable with a disqualifier",
        sub(
            33,
            "  disqualifiers: [threat]",
            sub(
                36,
                "  disposition: police",
                sub(37, "  acceptable: [community_responder]", sub(38, "  unsafe: []")),
            ),
        ),
        37,
        "route 'community_responder' does not meet what threat demands (police); a route that "
        "does: community_responder_with_police, police, police_with_ems",
    ),
    (
        "rules 2: a best route that lacks what a disqualifier demands",
        sub(
            33, "  disqualifiers: [weapon]", sub(36, "  disposition: ems", sub(38, "  unsafe: []"))
        ),
        36,
        "route 'ems' does not meet what weapon demands (police); a route that does: "
        "community_responder_with_police, police, police_with_ems",
    ),
    (
        "rules 2: an acceptable route beside a threat that lacks police",
        sub(
            33,
            "  disqualifiers: [threat]",
            sub(
                36,
                "  disposition: police",
                add(37, "    - transfer_988", sub(37, "  acceptable:", sub(38, "  unsafe: []"))),
            ),
        ),
        38,
        "route 'transfer_988' does not meet what threat demands (police); a route that does: "
        "community_responder_with_police, police, police_with_ems",
    ),
    (
        "rules 2: a caller in another language without the language line required",
        add(16, "    language: es"),
        40,
        "the caller speaks 'es': list 'interpreter' in required_questions (and script its "
        "exchange)",
    ),
    (
        "rules 2: a language that is not a language code",
        add(16, "    language: Spanish!"),
        17,
        "language 'Spanish!' is not a language code such as en, es or zh-Hant",
    ),
    (
        "best route that does not exist under a model",
        sub(36, "  disposition: embedded_professional"),
        36,
        "best route 'embedded_professional' does not exist under call_center_led",
    ),
    (
        "hotline best route while the hotline is closed",
        add(31, "    hotline_open: false"),
        48,
        "best route 'external_hotline' does not exist under external_hotline",
    ),
    # --- checks must grade as stated
    (
        "check that does not grade as stated",
        sub(52, "    expect: {passed: true}"),
        52,
        "check 1 (model call_center_led) expects passed: true but it grades passed: false",
    ),
    (
        "check with a wrong score",
        sub(52, "    expect: {score: 99}"),
        52,
        "expects score 99 but it grades 40",
    ),
    (
        "check with wrong errors",
        sub(52, "    expect: {errors: [over_routed]}"),
        52,
        "expects errors ['over_routed'] but it grades ['missed_question', 'over_routed']",
    ),
    (
        "check with wrong critical",
        sub(52, "    expect: {critical: false}"),
        52,
        "expects critical: false but it grades critical: ['unsafe_dispatch']",
    ),
    # --- times
    (
        "unquoted time read as a number",
        sub(10, "  time: 12:40"),
        10,
        'time must be a quoted HH:MM string, e.g. time: "02:40"',
    ),
    ("hour out of range", sub(10, '  time: "25:00"'), 10, "time '25:00' is not HH:MM"),
    ("one-digit hour", sub(10, '  time: "2:40"'), 10, "time '2:40' is not HH:MM"),
    ("time as a list", sub(10, "  time: [2, 40]"), 10, "is not HH:MM"),
    # --- types and ranges
    ("difficulty too high", sub(6, "difficulty: 6"), 6, "difficulty must be 1..5, not 6"),
    ("difficulty zero", sub(6, "difficulty: 0"), 6, "difficulty must be 1..5, not 0"),
    ("difficulty as text", sub(6, 'difficulty: "2"'), 6, "difficulty must be a whole number 1..5"),
    (
        "difficulty as a bool",
        sub(6, "difficulty: yes"),
        6,
        "difficulty must be a whole number 1..5",
    ),
    ("priority too high", sub(35, "  priority: 5"), 35, "expert.priority must be 1..4, not 5"),
    ("priority float", sub(35, "  priority: 2.5"), 35, "expert.priority must be a whole number"),
    ("version zero", sub(3, "version: 0"), 3, "version must be 1 or more, not 0"),
    ("version as text", sub(3, 'version: "1"'), 3, "version must be a whole number 1 or more"),
    ("format 2", sub(1, "format: 2"), 1, "format must be 1"),
    ("id with capitals", sub(2, "id: Doorway_1"), 2, "id 'Doorway_1' may use only a-z, 0-9 and -"),
    ("id empty", sub(2, "id: ''"), 2, "id must not be empty"),
    ("title empty", sub(4, "title:"), 4, "title must not be empty"),
    ("tags not a list", sub(7, "tags: unhoused"), 7, "tags must be a list"),
    (
        "call not a mapping",
        sub(8, "call: a call", BASE.split("\n  channel")[0] + "\nexpert:\n  x: 1\n"),
        8,
        "call must be a mapping",
    ),
    (
        "exchanges not a list",
        add(
            19,
            "  exchanges: none",
            drop(
                20,
                drop(
                    21,
                    drop(22, drop(23, drop(24, drop(25, drop(26, drop(27, drop(28, drop(29)))))))),
                ),
            ),
        ),
        20,
        "call.exchanges must be a list",
    ),
    (
        "exchange not a mapping",
        sub(21, "    - weapons", drop(22)),
        21,
        "an exchange must be a mapping",
    ),
    (
        "context flag not a bool",
        sub(31, "    responders_available: maybe"),
        31,
        "must be true or false",
    ),
    (
        "disqualifiers null",
        sub(33, "  disqualifiers:"),
        33,
        "expert.disqualifiers must be a list (write [] for none)",
    ),
    (
        "disqualifiers not a list",
        sub(33, "  disqualifiers: weapon"),
        33,
        "expert.disqualifiers must be a list",
    ),
    (
        "time target zero",
        sub(40, "  time_target_seconds: 0"),
        40,
        "time_target_seconds must be 1..3600",
    ),
    (
        "rationale as a list",
        sub(42, "  rationale: [a, b]", drop(43, drop(44))),
        42,
        "expert.rationale must be text",
    ),
    ("expect score out of range", sub(52, "    expect: {score: 101}"), 52, "score must be 0..100"),
    (
        "expect passed not a bool",
        sub(52, "    expect: {passed: sure}"),
        52,
        "passed must be true or false",
    ),
    ("expect empty", sub(52, "    expect: {}"), 52, "expect needs at least one of"),
    (
        "check answer missing a key",
        sub(50, "  - answer: {questions: [], disqualifiers: [], call_type: FIRE}"),
        50,
        "answer is missing 'disposition'",
    ),
    (
        "check answer priority out of range",
        sub(
            50,
            "  - answer: {questions: [], disqualifiers: [], call_type: FIRE, disposition: ems, priority: 9}",
        ),
        50,
        "priority must be a whole number 1..4",
    ),
    # --- exchanges
    ("both ask and id", sub(21, "    - ask: weapons\n      id: weapons2"), 21, "not both"),
    (
        "question with ask",
        add(22, "      question: Any guns?"),
        23,
        "question: is only for an exchange with its own id",
    ),
    (
        "own id reusing a protocol question",
        sub(27, "    - id: weapons"),
        27,
        "id 'weapons' is a protocol question; write ask: weapons",
    ),
    (
        "duplicate exchange",
        sub(23, "    - ask: weapons"),
        23,
        "exchange 'weapons' is already scripted at line 21",
    ),
    ("bad exchange id", sub(27, "    - id: How Long"), 27, "exchange id 'How Long' may use"),
    # --- YAML-level
    ("duplicate key", add(4, "title: Again"), 5, "duplicate key 'title' (first at line 4)"),
    ("non-text key", add(7, "12: twelve"), 8, "key '12' must be text"),
    ("merge key", add(7, "<<: {a: 1}"), 8, "merge keys (<<) are not supported"),
    ("invalid YAML", sub(12, "  location: [unclosed"), 13, "invalid YAML"),
    ("bad indentation", sub(14, "   role: store owner"), 15, "invalid YAML"),
    (
        "object tag",
        sub(4, "title: !!python/object/apply:os.system ['true']"),
        4,
        "tag !!python/object/apply:os.system is not allowed",
    ),
    ("local tag", sub(4, "title: !secret x"), 4, "tag !secret is not allowed"),
    ("binary tag", sub(4, "title: !!binary aGVsbG8="), 4, "tag !!binary is not allowed"),
    (
        "too many aliases",
        "a: &a x\n" + "".join(f"k{i}: *a\n" for i in range(60)),
        52,
        "too many aliases",
    ),
    ("not a mapping", "- a\n- b\n", 1, "a scenario must be a mapping"),
    ("empty file", "", 1, "file is empty"),
    ("two documents", BASE + "---\nformat: 1\n", 53, "exactly one YAML document"),
]


@pytest.mark.parametrize(
    ("text", "line", "fragment"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_rejection_at_the_exact_line(text, line, fragment):
    found = problems(text)
    wanted = f"s.yaml:{line}: "
    assert any(p.startswith(wanted) and fragment in p for p in found), found
    data, _ = parse_scenario(text, "s.yaml")
    assert data is None


def test_every_problem_of_a_file_is_reported():
    text = sub(
        6,
        "difficulty: 9",
        sub(9, "  channel: fax", sub(35, "  priority: 0", sub(36, "  disposition: taxi"))),
    )
    text = add(2, "colour: red", text)
    found = problems(text)
    assert found == [
        "s.yaml:3: unknown key 'colour' in the scenario (allowed: format, id, version, title, "
        "module, difficulty, tags, call, expert, checks)",
        "s.yaml:7: difficulty must be 1..5, not 9",
        "s.yaml:10: unknown channel 'fax' (one of: 911, non_emergency, hotline_direct, 988, "
        "police_referral, proactive)",
        "s.yaml:36: expert.priority must be 1..4, not 0",
        "s.yaml:37: unknown disposition 'taxi' (one of: community_responder, "
        "community_responder_with_police, community_responder_with_ems, police, ems, police_with_ems, "
        "embedded_professional, external_hotline, transfer_988, phone_resolution)",
    ]


def test_too_large_is_rejected_before_parsing():
    text = BASE + "# " + "x" * (256 * 1024) + "\n"
    assert problems(text) == ["s.yaml: file is larger than 256 KiB"]


def test_not_utf8_reports_the_line():
    raw = BASE.encode().replace(b"store owner", b"store \xff owner")
    data, found = parse_scenario(raw, "s.yaml")
    assert data is None and [str(p) for p in found] == ["s.yaml:14: file is not UTF-8 text"]


def test_unknown_module_is_only_a_warning():
    data, found = parse_scenario(sub(5, "module: basket-weaving"), "s.yaml")
    assert data is not None
    assert [str(p) for p in found] == ["s.yaml:5: warning: unknown module 'basket-weaving'"]


def test_best_route_also_acceptable_is_a_warning():
    data, found = parse_scenario(sub(37, "  acceptable: [community_responder]"), "s.yaml")
    assert data is not None
    assert [str(p) for p in found] == [
        "s.yaml:37: warning: 'community_responder' is the best route; drop it from acceptable"
    ]


def test_not_eligible_call_type_sent_to_community_responders_is_a_warning():
    data, found = parse_scenario(sub(34, "  call_type: ROBBERY"), "s.yaml")
    assert data is not None
    assert [str(p) for p in found] == [
        "s.yaml:34: warning: call type ROBBERY is not eligible for community responders in "
        "this protocol, but the best route is community_responder"
    ]


class TestYaml11Words:
    """YAML 1.1 reads some plain words as other types; where text is expected the words
    written are kept."""

    def test_unquoted_911_channel_is_the_text_911(self):
        data, found = parse_scenario(sub(9, "  channel: 911"), "s.yaml")
        assert found == [] and data["call"]["channel"] == "911"

    def test_unquoted_988_channel(self):
        data, _ = parse_scenario(sub(9, "  channel: 988"), "s.yaml")
        assert data["call"]["channel"] == "988"

    def test_answer_no_stays_no(self):
        data, found = parse_scenario(sub(22, "      answer: No"), "s.yaml")
        assert found == [] and data["call"]["exchanges"][0]["answer"] == "No"

    def test_numeric_and_octal_looking_ids_keep_their_text(self):
        data, _ = parse_scenario(sub(2, "id: 0012"), "s.yaml")
        assert data["id"] == "0012"

    def test_date_like_text_is_kept(self):
        data, _ = parse_scenario(sub(12, "  location: 2024-01-02"), "s.yaml")
        assert data["call"]["location"] == "2024-01-02"

    def test_unquoted_leading_zero_time_is_text_and_accepted(self):
        data, found = parse_scenario(sub(10, "  time: 02:40"), "s.yaml")
        assert found == [] and data["call"]["time"] == "02:40"

    def test_null_optional_values_mean_absent(self):
        text = sub(
            10, "  time:", sub(35, "  priority: ~", sub(37, "  acceptable:", sub(7, "tags:")))
        )
        data, found = parse_scenario(text, "s.yaml")
        assert found == []
        assert data["call"]["time"] is None and data["expert"]["priority"] is None
        assert data["tags"] == [] and data["expert"]["acceptable"] == []


def test_normalised_data_has_every_key():
    minimal = """\
format: 1
id: min-1
version: 1
title: Minimal
module: disqualifiers
call:
  initial_call_type: WELFARE_CHECK
  opening: Hello.
expert:
  disqualifiers: []
  call_type: WELFARE_CHECK
  disposition: community_responder
  required_questions: []
  rationale: Because.
"""
    data, found = parse_scenario(minimal, "m.yaml")
    assert found == []
    assert data == {
        "format": 1,
        "id": "min-1",
        "version": 1,
        "title": "Minimal",
        "module": "disqualifiers",
        "difficulty": None,
        "tags": [],
        "call": {
            "channel": "911",
            "time": None,
            "initial_call_type": "WELFARE_CHECK",
            "ali": None,
            "location": None,
            "caller": {"role": None, "relation": None, "voice": None, "language": "en"},
            "opening": "Hello.",
            "exchanges": [],
            "context": {},
        },
        "expert": {
            "disqualifiers": [],
            "call_type": "WELFARE_CHECK",
            "priority": None,
            "disposition": "community_responder",
            "acceptable": [],
            "unsafe": [],
            "required_questions": [],
            "time_target_seconds": None,
            "evidence": {},
            "rationale": "Because.",
            "by_model": {},
        },
        "checks": [],
    }


def test_agency_protocol_changes_what_is_valid():
    evening = load_protocol({"hotline_hours": "08:00-22:00"})
    data, found = parse_scenario(BASE, "s.yaml", evening)  # the call is at 02:40
    assert data is None
    assert [str(p) for p in found] == [
        "s.yaml:47: best route 'external_hotline' does not exist under external_hotline "
        "(or the hotline is closed at this call's time)"
    ]
    daytime = sub(10, '  time: "09:15"')
    assert parse_scenario(daytime, "s.yaml", evening)[1] == []
    extra = load_protocol(
        {"call_types": {"CAMP_CLEANUP": {"label": "Camp", "group": "welfare", "eligible": True}}}
    )
    text = sub(34, "  call_type: CAMP_CLEANUP")
    assert parse_scenario(text, "s.yaml", extra)[1] == []
    assert "unknown call type 'CAMP_CLEANUP'" in problems(text)[0]
