"""``python -m app audio render|check``."""

from __future__ import annotations

import wave

import yaml

from app.audio import synth
from app.cli import main

SCENARIO = {
    "format": 1,
    "id": "doorway-sleeper-0001",
    "version": 1,
    "title": "Man asleep in a store doorway",
    "module": "disqualifiers",
    "difficulty": 2,
    "tags": ["unhoused"],
    "call": {
        "channel": "911",
        "time": "02:40",
        "initial_call_type": "WELFARE_CHECK",
        "location": "Doorway of a shoe store",
        "caller": {"role": "store owner", "relation": "stranger", "voice": "adult_male"},
        "opening": "There's a guy asleep in my doorway and I can't open up.",
        "exchanges": [
            {"ask": "weapons", "answer": "I don't see anything in his hands."},
            {"ask": "threats", "answer": "He yells but he hasn't threatened anyone."},
            {"ask": "medical", "answer": "He's breathing, he just rolled over."},
        ],
        "context": {"responders_available": True, "ambience": "street"},
    },
    "expert": {
        "disqualifiers": [],
        "call_type": "UNHOUSED_PERSON",
        "priority": 3,
        "disposition": "community_responder",
        "acceptable": [],
        "unsafe": ["police"],
        "required_questions": ["weapons", "threats", "medical"],
        "evidence": {},
        "rationale": "No weapon, threat or medical need: a community responder call.",
    },
}


def _write(folder, name, data):
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / name
    path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
    return path


def test_render_into_the_cache(speech, tmp_path, audio_cache, capsys):
    _write(tmp_path / "in", "a.yaml", SCENARIO)
    assert main(["audio", "render", str(tmp_path / "in")]) == 0
    out, err = capsys.readouterr()
    assert "4 clip(s) for 1 scenario(s)" in out and "4 rendered, 0 from the cache" in out
    assert "[" in err and "4/4" in err  # the progress bar
    assert len(list(audio_cache.rglob("*.wav"))) == 4
    assert main(["audio", "render", str(tmp_path / "in")]) == 0
    assert "0 rendered, 4 from the cache" in capsys.readouterr().out


def test_render_copies_to_out(speech, tmp_path, capsys):
    second = {**SCENARIO, "id": "doorway-sleeper-0002"}
    _write(tmp_path / "in", "a.yaml", SCENARIO)
    _write(tmp_path / "in" / "more", "b.yml", second)
    assert main(["audio", "render", str(tmp_path / "in"), "--out", str(tmp_path / "out")]) == 0
    for ident in ("doorway-sleeper-0001", "doorway-sleeper-0002"):
        folder = tmp_path / "out" / ident
        names = sorted(p.name for p in folder.iterdir())
        assert names == ["medical.wav", "opening.wav", "threats.wav", "weapons.wav"]
        with wave.open(str(folder / "opening.wav"), "rb") as wav:
            assert wav.getframerate() == 22050 and wav.getnframes() > 0
    assert "8 clip(s) for 2 scenario(s)" in capsys.readouterr().out


def test_invalid_files_print_problems_and_exit_1(tmp_path, audio_cache, capsys, monkeypatch):
    monkeypatch.setattr(synth, "render_clip", lambda *a, **k: (_ for _ in ()).throw(AssertionError))
    _write(tmp_path / "in", "good.yaml", SCENARIO)
    bad = _write(tmp_path / "in", "bad.yaml", {**SCENARIO, "id": "bad-1", "difficulty": 9})
    assert main(["audio", "render", str(tmp_path / "in")]) == 1
    out, err = capsys.readouterr()
    assert str(bad) in out and "nothing rendered" in err
    assert not audio_cache.exists() or not list(audio_cache.rglob("*.wav"))


def test_missing_path_is_a_problem(tmp_path, capsys):
    assert main(["audio", "render", str(tmp_path / "nothing-here")]) == 1
    assert "no such file or folder" in capsys.readouterr().out


def test_check_reports_speech(speech, capsys):
    assert main(["audio", "check"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Speech is on") and "Test clip:" in out and "engine: pyttsx3" in out


def test_check_without_engine(monkeypatch, capsys):
    monkeypatch.setattr(synth, "ESPEAK_LIBRARY", "libespeak-ng-is-not-installed.so.1")
    assert main(["audio", "check"]) == 1
    assert capsys.readouterr().out.startswith("Audio is off: install espeak-ng")


def test_render_without_engine_is_a_plain_error(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(synth, "ESPEAK_LIBRARY", "libespeak-ng-is-not-installed.so.1")
    _write(tmp_path / "in", "a.yaml", SCENARIO)
    assert main(["audio", "render", str(tmp_path / "in")]) == 2
    assert capsys.readouterr().err.startswith("error: Audio is off")
