"""Errors of the audio package, each with a message meant for a person."""

from app.errors import UserError


class AudioError(UserError):
    """A clip cannot be made (bad text, unwritable cache, failed synthesis)."""


class SpeechUnavailable(AudioError):
    """The speech engine (espeak-ng / pyttsx3) is not installed on this machine."""


class SynthesisError(AudioError):
    """The speech engine ran but did not produce a usable clip."""
