"""The one audio format of the platform (22,050 Hz, mono, 16-bit PCM WAV) and its checks."""

from __future__ import annotations

import contextlib
import os
import struct
import sys
import wave
from pathlib import Path

SAMPLE_RATE = 22050  # what pyttsx3's espeak driver and espeak-ng -w write
CHANNELS = 1
SAMPLE_WIDTH = 2


class BadWav(Exception):
    """A file that is not a usable clip in the platform's format."""


def check_wav(path: str | os.PathLike) -> float:
    """Duration in seconds of a valid clip; raise :class:`BadWav` otherwise.

    Checks the RIFF/WAVE header, that a non-empty ``data`` chunk is present and
    complete, the format (22,050 Hz mono 16-bit) and a duration above zero.
    """
    path = Path(path)
    try:
        size = path.stat().st_size
        with path.open("rb") as fh:
            head = fh.read(12)
            if len(head) < 12 or head[:4] != b"RIFF" or head[8:12] != b"WAVE":
                raise BadWav(f"{path.name}: not a RIFF/WAVE file")
            data_size = None
            while True:
                chunk = fh.read(8)
                if len(chunk) < 8:
                    break
                name, length = chunk[:4], struct.unpack("<I", chunk[4:])[0]
                if name == b"data":
                    data_size = length
                    if fh.tell() + length > size:
                        raise BadWav(f"{path.name}: data chunk is truncated")
                    break
                fh.seek(length + (length & 1), os.SEEK_CUR)
            if not data_size:
                raise BadWav(f"{path.name}: no audio data")
        with wave.open(str(path), "rb") as wav:
            params = wav.getparams()
    except (OSError, EOFError, wave.Error, struct.error) as exc:
        raise BadWav(f"{path.name}: unreadable WAV ({exc})") from None
    if (params.nchannels, params.sampwidth, params.framerate) != (
        CHANNELS,
        SAMPLE_WIDTH,
        SAMPLE_RATE,
    ):
        raise BadWav(
            f"{path.name}: expected {SAMPLE_RATE} Hz mono 16-bit, got {params.framerate} Hz, "
            f"{params.nchannels} channel(s), {8 * params.sampwidth}-bit"
        )
    duration = params.nframes / params.framerate
    if duration <= 0:
        raise BadWav(f"{path.name}: zero length")
    return duration


def wav_duration(path: str | os.PathLike) -> float:
    """Duration in seconds of a WAV file (any format the wave module reads)."""
    with wave.open(str(path), "rb") as wav:
        return wav.getnframes() / wav.getframerate()


def read_frames(path: str | os.PathLike) -> bytes:
    """The PCM frames of a clip (little-endian int16)."""
    with wave.open(str(path), "rb") as wav:
        return wav.readframes(wav.getnframes())


def write_wav(path: str | os.PathLike, frames: bytes) -> None:
    """Write little-endian int16 mono frames as a clip."""
    with wave.open(str(path), "wb") as wav:
        wav.setnchannels(CHANNELS)
        wav.setsampwidth(SAMPLE_WIDTH)
        wav.setframerate(SAMPLE_RATE)
        wav.writeframes(frames)


def remove_quietly(path: str | os.PathLike) -> None:
    with contextlib.suppress(FileNotFoundError):
        os.unlink(path)


LITTLE_ENDIAN = sys.byteorder == "little"
