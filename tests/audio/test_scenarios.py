"""Every scenario in scenarios/ renders, and the scenario helpers name clips as documented."""

from __future__ import annotations

import wave
from pathlib import Path

import pytest
import yaml

from app.audio import (
    AudioError,
    ClipRequest,
    render_scenario,
    scenario_clips,
    scenario_voice,
    wav_duration,
)
from app.core.scenario import scenario_files

ROOT = Path(__file__).resolve().parents[2]
# The platform's own discovery rules (skips templates/); content read as plain YAML so
# a file another test finds invalid still has its audio checked.
SCENARIO_FILES = sorted(scenario_files([ROOT / "scenarios"])[0])

EXAMPLE = {
    "id": "doorway-sleeper-0001",
    "tags": ["unhoused"],
    "call": {
        "caller": {"role": "store owner", "relation": "stranger", "voice": "adult_male"},
        "opening": "There's a guy asleep in my doorway and\n I can't open up.\n",
        "exchanges": [
            {"ask": "weapons", "answer": "I don't see anything."},
            {"ask": "threats", "answer": "He yells but he hasn't threatened anyone."},
            {"id": "how_long", "question": "How long?", "answer": "Since last night I think."},
            {"id": "silent", "question": "Anything else?"},
        ],
        "context": {"responders_available": True},
    },
}


def _assert_clip(path: Path) -> None:
    head = path.read_bytes()[:12]
    assert head[:4] == b"RIFF" and head[8:12] == b"WAVE", path
    with wave.open(str(path), "rb") as wav:
        assert (wav.getnchannels(), wav.getsampwidth(), wav.getframerate()) == (1, 2, 22050)
    assert wav_duration(path) > 0


def test_scenario_files_were_found():
    assert SCENARIO_FILES, "no scenarios under scenarios/"


@pytest.mark.parametrize(
    "path", SCENARIO_FILES, ids=[str(p.relative_to(ROOT / "scenarios")) for p in SCENARIO_FILES]
)
def test_every_scenario_renders(speech, path):
    scenario = yaml.safe_load(path.read_text(encoding="utf-8"))
    clips = render_scenario(scenario)
    call = scenario["call"]
    exchanges = call.get("exchanges") or []
    said = [call.get("when_called_back") or {}, *exchanges]  # the call back, then each answer
    expected = 1 + sum(
        bool(str(e.get(key) or "").strip()) for e in said for key in ("answer", "interpreted")
    )
    assert len(clips) == (0 if call.get("medium") == "text" else expected)  # a text is silent
    for clip in clips.values():
        _assert_clip(clip)


def test_example_clips_are_named_by_ask_or_id():
    clips = scenario_clips(EXAMPLE)
    assert list(clips) == ["opening", "weapons", "threats", "how_long"]
    assert clips["opening"].text == "There's a guy asleep in my doorway and I can't open up."
    assert all(isinstance(c, ClipRequest) for c in clips.values())
    assert {c.voice for c in clips.values()} == {scenario_voice(EXAMPLE)}  # one voice per call
    assert {c.ambience for c in clips.values()} == {None}


def test_ambience_comes_from_the_context():
    scenario = {**EXAMPLE, "call": {**EXAMPLE["call"], "context": {"ambience": "tv"}}}
    assert {c.ambience for c in scenario_clips(scenario).values()} == {"tv"}
    scenario["call"]["context"] = {"ambience": "none"}
    assert {c.ambience for c in scenario_clips(scenario).values()} == {None}
    scenario["call"]["context"] = {"ambience": "jungle"}
    with pytest.raises(AudioError, match="unknown ambience"):
        scenario_clips(scenario)


def test_odd_and_repeated_names_are_made_safe():
    scenario = {
        "id": "x",
        "call": {
            "opening": "Hi.",
            "exchanges": [
                {"id": "../../etc/passwd", "answer": "One."},
                {"ask": "opening", "answer": "Two."},
                {"ask": "weapons", "answer": "Three."},
                {"ask": "weapons", "answer": "Four."},
            ],
        },
    }
    assert list(scenario_clips(scenario)) == [
        "opening",
        "etc_passwd",
        "opening-2",
        "weapons",
        "weapons-2",
    ]


def test_distress_tag_speeds_the_caller_up():
    calm = scenario_voice(EXAMPLE)
    upset = scenario_voice({**EXAMPLE, "tags": ["caller-distressed"]})
    assert upset.voice == calm.voice and upset.rate > calm.rate


def test_render_scenario_copies_to_out_dir(speech, tmp_path, audio_cache):
    seen = []
    clips = render_scenario(EXAMPLE, out_dir=tmp_path / "out", progress=lambda *a: seen.append(a))
    folder = tmp_path / "out" / "doorway-sleeper-0001"
    assert {p.name for p in folder.iterdir()} == {f"{n}.wav" for n in clips}
    assert all(p.parent == folder for p in clips.values())
    for clip in clips.values():
        _assert_clip(clip)
    assert [a[:2] for a in seen] == [(i, 4) for i in range(1, 5)]
    assert len(list(audio_cache.rglob("*.wav"))) == 4  # and the cache holds them
