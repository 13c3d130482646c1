"""Voices for callers and the dispatcher.

A caller's voice is derived only from the scenario (its id, the caller's
``voice`` hint, role and relation) so it is the same on every render, on
every machine, and for every clip of one call. A ``state`` (calm, distressed,
intoxicated) changes speed, pitch and loudness but never the variant, so the
caller keeps one recognisable voice even if a state hint changes.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

# espeak-ng voice names that SetVoiceByName accepts, optionally with "+variant".
_VOICE_RE = re.compile(r"^[a-z]{2,3}(-[a-z0-9]+)*(\+[A-Za-z0-9]+)?$")

STATES = ("calm", "distressed", "intoxicated")
AGES = ("child", "young", "adult", "older")
SEXES = ("female", "male")


@dataclass(frozen=True)
class VoiceProfile:
    """How espeak-ng speaks a clip.

    ``voice`` is an espeak-ng voice with an optional variant ("en-us+f3");
    ``rate`` is words per minute; ``pitch`` is espeak's 0..100 scale (50 is the
    voice's normal pitch); ``volume`` is 0..1.
    """

    voice: str
    rate: int = 175
    pitch: int = 50
    volume: float = 0.9

    def __post_init__(self) -> None:
        if not isinstance(self.voice, str) or not _VOICE_RE.match(self.voice):
            raise ValueError(f"not an espeak-ng voice name: {self.voice!r}")
        if not isinstance(self.rate, int) or not 80 <= self.rate <= 450:
            raise ValueError(f"rate must be an integer 80..450 words per minute, not {self.rate!r}")
        if not isinstance(self.pitch, int) or not 0 <= self.pitch <= 100:
            raise ValueError(f"pitch must be an integer 0..100, not {self.pitch!r}")
        if not isinstance(self.volume, int | float) or not 0.0 <= self.volume <= 1.0:
            raise ValueError(f"volume must be 0..1, not {self.volume!r}")

    @property
    def variant(self) -> str | None:
        """The espeak-ng variant ("f3"), or None when the voice has none."""
        return self.voice.split("+", 1)[1] if "+" in self.voice else None

    def as_dict(self) -> dict:
        return {
            "voice": self.voice,
            "rate": self.rate,
            "pitch": self.pitch,
            "volume": round(float(self.volume), 3),
        }


# The dispatcher's variant is in no caller pool, so a caller never sounds like them.
DISPATCHER_VOICE = VoiceProfile("en-us+m7", rate=170, pitch=45, volume=0.9)

# Variants shipped with espeak-ng (espeak-ng-data/voices/!v), grouped by how they sound.
VARIANTS: dict[tuple[str, str], tuple[str, ...]] = {
    ("female", "child"): ("f5", "belinda", "linda"),
    ("female", "young"): ("f5", "belinda", "linda", "f3"),
    ("female", "adult"): ("f2", "f3", "f4", "steph", "linda"),
    ("female", "older"): ("f1", "grandma", "aunty"),
    ("male", "child"): ("ed", "m5", "Michael"),
    ("male", "young"): ("ed", "m5", "Michael", "m3"),
    ("male", "adult"): ("m2", "m3", "m4", "m6", "john", "Gene", "robert"),
    ("male", "older"): ("m1", "m8", "grandpa", "croak"),
}

# Regional English voices; mostly General American.
ACCENTS = ("en-us", "en-us", "en-us", "en-us-nyc", "en-029")

# (low, high) ranges on espeak's 0..100 pitch scale, by sex and age.
_PITCH = {
    ("female", "child"): (78, 95),
    ("female", "young"): (62, 76),
    ("female", "adult"): (45, 64),
    ("female", "older"): (36, 50),
    ("male", "child"): (75, 92),
    ("male", "young"): (50, 64),
    ("male", "adult"): (34, 54),
    ("male", "older"): (26, 42),
}
_RATE_BY_AGE = {"child": 165, "young": 170, "adult": 160, "older": 145}  # calm, low end
# state -> (rate offset, pitch offset, volume)
_STATE_EFFECT = {"calm": (0, 0, 0.9), "distressed": (40, 10, 1.0), "intoxicated": (-35, -8, 0.8)}

_SEX_WORDS = {
    "female": {"female", "woman", "women", "girl", "lady", "mother", "mom", "wife", "daughter",
               "sister", "grandmother", "grandma", "aunt", "girlfriend", "f", "feminine"},
    "male": {"male", "man", "men", "boy", "guy", "father", "dad", "husband", "son", "brother",
             "grandfather", "grandpa", "uncle", "boyfriend", "m", "masculine"},
}  # fmt: skip
_AGE_WORDS = {
    "child": {"child", "kid", "girl", "boy", "little"},
    "young": {"teen", "teenage", "teenager", "young", "youth", "adolescent", "student"},
    "adult": {"adult", "middle", "grown"},
    "older": {"older", "old", "elderly", "senior", "aged", "elder", "grandmother",
              "grandfather", "grandma", "grandpa", "retiree"},
}  # fmt: skip
_STATE_WORDS = {
    "distressed": {"distressed", "panicked", "panicking", "panic", "upset", "crying", "scared",
                   "frantic", "anxious", "afraid", "agitated", "angry", "hysterical", "shaken",
                   "frightened", "excited", "urgent", "nervous", "worried", "tearful", "shaky",
                   "breathless", "stressed", "rushed", "annoyed", "irritated", "frustrated"},
    "intoxicated": {"intoxicated", "drunk", "slurred", "slurring", "impaired", "inebriated"},
    "calm": {"calm", "steady", "composed", "relaxed", "flat", "quiet", "tired", "sleepy"},
}  # fmt: skip


def _words(text: object) -> list[str]:
    if not isinstance(text, str):
        return []
    return [w for w in re.split(r"[^a-z]+", text.lower()) if w]


def _pick(words: Iterable[str], table: dict[str, set[str]], order: Iterable[str]) -> str | None:
    found = set(words)
    for name in order:
        if found & table[name]:
            return name
    return None


def normalize_state(state: object) -> str | None:
    """Map a state hint ("panicked", "drunk", "calm", ...) to one of STATES, or None."""
    return _pick(_words(state), _STATE_WORDS, ("intoxicated", "distressed", "calm"))


def state_from_tags(tags: object, relation: object = None) -> str | None:
    """A caller state named by scenario tags.

    ``caller-distressed`` / ``caller:intoxicated`` always count. A bare state word
    (``panicked``, ``upset``) counts as distress of the caller; a bare intoxication
    word counts only when the caller is calling about themselves (``relation: self``),
    since in most calls it describes the person the call is about.
    """
    if not isinstance(tags, list | tuple):
        return None
    explicit, bare_distress, bare_intox = None, False, False
    for tag in tags:
        if not isinstance(tag, str):
            continue
        low = tag.lower()
        if low.startswith(("caller-", "caller:", "caller_")):
            explicit = explicit or normalize_state(low[7:])
            continue
        state = normalize_state(low)
        bare_distress = bare_distress or state == "distressed"
        bare_intox = bare_intox or state == "intoxicated"
    if explicit:
        return explicit
    if bare_intox and relation == "self":
        return "intoxicated"
    if bare_distress:
        return "distressed"
    return None


# The scenario format's age bands (caller.age) and the voice age each one sounds as.
AGE_BANDS = {"child": "child", "teen": "young", "adult": "adult", "older": "older"}
# espeak-ng voices for a caller's language (primary subtag); others use the subtag itself.
ESPEAK_LANGUAGES = {"en": "en-us", "es": "es-419", "zh": "cmn", "pt": "pt-br"}


def espeak_language(language: object) -> str:
    """The espeak-ng voice (without variant) that speaks a BCP 47 language tag."""
    if not isinstance(language, str) or not language.strip():
        return "en-us"
    primary = language.strip().split("-")[0].lower()
    return ESPEAK_LANGUAGES.get(primary, primary)


def language_of_voice(voice: VoiceProfile) -> str:
    """The language a voice speaks, as a primary subtag (``en-us+f3`` -> ``en``)."""
    name = voice.voice.split("+", 1)[0].split("-")[0]
    return {"cmn": "zh"}.get(name, name)


def caller_traits(caller: Mapping | None) -> tuple[str | None, str, str | None]:
    """(sex or None, age, state or None): the caller's ``gender`` and ``age`` keys first,
    then words of the voice hint, then of the role."""
    caller = caller if isinstance(caller, Mapping) else {}
    hint, role = _words(caller.get("voice")), _words(caller.get("role"))
    gender = caller.get("gender")
    sex = gender if gender in SEXES else None
    sex = sex or _pick(hint, _SEX_WORDS, SEXES) or _pick(role, _SEX_WORDS, SEXES)
    age_order = ("older", "young", "child", "adult")
    age = AGE_BANDS.get(str(caller.get("age")))
    age = age or _pick(hint, _AGE_WORDS, age_order) or _pick(role, _AGE_WORDS, age_order)
    age = age or "adult"
    state = _pick(hint, _STATE_WORDS, ("intoxicated", "distressed", "calm"))
    return sex, age, state


def _digest(*parts: object) -> bytes:
    raw = "\x1f".join("" if p is None else str(p) for p in parts)
    return hashlib.sha256(raw.encode("utf-8")).digest()


def voice_for(
    caller: Mapping | None,
    scenario_id: str,
    state: str | None = None,
    *,
    tags: Iterable[str] | None = None,
) -> VoiceProfile:
    """The caller's voice in one scenario: the same inputs always give the same voice.

    Sex and age come from ``caller.gender`` and ``caller.age`` when given, else from
    ``caller.voice`` (``adult_female``, ``older_male``, ``teen_female``; the role is a
    fallback). A caller whose ``language`` is not English gets that language's espeak-ng
    voice (Spanish: ``es-419``) with the same variant and pitch. The state is ``state`` if given,
    else a word in the voice hint, else the scenario ``tags``; it sets speed,
    pitch and loudness. A hash of the scenario id (and the caller) picks the
    variant, accent and exact pitch among the ones that fit.
    """
    caller = caller if isinstance(caller, Mapping) else {}
    sex, age, hinted_state = caller_traits(caller)
    mood = (
        normalize_state(state)
        or hinted_state
        or state_from_tags(list(tags or ()), caller.get("relation"))
        or "calm"
    )
    d = _digest(scenario_id, caller.get("voice"), caller.get("role"), caller.get("relation"))
    if sex is None:
        sex = SEXES[d[0] % 2]
    pool = VARIANTS[(sex, age)]
    variant = pool[d[1] % len(pool)]
    accent = ACCENTS[d[2] % len(ACCENTS)]
    language = espeak_language(caller.get("language"))
    if language != "en-us":
        accent = language
    low, high = _PITCH[(sex, age)]
    rate_add, pitch_add, volume = _STATE_EFFECT[mood]
    pitch = low + d[3] % (high - low + 1) + pitch_add
    rate = _RATE_BY_AGE[age] + d[4] % 21 + rate_add
    return VoiceProfile(
        f"{accent}+{variant}",
        rate=max(80, min(450, rate)),
        pitch=max(0, min(100, pitch)),
        volume=volume,
    )
