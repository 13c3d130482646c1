"""The clip check rejects anything that is not a complete 22,050 Hz mono 16-bit WAV."""

from __future__ import annotations

import struct
import wave

import pytest

from app.audio.wavfile import BadWav, check_wav, read_frames, wav_duration, write_wav


def test_valid_clip_passes(tmp_path):
    path = tmp_path / "ok.wav"
    write_wav(path, b"\x01\x00" * 22050)
    assert check_wav(path) == pytest.approx(1.0)
    assert wav_duration(path) == pytest.approx(1.0)
    assert read_frames(path) == b"\x01\x00" * 22050


@pytest.mark.parametrize(
    "content",
    [b"", b"not a wav file at all", b"RIFF\x00\x00\x00\x00WAVEfmt "],
    ids=["empty", "text", "header-only"],
)
def test_garbage_fails(tmp_path, content):
    path = tmp_path / "bad.wav"
    path.write_bytes(content)
    with pytest.raises(BadWav):
        check_wav(path)


def test_missing_file_fails(tmp_path):
    with pytest.raises(BadWav):
        check_wav(tmp_path / "nothing.wav")


def test_zero_length_fails(tmp_path):
    path = tmp_path / "empty.wav"
    write_wav(path, b"")
    with pytest.raises(BadWav, match="no audio"):
        check_wav(path)


def test_truncated_data_fails(tmp_path):
    path = tmp_path / "cut.wav"
    write_wav(path, b"\x00\x01" * 1000)
    path.write_bytes(path.read_bytes()[:-500])
    with pytest.raises(BadWav, match="truncated"):
        check_wav(path)


def test_wrong_format_fails(tmp_path):
    path = tmp_path / "stereo.wav"
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(2)
        wav.setsampwidth(2)
        wav.setframerate(44100)
        wav.writeframes(b"\x00" * 400)
    with pytest.raises(BadWav, match="expected 22050 Hz"):
        check_wav(path)


def test_extra_chunks_before_data_are_skipped(tmp_path):
    frames = b"\x02\x00" * 100
    fmt = struct.pack("<HHIIHH", 1, 1, 22050, 44100, 2, 16)
    body = (
        b"WAVE"
        + b"fmt " + struct.pack("<I", len(fmt)) + fmt
        + b"LIST" + struct.pack("<I", 3) + b"abc\x00"  # odd size, padded
        + b"data" + struct.pack("<I", len(frames)) + frames
    )  # fmt: skip
    path = tmp_path / "list.wav"
    path.write_bytes(b"RIFF" + struct.pack("<I", len(body)) + body)
    assert check_wav(path) == pytest.approx(100 / 22050)
