"""Voices that fit the caller (age, gender, language) and the audio check over the bank:
Spanish callers in espeak-ng's Spanish, the interpreter in English, texts silent."""

from __future__ import annotations

from pathlib import Path

import pytest

from app import audio
from app.audio.voices import _PITCH, language_of_voice, voice_for
from app.cli import main
from app.cli.audio import voice_problems
from app.core.scenario import call_kind, load_paths

ROOT = Path(__file__).resolve().parents[2]
NEW_FOLDERS = (
    "hang-ups",
    "other-language",
    "child-callers",
    "lost-callers",
    "text-to-911",
    "repeat-callers",
    "cannot-speak-freely",
)


@pytest.fixture(scope="module")
def bank() -> list[dict]:
    loaded, found = load_paths([ROOT / "scenarios" / name for name in NEW_FOLDERS])
    assert not [p for p in found if p.is_error]
    return [item.data for item in loaded]


def test_a_spanish_caller_gets_the_spanish_voice_and_keeps_their_variant():
    english = voice_for({"role": "mother", "gender": "female"}, "s-1")
    spanish = voice_for({"role": "mother", "gender": "female", "language": "es-MX"}, "s-1")
    assert spanish.voice.startswith("es-419+") and language_of_voice(spanish) == "es"
    assert spanish.variant == english.variant and spanish.pitch == english.pitch
    assert language_of_voice(english) == "en"


@pytest.mark.parametrize(
    ("age", "band"), [("child", "child"), ("teen", "young"), ("older", "older")]
)
@pytest.mark.parametrize("gender", ["female", "male"])
def test_age_and_gender_keys_choose_the_voice(age, band, gender):
    for n in range(20):
        voice = voice_for({"role": "caller", "age": age, "gender": gender}, f"v-{n}")
        low, high = _PITCH[(gender, band)]
        assert low <= voice.pitch <= high
        assert voice.variant in audio.voices.VARIANTS[(gender, band)]


def test_every_new_call_has_voices_that_fit(bank):
    assert len(bank) >= 35
    assert {c["id"]: voice_problems(c) for c in bank if voice_problems(c)} == {}
    for data in bank:
        clips = audio.scenario_clips(data)
        kind = call_kind(data)
        if kind.is_text:
            assert clips == {}
            continue
        assert language_of_voice(clips["opening"].voice) == kind.language.split("-")[0]
        if kind.needs_callback:
            assert "called_back" in clips
        for name, clip in clips.items():
            if name.startswith("en-"):
                assert language_of_voice(clip.voice) == "en"
                assert clip.voice == audio.interpreter_voice(data)


def test_the_audio_check_refuses_a_caller_in_the_wrong_language(bank):
    spanish = next(c for c in bank if call_kind(c).other_language and not call_kind(c).is_text)
    wrong = {**spanish, "call": {**spanish["call"], "caller": {"language": "en"}}}
    assert voice_problems(wrong) == []  # English words in an English voice: fine
    import dataclasses

    clips = audio.scenario_clips(spanish)
    clips["opening"] = clips["opening"]._replace(
        voice=dataclasses.replace(clips["opening"].voice, voice="en-us+f3")
    )
    from unittest import mock

    with mock.patch.object(audio, "scenario_clips", return_value=clips):
        found = voice_problems(spanish)
    assert found and "speaks 'es'" in found[0]


def test_spanish_is_rendered_in_a_spanish_voice(speech, bank):
    spanish = next(c for c in bank if c["id"] == "dropped-spanish-son-0001")
    clip = audio.scenario_clips(spanish)["opening"]
    as_spanish = audio.clip_for_text(*clip).read_bytes()
    as_english = audio.clip_for_text(
        clip.text, audio.VoiceProfile("en-us", clip.voice.rate, clip.voice.pitch), None
    ).read_bytes()
    assert as_spanish[:4] == b"RIFF" and as_spanish != as_english


def test_audio_check_covers_the_new_folders(speech, capsys):
    code = main(["audio", "check", str(ROOT / "scenarios" / "other-language")])
    out = capsys.readouterr().out
    assert code == 0, out
    assert "6 in another language, openings rendered; 0 problem(s)" in out
    code = main(["audio", "check", "--quick", *(str(ROOT / "scenarios" / n) for n in NEW_FOLDERS)])
    out = capsys.readouterr().out
    assert code == 0 and "8 text (no audio)" in out, out
