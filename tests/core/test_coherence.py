"""The coherence checker: one property per rule, each with the fault a trainer found.

Every rule is tested both ways: the fault (the counter-example from issue 17) is caught,
and a call without it passes, for all the inputs hypothesis draws.
"""

from __future__ import annotations

import copy

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.core.bank_lint import LintItem
from app.core.generator.coherence import (
    RULES,
    check_batch,
    check_call,
    clothing_of,
    variety_cap,
)
from app.core.generator.writer import greeting

FAST = settings(max_examples=60, deadline=None)


def scenario(
    *,
    time: str = "14:00",
    role: str = "passer-by",
    relation: str = "stranger",
    location: str = "Bus stop at Main Street and Oak Avenue, Riverside",
    opening: str = "Hi, there's a man shouting at people at the bus stop.",
    answers: dict[str, str] | None = None,
    disqualifiers: tuple[str, ...] = (),
    rationale: str = "With no disqualifier, this is a call for community responders.",
    context: dict | None = None,
) -> dict:
    answers = (
        answers
        if answers is not None
        else {
            "what_happened": "He started yelling when the bus didn't stop.",
            "description": "He's maybe thirty, wearing a gray hoodie and jeans.",
            "weapons": "No, his hands are empty.",
            "threats": "No threats, just yelling.",
            "medical": "He seems fine physically.",
        }
    )
    return {
        "id": "coherence-test-0001",
        "tags": ["generated"],
        "call": {
            "channel": "911",
            "time": time,
            "initial_call_type": "DISTURBANCE",
            "location": location,
            "caller": {"role": role, "relation": relation},
            "opening": opening,
            "exchanges": [{"ask": ask, "answer": text} for ask, text in answers.items()],
            "context": {"responders_available": True, **(context or {})},
        },
        "expert": {
            "disqualifiers": list(disqualifiers),
            "call_type": "DISTURBANCE",
            "disposition": "community_responder",
            "rationale": rationale,
        },
    }


def findings(data: dict, rule: str, model: str = "call_center_led") -> list[str]:
    return [f.message for f in check_call(LintItem(data, "call.yaml"), model, [rule])]


hours = st.integers(min_value=0, max_value=23)
minutes = st.integers(min_value=0, max_value=59)


# ----------------------------------------------------------------------------- time

# Hours at which each word fits, written out here independently of the checker.
GREETING_HOURS = {
    "Good morning": set(range(4, 12)),
    "Good afternoon": set(range(12, 18)),
    "Good evening": {*range(17, 24), 0},
}
TONIGHT_HOURS = {*range(17, 24), *range(0, 5)}


def test_time_counter_examples_from_the_issue():
    night = scenario(time="01:06", opening="Good morning, there's a man shouting out here.")
    assert findings(night, "time") == [
        "time: opening: 'Good morning' is a morning greeting, but the call comes in at 01:06"
    ]
    answers = {"threats": "Not tonight. He said some ugly things last month."}
    day = scenario(time="13:32", answers=answers)
    assert findings(day, "time") == [
        "time: threats: 'tonight' is 'tonight', but the call comes in at 13:32"
    ]


@FAST
@given(hour=hours, minute=minutes, word=st.sampled_from(sorted(GREETING_HOURS)))
def test_a_greeting_is_found_exactly_when_it_does_not_fit_the_hour(hour, minute, word):
    data = scenario(time=f"{hour:02d}:{minute:02d}", opening=f"{word}, there's a man out here.")
    assert bool(findings(data, "time")) == (hour not in GREETING_HOURS[word])


@FAST
@given(hour=hours, minute=minutes)
def test_tonight_is_found_exactly_outside_the_evening_and_night(hour, minute):
    data = scenario(time=f"{hour:02d}:{minute:02d}", answers={"threats": "Not tonight, no."})
    assert bool(findings(data, "time")) == (hour not in TONIGHT_HOURS)


@FAST
@given(hour=hours, minute=minutes)
def test_the_generators_greeting_and_time_words_always_fit(hour, minute):
    tonight = "tonight" if hour >= 17 or hour < 5 else "today"
    data = scenario(
        time=f"{hour:02d}:{minute:02d}",
        opening=f"{greeting(hour)}, there's a man out here. Not {tonight}, he says.",
    )
    assert findings(data, "time") == []


# ----------------------------------------------------------------------------- role

NOT_STAFF = ["bus driver", "passer-by", "neighbor", "mail carrier", "friend", "coworker", "jogger"]
STAFF = ["store clerk", "bartender", "security guard", "building manager", "park staff member"]
STAFF_CLAIMS = ["I work here.", "I'm staff here, he's not one of ours.", "I work here, I know him."]


def test_role_counter_examples_from_the_issue():
    driver = scenario(role="bus driver", relation="professional")
    driver["call"]["exchanges"].append({"ask": "relationship", "answer": "I'm staff here."})
    assert findings(driver, "role") == [
        "role: relationship: a bus driver says they work at the place ('I'm staff here')"
    ]
    roommate = scenario(role="roommate", relation="neighbor")
    roommate["call"]["exchanges"].append(
        {"ask": "relationship", "answer": "She's my neighbor. We say hi."}
    )
    assert findings(roommate, "role") == [
        "role: relationship: a roommate (neighbor) calls the person 'She's my neighbor'"
    ]


@FAST
@given(role=st.sampled_from(NOT_STAFF + STAFF), claim=st.sampled_from(STAFF_CLAIMS))
def test_only_people_who_work_at_the_place_say_so(role, claim):
    data = scenario(role=role, relation="professional")
    data["call"]["exchanges"].append({"ask": "relationship", "answer": claim})
    staff_found = [m for m in findings(data, "role") if "work at the place" in m]
    assert bool(staff_found) == (role in NOT_STAFF)


@FAST
@given(
    word=st.sampled_from(["neighbor", "roommate", "son", "mother", "coworker"]),
    caller=st.sampled_from(
        [
            ("neighbor", "neighbor", {"neighbor"}),
            ("roommate", "neighbor", {"roommate"}),
            ("mother", "family", {"son", "mother"}),
            ("coworker", "professional", {"coworker"}),
        ]
    ),
)
def test_the_person_is_called_what_the_callers_relation_makes_them(word, caller):
    role, relation, fits = caller
    data = scenario(role=role, relation=relation)
    data["call"]["exchanges"].append({"ask": "relationship", "answer": f"He's my {word}."})
    assert bool(findings(data, "role")) == (word not in fits)


def test_a_manager_does_not_speak_of_the_manager_and_a_downstairs_neighbor_lives_in_a_building():
    manager = scenario(
        role="building manager",
        relation="professional",
        opening="The manager already banned him, so he's back again.",
    )
    assert findings(manager, "role") == [
        "role: opening: a building manager speaks of 'The manager' as someone else"
    ]
    house = scenario(
        role="downstairs neighbor", relation="neighbor", location="12 Elm Street, a house"
    )
    assert findings(house, "role") == [
        "role: role: a downstairs neighbor calls from '12 Elm Street, a house'"
    ]


# ----------------------------------------------------------------------------- one fact

INJURIES = {
    "a blister": "There's a big blister on his heel.",
    "a cut": "He has a cut on his hand.",
    "a scrape": "There's a scrape on his elbow.",
    "a bruise": "He has a bruise on his arm.",
    "a hurt ankle": "He says his ankle hurts.",
    "a hurt lip": "He has a split lip.",
}
OBJECTS = {
    "box cutter": "a box cutter",
    "pocket knife": "a pocket knife",
    "handgun": "a handgun",
    "baseball bat": "a baseball bat",
    "machete": "a machete",
}


def test_one_fact_counter_example_from_the_issue():
    answers = {
        "what_happened": "He came in limping with a big blister on his heel.",
        "medical": "The cut's not bleeding now. He says it hurts a little.",
    }
    assert findings(scenario(answers=answers), "one-fact") == [
        "one-fact: medical: the injury is a cut here but a blister in 'what_happened'"
    ]


@FAST
@given(first=st.sampled_from(sorted(INJURIES)), second=st.sampled_from(sorted(INJURIES)))
def test_one_injury_per_call(first, second):
    answers = {"medical": INJURIES[first], "injuries": INJURIES[second]}
    assert bool(findings(scenario(answers=answers), "one-fact")) == (first != second)


@FAST
@given(first=st.sampled_from(sorted(OBJECTS)), second=st.sampled_from(sorted(OBJECTS)))
def test_one_weapon_object_per_call(first, second):
    answers = {
        "what_happened": f"Someone said he had {OBJECTS[first]} earlier.",
        "weapons": f"He has {OBJECTS[second]} in his hand.",
    }
    assert bool(findings(scenario(answers=answers), "one-fact")) == (first != second)


@FAST
@given(
    place=st.sampled_from(
        [
            ("14 Oak Street, basement laundry room", "laundry room", True),
            ("14 Oak Street, parking garage, lower level", "garage", True),
            ("14 Oak Street, basement laundry room", "garage", False),
            ("14 Oak Street, apartment building stairwell", "laundry room", False),
        ]
    )
)
def test_the_story_happens_where_the_call_is(place):
    location, space, fits = place
    data = scenario(location=location, opening=f"There's a woman sleeping in the {space}.")
    assert bool(findings(data, "one-fact")) == (not fits)


def test_a_room_of_a_home_is_not_in_a_parked_car_and_an_office_not_in_a_flat():
    car = scenario(
        location="Parked car on Elm Street near Oak Avenue",
        answers={"location_inside": "In the kitchen."},
    )
    assert findings(car, "one-fact") == [
        "one-fact: location_inside: the caller says the kitchen, but the place is "
        "'Parked car on Elm Street near Oak Avenue'"
    ]
    flat = scenario(
        location="12 Elm Street, an apartment",
        answers={"weapons": "He had a box cutter, but it's locked in the office."},
    )
    assert findings(flat, "one-fact") == [
        "one-fact: weapons: 'in the office' names an office, but the place is "
        "'12 Elm Street, an apartment'"
    ]


@FAST
@given(
    story=st.sampled_from(["I think he's on something.", "She drinks too much lately."]),
    denial=st.sampled_from(["No, he seems sober.", "Not that I can tell.", "None, no alcohol."]),
)
def test_drinking_in_the_story_is_not_denied_in_the_answer(story, denial):
    told = scenario(opening=f"Hi. {story}", answers={"substances": denial})
    assert findings(told, "one-fact")
    quiet = scenario(opening="Hi. He keeps looking at the door.", answers={"substances": denial})
    assert findings(quiet, "one-fact") == []


def test_the_story_and_the_description_wear_the_same_clothes():
    data = scenario(
        opening="He's wearing a hood up and it's not even raining.",
        answers={"description": "He's maybe thirty, wearing a red windbreaker."},
    )
    assert findings(data, "one-fact") == [
        "one-fact: opening: the caller mentions a hood, but the description says "
        "'a red windbreaker'"
    ]


# ----------------------------------------------------------------------------- opener

PLAYING_DOWN = [
    "It's not an emergency, I don't think.",
    "We don't need an ambulance, I don't think, just help.",
    "I'm not sure this is an emergency.",
    "It's no big deal really.",
]


def test_opener_counter_example_from_the_issue():
    data = scenario(
        opening="Hi, it's not an emergency, I don't think. My husband is on the floor.",
        answers={"medical": "He's not answering me and he's not moving."},
        disqualifiers=("medical",),
    )
    assert findings(data, "opener") == [
        "opener: opening: the opening says 'it's not an emergency', but the call has medical: "
        "an opening must not hide an emergency the call holds"
    ]


@FAST
@given(
    phrase=st.sampled_from(PLAYING_DOWN),
    disqualifiers=st.lists(
        st.sampled_from(["weapon", "threat", "medical", "police_only"]), unique=True
    ),
)
def test_an_opening_plays_down_only_a_call_without_a_disqualifier(phrase, disqualifiers):
    data = scenario(opening=f"Hi. {phrase} Can someone come?", disqualifiers=tuple(disqualifiers))
    assert bool(findings(data, "opener")) == bool(disqualifiers)


# ----------------------------------------------------------------------------- herring

SETTLED = {
    "weapons": "Nothing on her, the box cutter is locked in the office.",
    "threats": "He threatened me last month, but it blew over.",
    "medical": "She's fine physically.",
}


def test_herring_counter_example_from_the_issue():
    data = scenario(
        opening="She had a box cutter, but it's locked in the office, security took it off her."
    )
    assert findings(data, "herring") == [
        "herring: opening: 'locked in the office' settles the weapon question before it is "
        "asked (it belongs in the answer to 'weapons')"
    ]


@FAST
@given(
    owner=st.sampled_from(sorted(SETTLED)),
    where=st.sampled_from(["opening", "what_happened", "description", "weapons", "threats"]),
)
def test_a_red_herring_is_settled_only_by_its_own_question(owner, where):
    data = scenario()
    text = SETTLED[owner]
    if where == "opening":
        data["call"]["opening"] += " " + text
    else:
        for exchange in data["call"]["exchanges"]:
            if exchange["ask"] == where:
                exchange["answer"] = text
    own = {"weapons": ("weapons",), "threats": ("threats",), "medical": ("medical",)}[owner]
    assert bool(findings(data, "herring")) == (where not in own)


# ----------------------------------------------------------------------------- grounded


def test_grounded_counter_example_from_the_issue():
    data = scenario(rationale="Drinking or drug use alone is not a disqualifier.")
    assert findings(data, "grounded") == [
        "grounded: rationale: the rationale speaks of drinking or drug use, but no caller line does"
    ]


@FAST
@given(
    mention=st.sampled_from(["He's been drinking.", "A few beers.", "I think he's high.", ""]),
    where=st.sampled_from(["opening", "what_happened", "substances"]),
)
def test_the_rationale_speaks_of_drinking_only_when_a_caller_line_does(mention, where):
    data = scenario(rationale="Drinking or drug use alone is not a disqualifier.")
    if where == "opening":
        data["call"]["opening"] += " " + mention
    else:
        data["call"]["exchanges"].append({"ask": where, "answer": mention or "No idea."})
    assert bool(findings(data, "grounded")) == (mention == "")


# ----------------------------------------------------------------------------- model


def test_model_counter_example_from_the_issue():
    data = scenario(
        rationale="The outside hotline is closed for this call, so the team goes through 911.",
        context={"hotline_open": False},
    )
    assert findings(data, "model") == [
        "model: context: the call states the hotline's hours under call_center_led",
        "model: rationale: the rationale speaks of the hotline under call_center_led, "
        "which has none",
    ]


@FAST
@given(
    model=st.sampled_from(["call_center_led", "embedded_professional", "external_hotline"]),
    where=st.sampled_from(["opening", "what_happened", "rationale"]),
)
def test_hotline_talk_only_under_the_hotline_model(model, where):
    data = scenario()
    line = "I called the crisis hotline first and they told me to call you."
    if where == "opening":
        data["call"]["opening"] += " " + line
    elif where == "rationale":
        data["expert"]["rationale"] += " " + line
    else:
        data["call"]["exchanges"][0]["answer"] = line
    assert bool(findings(data, "model", model)) == (model != "external_hotline")


# ----------------------------------------------------------------------------- variety


def test_variety_counter_example_from_the_issue():
    """A white T-shirt and shorts in 4 of 20 calls."""
    calls = []
    for n in range(20):
        outfit = "a white T-shirt and shorts" if n < 4 else f"a coat number {n}"
        data = scenario(
            answers={"description": f"He's maybe thirty, wearing {outfit}."},
            opening=f"Hi, call number {n}.",
        )
        calls.append(LintItem(data, f"c{n}.yaml"))
    messages = [f.message for f in check_batch(calls, rules=["variety"])]
    assert messages == [
        "variety: description 'a white t-shirt and shorts' in 4 of 20 calls "
        "(at most 3 in a batch this size)"
    ]


@FAST
@given(size=st.integers(min_value=1, max_value=120), data=st.data())
def test_a_description_may_repeat_up_to_the_cap_and_no_further(size, data):
    same = data.draw(st.integers(min_value=0, max_value=size))
    calls = []
    for n in range(size):
        outfit = "a gray hoodie and jeans" if n < same else f"a jacket with {n} patches"
        item = scenario(answers={"description": f"He's wearing {outfit}."}, opening=f"Call {n}.")
        calls.append(LintItem(item, f"c{n}.yaml"))
    found = check_batch(calls, rules=["variety"])
    assert bool(found) == (same > variety_cap(size))


def test_clothing_is_read_from_the_description():
    assert clothing_of("He's in his fifties, wearing a red windbreaker.") == "a red windbreaker"
    assert clothing_of("She has a navy fleece and jeans on. Thirty, I think.") == (
        "a navy fleece and jeans"
    )
    assert clothing_of("He's small, walks with a cane.") is None


# ----------------------------------------------------------------------------- running


def test_a_clean_call_has_no_findings_under_every_rule():
    assert check_call(LintItem(scenario(), "call.yaml"), "call_center_led", RULES) == []


def test_findings_carry_the_file_and_the_line_of_the_answer():
    data = scenario(answers={"threats": "Not tonight, no."})
    text = "call:\n  exchanges:\n    - ask: threats\n      answer: Not tonight, no.\n"
    (found,) = check_call(LintItem(data, "calls/x.yaml", text), rules=["time"])
    assert str(found) == (
        "calls/x.yaml:4: time: threats: 'tonight' is 'tonight', but the call comes in at 14:00"
    )


@pytest.mark.parametrize("rule", [r for r in RULES if r != "variety"])
def test_a_checked_call_is_left_as_it_was(rule):
    data = scenario(time="01:00", opening="Good morning, not an emergency.")
    before = copy.deepcopy(data)
    check_call(LintItem(data, "call.yaml"), rules=[rule])
    assert data == before


@pytest.mark.parametrize(
    ("role", "location", "fits"),
    [
        ("bus driver", "Bus stop at Main Street and Oak Avenue", True),
        ("bus driver", "14 Oak Street, sidewalk outside a cafe", False),
        ("parent at the playground", "Alley behind 14 Oak Street", False),
        ("park staff member", "14 Oak Street, middle school grounds", False),
        ("store clerk", "14 Oak Street, a pharmacy", True),
        ("shelter staff member", "14 Oak Street, public library", False),
    ],
)
def test_a_caller_calls_from_a_place_their_role_belongs_to(role, location, fits):
    data = scenario(role=role, relation="professional", location=location)
    assert bool(findings(data, "role")) == (not fits)
