"""The words of a typed question: normalising, stems, small words and cue words.

Also the numbers the score is made with (tuned on a development set of typed questions,
see the tests), which the index and the matching share.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence, Set

from rapidfuzz import fuzz, process

MAX_CHARS = 500
MAX_WORDS = 40  # words after these are not read (no screening question is that long)
THRESHOLD = 0.5
# How the score is made (tuned on a development set of typed questions, see the tests).
CUE_CREDIT = 0.8  # a cue word counts this much of a shared word
CUE_BONUS = 0.15  # of the way left to 1, when the text has a cue word of the question
RATIO_SHARE = 0.25  # share of rapidfuzz's whole-text similarity in a score
COVERAGE_SHARE = 0.5  # share of "how much of the text is explained" in the overlap
UNKNOWN_SHARE = 0.6  # a word no question uses weighs this much of the rarest word
NO_KEY_FACTOR = 0.75  # a fit on small, everyday and question words only ...
NEAR_SAME = 0.9  # ... unless the whole text is at least this similar
PREFIX_CUE = 5  # a cue word this long also matches longer words ("injur" -> "injured")


# Written-out forms of contractions and chat spellings, word by word (after lower case).
_SPELLINGS = {
    "u": "you",
    "ya": "you",
    "yu": "you",
    "ur": "your",
    "youre": "you are",
    "r": "are",
    "whats": "what is",
    "wats": "what is",
    "wat": "what",
    "wht": "what",
    "wheres": "where is",
    "whos": "who is",
    "hows": "how is",
    "hes": "he is",
    "shes": "she is",
    "theyre": "they are",
    "theres": "there is",
    "thats": "that is",
    "im": "i am",
    "ive": "i have",
    "dont": "do not",
    "doesnt": "does not",
    "didnt": "did not",
    "isnt": "is not",
    "arent": "are not",
    "wasnt": "was not",
    "cant": "can not",
    "cannot": "can not",
    "wont": "will not",
    "hasnt": "has not",
    "havent": "have not",
    "gonna": "going to",
    "wanna": "want to",
    "gotta": "got to",
    "pls": "please",
    "plz": "please",
    "ppl": "people",
    "rn": "right now",
    "abt": "about",
    "hav": "have",
    "b4": "before",
    "bc": "because",
    "cuz": "because",
    "ok": "okay",
    "k": "okay",
    "kk": "okay",
    "anybody": "anyone",
    "somebody": "someone",
    "nobody": "no one",
    "tel": "telephone",
    "cellphone": "cell phone",
    "callback": "call back",
}
# One word for a third person, whoever it is: "is she drunk" asks what "is he drunk" asks.
_PERSONS = {
    "he": "they",
    "she": "they",
    "him": "them",
    "her": "them",
    "his": "them",
    "hers": "them",
    "their": "them",
    "theirs": "them",
    "himself": "themself",
    "herself": "themself",
    "themselves": "themself",
}
_CONTRACTIONS = (
    (re.compile(r"n't\b"), " not"),
    (re.compile(r"'re\b"), " are"),
    (re.compile(r"'m\b"), " am"),
    (re.compile(r"'ll\b"), " will"),
    (re.compile(r"'ve\b"), " have"),
    (re.compile(r"'d\b"), " would"),
    (re.compile(r"\b(he|she|it|what|where|who|how|that|there|here)'s\b"), r"\1 is"),
    (re.compile(r"'s\b"), ""),  # a possessive: "the guy's shirt" -> "the guy shirt"
)
_NOT_WORD = re.compile(r"[^a-z0-9]+")

# Small words: they shape a question but say little about which one it is.
STOPWORDS = frozenset(
    """
    a an the and or but so if then than of to in on at by for from with about as into
    onto up down out off over under again there here this that these those it its
    is are was were be been being am do does did has have had having
    will would can could should shall may might must
    i me my mine we us our you your yours yourself they them themself
    anyone someone everyone one no not any some all anything something everything
    okay just really please now right well yes yeah also too very
    um uh oh hey hi hello sir maam mam miss
    """.split()
)
# Who the question is about ("where are you" asks something else than "where is he").
PERSON_WORDS = frozenset({"you", "your", "yours", "yourself", "they", "them", "themself"})
# Everyday words that are not small but say little about the question on their own.
LIGHT_WORDS = frozenset(
    """
    get got go goes going gone come came take make made see saw say said tell want need
    like think way thing things time people person guy guys man woman lady kid help
    still ever before around else other others today tonight maybe
    """.split()
)
WH_WORDS = frozenset({"what", "where", "who", "whom", "whose", "how", "which", "when", "why"})
_STOP_WEIGHT = 0.15
_PERSON_WEIGHT = 0.5
_LIGHT_WEIGHT = 0.6


def normalise(text: str) -> str:
    """Lower case, plain letters, contractions written out, no punctuation."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(ch for ch in text if not unicodedata.combining(ch)).lower()
    text = text.replace("\u2019", "'").replace("`", "'").replace("#", " number ")
    for pattern, replacement in _CONTRACTIONS:
        text = pattern.sub(replacement, text)
    words = []
    for word in _NOT_WORD.sub(" ", text).split():
        for part in _SPELLINGS.get(word, word).split():
            words.append(_PERSONS.get(part, part))
    return " ".join(words)


def stem(word: str) -> str:
    """A rough stem, the same on both sides: "threatened", "threatening" -> "threaten"."""
    for suffix in ("ings", "ing", "edly", "ed", "ies", "es", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            if suffix == "s" and word.endswith("ss"):
                return word
            if suffix == "ies":
                return word[:-3] + "y"
            return word[: -len(suffix)]
    return word


# Cue words of the default catalogue: a typed text with one of them very likely asks
# that question. A cue of PREFIX_CUE letters or more also matches longer words; a cue
# of several words ("get in") matches those words in a row.
CUES: dict[str, tuple[str, ...]] = {
    "address": ("address", "location", "located", "street", "intersection", "block",
                "city", "town", "apartment", "landmark", "zip"),
    "callback": ("phone", "number", "call back", "cell", "mobile", "telephone", "contact",
                 "disconnect"),
    "what_happened": ("happen", "emergency", "situation", "going on", "go on"),
    "weapons": ("weapon", "armed", "gun", "firearm", "pistol", "rifle", "knife", "kniv",
                "blade", "machete", "bat", "sharp", "shotgun", "handgun"),
    "threats": ("threat", "threaten"),
    "injuries": ("hurt", "injur", "bleed", "blood", "wound"),
    "medical": ("breath", "breathe", "conscious", "unconscious", "awake", "respon",
                "unrespon", "ambulance", "medic", "medical", "paramedic", "ems",
                "seizure", "doctor"),
    "entry": ("door", "lock", "locked", "unlock", "key", "entry", "enter", "buzzer",
              "gate", "get in", "get inside", "get into", "go in", "go inside", "break in",
              "let in", "let them in", "let us in"),
    "evidence": ("evidence", "crime", "stolen", "steal", "stole", "damage", "footage",
                 "camera", "preserve", "proof"),
    "substances": ("drink", "drunk", "drug", "alcohol", "intoxicat", "influence", "pill",
                   "substance", "wasted", "booze", "beer", "sober", "smoke", "smoking",
                   "on something", "on anything"),
    "suicide": ("suicid", "suicide", "kill", "die"),
    "relationship": ("relat", "relative", "family", "son", "daughter", "wife", "husband",
                     "boyfriend", "girlfriend", "mom", "dad", "mother", "father", "brother",
                     "sister", "neighbor", "neighbour", "friend", "roommate", "stranger"),
    "description": ("wear", "describe", "description", "clothes", "clothing", "shirt",
                    "jacket", "hair", "tall", "height", "race", "male", "female", "dressed",
                    "white", "black", "hispanic", "latino", "asian"),
    "location_inside": ("room", "floor", "lobby", "bathroom", "yard", "backyard",
                        "sidewalk", "hallway", "kitchen", "bedroom", "porch", "where in",
                        "still at", "still in", "still on", "still inside", "still outside"),
    "interpreter": ("interpret", "interpreter", "translat", "translator", "language",
                    "english", "spanish", "espanol", "habla", "hablas"),
}  # fmt: skip

# Things call takers say that ask the caller nothing: acknowledgements, holding,
# reassurance, instructions. They compete like a question; when one of them fits best,
# the text asks nothing.
NOT_QUESTIONS = (
    "okay thanks",
    "all right then",
    "noted",
    "got it thanks",
    "not a problem",
    "thank you very much",
    "glad to help",
    "just a moment",
    "hold on one second",
    "hang on",
    "give me a second",
    "wait a moment",
    "bear with me please",
    "please hold the line",
    "i am typing this",
    "let me write that down",
    "let me check",
    "are you still with me",
    "can you still hear me",
    "sorry could you say that again",
    "i did not understand",
    "stay calm",
    "try to stay calm",
    "take a slow breath",
    "you are doing fine",
    "help is coming",
    "they are on their way",
    "i am sending help",
    "someone is coming to you",
    "stay on the line",
    "hi there",
    "good morning",
    "how are you doing",
    "goodbye",
)
_NOTHING = ""  # the "question" of NOT_QUESTIONS in the index
_NO_HITS: frozenset[str] = frozenset()


def _cue_keys(cues: Iterable[str]) -> tuple[str, ...]:
    """Cue words as stems, cue phrases as normalised text."""
    return tuple(sorted({normalise(c) if " " in c else stem(c) for c in cues}))


def _closest(word: str, known: Set[str], words: Sequence[str]) -> str:
    """``word``, or the known word it is a slip of ("wepon" -> "weapon").

    ``words`` are the known words with the same first letter: slips rarely hit it.
    """
    if word in known or len(word) < 4 or not word.isalpha():
        return word
    cutoff = 88 if len(word) == 4 else 83 if len(word) <= 6 else 80
    found = process.extractOne(word, words, scorer=fuzz.ratio, score_cutoff=cutoff)
    return found[0] if found else word
