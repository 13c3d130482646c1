"""The protocol: the default codes, routes per model, hotline hours and agency overrides."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.core.protocol import (
    CALL_TYPE_GROUPS,
    CALL_TYPES,
    DISPATCH_MODELS,
    DISPOSITIONS,
    DISQUALIFIERS,
    ELIGIBLE_CALL_TYPES,
    NEUTRAL_ANSWER,
    QUESTION_IDS,
    ProtocolError,
    load_protocol,
    parse_hours,
    unmet_demands,
)
from app.core.protocol_models import DISPATCH_MODELS as STORE_MODELS
from app.errors import UserError

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "content" / "protocols" / "README.md"
COMMON = [
    "community_responder",
    "community_responder_with_police",
    "community_responder_with_ems",
    "police",
    "ems",
    "police_with_ems",
    "transfer_988",
    "phone_resolution",
]


def test_default_protocol_defines_every_code_of_the_spec():
    protocol = load_protocol()
    assert tuple(protocol.models) == DISPATCH_MODELS == STORE_MODELS
    assert set(protocol.call_types) == set(CALL_TYPES) and len(CALL_TYPES) == 26
    assert {c for c, t in protocol.call_types.items() if t.eligible} == set(ELIGIBLE_CALL_TYPES)
    assert tuple(protocol.questions) == QUESTION_IDS and len(QUESTION_IDS) == 15
    assert tuple(protocol.disqualifiers) == DISQUALIFIERS
    assert set(protocol.disposition_labels) == set(DISPOSITIONS)
    assert protocol.dispatch_model == "call_center_led"
    assert protocol.hotline_hours is None


def test_call_type_groups_follow_the_shared_vocabulary():
    groups = {code: t.group for code, t in load_protocol().call_types.items()}
    expected = {
        "conflict": "DISTURBANCE NEIGHBOR_DISPUTE NOISE_COMPLAINT TRESPASS PANHANDLING "
        "SUSPICIOUS_PERSON JUVENILE_PROBLEM",
        "behavioral_health": "MENTAL_HEALTH SUICIDAL_IDEATION INTOXICATED_PERSON",
        "welfare": "WELFARE_CHECK UNHOUSED_PERSON NEEDLE_PICKUP LIFT_ASSIST LOW_ACUITY_MEDICAL",
        "violent": "ASSAULT DOMESTIC_VIOLENCE WEAPONS BURGLARY_IN_PROGRESS ROBBERY SHOTS_FIRED",
        "medical_emergency": "OVERDOSE CARDIAC_BREATHING TRAFFIC_INJURY MEDICAL_EMERGENCY",
        "fire": "FIRE",
    }
    for group, codes in expected.items():
        assert {c for c, g in groups.items() if g == group} == set(codes.split())
    assert set(groups.values()) <= set(CALL_TYPE_GROUPS)


def test_questions_have_words_and_neutral_defaults():
    protocol = load_protocol()
    for question in protocol.questions.values():
        assert question.text.endswith("?") or question.text.endswith(".")
        assert question.default_answer
    for qid in ("weapons", "threats", "medical", "injuries", "entry", "evidence", "suicide"):
        assert protocol.questions[qid].default_answer == NEUTRAL_ANSWER


@pytest.mark.parametrize(
    ("model", "extra"),
    [
        ("call_center_led", []),
        ("embedded_professional", ["embedded_professional"]),
        ("external_hotline", ["external_hotline"]),
    ],
)
def test_routes_under_each_model(model, extra):
    routes = load_protocol().available_dispositions(model)
    assert sorted(routes) == sorted(COMMON + extra)
    assert routes == [d for d in DISPOSITIONS if d in routes]  # in the code order


def test_hotline_hours_and_the_scenario_context():
    protocol = load_protocol()
    assert "external_hotline" in protocol.available_dispositions("external_hotline", "03:00")
    closed = protocol.available_dispositions("external_hotline", "12:00", {"hotline_open": False})
    assert "external_hotline" not in closed
    evening = load_protocol({"hotline_hours": "08:00-22:00"})
    assert "external_hotline" in evening.available_dispositions("external_hotline", "08:00")
    assert "external_hotline" in evening.available_dispositions("external_hotline", "21:59")
    assert "external_hotline" not in evening.available_dispositions("external_hotline", "22:00")
    assert "external_hotline" not in evening.available_dispositions("external_hotline", "02:40")
    assert "external_hotline" in evening.available_dispositions("external_hotline")  # no time
    stated = evening.available_dispositions("external_hotline", "02:40", {"hotline_open": True})
    assert "external_hotline" in stated  # what the scenario states wins
    night = load_protocol({"hotline_hours": "20:00-06:00"})
    assert night.hotline_open("23:30") and night.hotline_open("05:59")
    assert not night.hotline_open("06:00") and not night.hotline_open("12:00")
    assert load_protocol({"hotline_hours": "00:00-24:00"}).hotline_open("23:59")


@given(st.integers(0, 23 * 60 + 59), st.integers(0, 24 * 60 - 1), st.integers(1, 24 * 60 - 1))
def test_hotline_window_property(minute, start, length):
    end = (start + length) % (24 * 60)
    hours = f"{start // 60:02d}:{start % 60:02d}-{end // 60:02d}:{end % 60:02d}"
    protocol = load_protocol({"hotline_hours": hours})
    inside = (minute - start) % (24 * 60) < length
    assert protocol.hotline_open(f"{minute // 60:02d}:{minute % 60:02d}") == inside


def test_unknown_model_is_a_user_error():
    with pytest.raises(UserError, match="unknown dispatch model 'radio'"):
        load_protocol().available_dispositions("radio")


def test_overrides_merge():
    protocol = load_protocol(
        {
            "name": "Riverside",
            "dispatch_model": "external_hotline",
            "call_types": {
                "NOISE_COMPLAINT": {"eligible": False},
                "CAMP_CLEANUP": {"label": "Camp clean-up", "group": "welfare", "eligible": True},
            },
            "questions": {
                "weapons": {"text": "Any weapon there?"},
                "pets": {"text": "Any animals?"},
            },
            "labels": {
                "dispositions": {"external_hotline": "CARE line"},
                "disqualifiers": {"police_only": "Needs an officer"},
                "dispatch_models": {"external_hotline": "CARE model"},
                "call_type_groups": {"welfare": "Basic needs"},
            },
        }
    )
    assert protocol.name == "Riverside" and protocol.dispatch_model == "external_hotline"
    assert not protocol.call_types["NOISE_COMPLAINT"].eligible
    assert protocol.call_types["NOISE_COMPLAINT"].label == "Noise complaint"
    assert protocol.call_types["CAMP_CLEANUP"].eligible
    assert protocol.questions["weapons"].text == "Any weapon there?"
    assert protocol.questions["weapons"].default_answer == NEUTRAL_ANSWER
    assert protocol.questions["pets"].default_answer == NEUTRAL_ANSWER
    assert protocol.disposition_label("external_hotline") == "CARE line"
    assert protocol.disqualifiers["police_only"].label == "Needs an officer"
    assert protocol.models["external_hotline"].label == "CARE model"
    assert protocol.groups["welfare"] == "Basic needs"
    # the default is untouched
    default = load_protocol()
    assert default.call_types["NOISE_COMPLAINT"].eligible and "pets" not in default.questions


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"colour": "red"}, "unknown key 'colour'"),
        ({"format": 2}, "format must be 1"),
        ({"dispatch_model": "radio"}, "dispatch_model 'radio' is not one of"),
        ({"hotline_hours": "8-22"}, 'must be "24/7" or like "08:00-22:00"'),
        ({"hotline_hours": "25:00-26:00"}, "is not a time HH:MM"),
        ({"hotline_hours": "08:00-08:00"}, "are empty"),
        ({"hotline_hours": 24}, "hotline hours must be text"),
        ({"call_types": {"new_type": {"label": "x", "group": "welfare"}}}, "UPPER_CASE"),
        ({"call_types": {"NEW": {"label": "x"}}}, "needs a label and a group"),
        ({"call_types": {"NEW": {"label": "x", "group": "misc"}}}, "group must be one of"),
        ({"call_types": {"FIRE": {"eligible": "yes"}}}, "eligible must be true or false"),
        ({"call_types": {"FIRE": {"colour": 1}}}, "unknown key 'colour'"),
        ({"call_types": {"FIRE": {"label": ""}}}, "label must be non-empty text"),
        ({"call_types": ["FIRE"]}, "call_types must be a mapping"),
        ({"questions": {"Pets": {"text": "x"}}}, "lower_case"),
        ({"questions": {"pets": {"default_answer": "x"}}}, "a new question needs its text"),
        ({"labels": {"dispositions": {"taxi": "Taxi"}}}, "unknown code 'taxi'"),
        ({"labels": {"colours": {}}}, "unknown key 'colours'"),
    ],
)
def test_bad_overrides_are_one_line_user_errors(overrides, message):
    with pytest.raises(ProtocolError) as caught:
        load_protocol(overrides)
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_overrides_from_a_file(tmp_path):
    path = tmp_path / "agency.yaml"
    path.write_text('hotline_hours: "08:00-22:00"\nname: Town\n', encoding="utf-8")
    assert load_protocol(path).hotline_hours == (8 * 60, 22 * 60)
    assert load_protocol(str(path)).name == "Town"
    path.write_text("name: [unclosed\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"agency.yaml:\d+: invalid YAML"):
        load_protocol(path)
    path.write_text("- a\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match="must be a mapping"):
        load_protocol(path)
    with pytest.raises(ProtocolError, match=r"missing.yaml: file is missing"):
        load_protocol(tmp_path / "missing.yaml")


def test_a_problem_in_an_override_file_names_its_line(tmp_path):
    path = tmp_path / "agency.yaml"
    path.write_text(
        "name: Town\ncall_types:\n  FIRE:\n    label: Fire\n    eligible: maybe\n",
        encoding="utf-8",
    )
    with pytest.raises(ProtocolError) as caught:
        load_protocol(path)
    assert str(caught.value) == (
        f"{path}:5: protocol override: call_types.FIRE.eligible must be true or false"
    )
    path.write_text(
        "questions:\n  weapons:\n    phrasings:\n      - ok\n      - 3\n", encoding="utf-8"
    )
    with pytest.raises(ProtocolError, match=r"agency.yaml:5: .*phrasings item 2 must be"):
        load_protocol(path)
    path.write_text("name: Town\nname: Village\n", encoding="utf-8")
    with pytest.raises(ProtocolError, match=r"agency.yaml:2: duplicate key 'name'"):
        load_protocol(path)


def test_the_readme_example_loads():
    block = re.search(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    from app.core.yaml_safe import safe_load

    protocol = load_protocol(safe_load(block))
    assert protocol.call_types["CAMP_CLEANUP"].eligible
    assert "external_hotline" not in protocol.available_dispositions("external_hotline", "23:00")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24/7", None),
        ("always", None),
        ("08:00-22:00", (480, 1320)),
        ("22:00 - 06:00", (1320, 360)),
    ],
)
def test_parse_hours(text, expected):
    assert parse_hours(text) == expected


def test_protocol_is_read_only():
    protocol = load_protocol()
    with pytest.raises(TypeError):
        protocol.call_types["FIRE"] = None  # type: ignore[index]
    with pytest.raises(AttributeError):
        protocol.name = "x"  # type: ignore[misc]


@pytest.mark.parametrize(
    ("disqualifiers", "meeting"),
    [
        (["weapon"], {"police", "community_responder_with_police", "police_with_ems"}),
        (["threat"], {"police", "community_responder_with_police", "police_with_ems"}),
        (["police_only"], {"police", "community_responder_with_police", "police_with_ems"}),
        (["medical"], {"ems", "community_responder_with_ems", "police_with_ems"}),
        (["weapon", "medical"], {"police_with_ems"}),
        ([], set(DISPOSITIONS)),
    ],
)
def test_what_each_disqualifier_demands(disqualifiers, meeting):
    """Rules 2: the routes that meet every demand of a key's disqualifiers."""
    assert {d for d in DISPOSITIONS if not unmet_demands(d, disqualifiers)} == meeting
