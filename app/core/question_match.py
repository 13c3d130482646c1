"""Which screening question a typed sentence asks (the call screen's typed questions).

A trainee writes a question in their own words; :func:`match_question` names the
protocol question (or the scenario's own question) it asks, or ``None`` when it asks
nothing the caller could answer ("ok", "hold on", small talk, random letters).

How it decides, in short:

1. The text is normalised: lower case, accents dropped, contractions and chat
   spellings written out ("whats" -> "what is", "u" -> "you"), "he"/"she" made one
   word, punctuation removed.
2. Misspelt words are put right against the words the questions use (rapidfuzz, per
   word: "wepon" -> "weapon", "sucidal" -> "suicidal").
3. The text is compared with every way of asking each question: its text and its
   ``phrasings`` in the protocol (see content/protocols/README.md). The comparison is
   a weighted word overlap, in which a word only one question uses counts most and
   small words ("is", "the") count little, blended with rapidfuzz's whole-text
   similarity.
4. Cue words of the default questions ("knife", "drunk", "interpreter", "get in")
   count for their question even when no phrasing has them.
5. A short list of things call takers say that ask nothing (:data:`NOT_QUESTIONS`:
   "okay", "hold on one second", "help is coming") competes too; when one of them fits
   best, or no question reaches :data:`THRESHOLD`, the answer is ``None``.

Pure: no Streamlit, no database. A protocol's index is built once and kept.
"""

from __future__ import annotations

import functools
import math
import random
import re
import statistics
import time
import unicodedata
import weakref
from collections.abc import Iterable, Sequence, Set
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from app.core.protocol import Protocol, load_protocol
from app.errors import UserError

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


class QuestionTextError(UserError):
    """A typed question that cannot be matched at all (empty or too long)."""


@dataclass(frozen=True)
class Match:
    question: str | None  # a question id, or None when the text asks nothing we know
    score: float  # 0..1: how well the best question fits (also when it is not enough)

    def as_dict(self) -> dict:
        return {"question": self.question, "score": self.score}


# ----------------------------------------------------------------------------- text

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


# ----------------------------------------------------------------------------- index


@dataclass(frozen=True)
class _Entry:
    question: str  # an id; _NOTHING for the not-a-question entries
    text: str  # normalised
    weights: dict[str, float]  # small word or stem -> weight
    total: float


class _Index:
    """Every way of asking each question, ready for matching (built once per protocol)."""

    def __init__(self, questions: Sequence[tuple[str, str, tuple[str, ...]]]):
        per_question: dict[str, list[list[str]]] = {}
        for qid, text, phrasings in questions:
            tokens = (normalise(raw).split() for raw in (text, *phrasings))
            per_question[qid] = [t for t in tokens if t]
        self.cues = {qid: _cue_keys(CUES.get(qid, ())) for qid in per_question}
        self.cues[_NOTHING] = ()

        # A stem that only one question uses weighs most (inverse document frequency).
        df: dict[str, int] = {}
        for qid, lists in per_question.items():
            stems = {stem(w) for tokens in lists for w in tokens if w not in STOPWORDS}
            stems.update(c for c in self.cues[qid] if " " not in c)
            for s in stems:
                df[s] = df.get(s, 0) + 1
        count = max(len(per_question), 1)
        self.idf = {s: math.log(1 + count / n) for s, n in df.items()}
        self.phrase_weight = math.log(1 + count)
        self.unknown_weight = UNKNOWN_SHARE * self.phrase_weight

        self.phrases = tuple(sorted({c for cues in self.cues.values() for c in cues if " " in c}))
        self.exact_cues: dict[str, set[str]] = {}
        self.prefix_cues: dict[str, set[str]] = {}
        for qid, cues in self.cues.items():
            for c in cues:
                self.exact_cues.setdefault(c, set()).add(qid)
                if len(c) >= PREFIX_CUE:
                    self.prefix_cues.setdefault(c, set()).add(qid)

        entries = [self.entry(qid, t) for qid, lists in per_question.items() for t in lists]
        entries += [self.entry(_NOTHING, normalise(raw).split()) for raw in NOT_QUESTIONS]
        self.entries = entries
        self.by_question: dict[str, list[int]] = {}
        self.by_stem: dict[str, list[int]] = {}
        for i, e in enumerate(entries):
            self.by_question.setdefault(e.question, []).append(i)
            for s in e.weights:
                self.by_stem.setdefault(s, []).append(i)

        words = set(STOPWORDS) | LIGHT_WORDS
        words.update(w for e in entries for w in e.text.split())
        words.update(c for cues in CUES.values() for c in cues if " " not in c)
        self.known = frozenset(words)
        by_letter: dict[str, list[str]] = {}
        for w in sorted(words):
            by_letter.setdefault(w[0], []).append(w)
        self.by_letter = {letter: tuple(ws) for letter, ws in by_letter.items()}
        self.correct_word = functools.lru_cache(maxsize=8192)(self._correct_word)
        self.cue_of = functools.lru_cache(maxsize=8192)(self._cue_of)
        self.own_entry = functools.lru_cache(maxsize=1024)(self._own_entry)

    def weight(self, word: str) -> float:
        if word in STOPWORDS:
            return _PERSON_WEIGHT if word in PERSON_WORDS else _STOP_WEIGHT
        if word in LIGHT_WORDS:
            return _LIGHT_WEIGHT
        return self.idf.get(stem(word), self.unknown_weight)

    def entry(self, qid: str, tokens: list[str]) -> _Entry:
        weights: dict[str, float] = {}
        for w in tokens:
            key = w if w in STOPWORDS else stem(w)
            weights[key] = max(weights.get(key, 0.0), self.weight(w))
        return _Entry(qid, " ".join(tokens), weights, sum(weights.values()))

    def _correct_word(self, word: str) -> str:
        return _closest(word, self.known, self.by_letter.get(word[:1], ()))

    def _cue_of(self, key: str) -> frozenset[str]:
        """The questions that ``key`` (a stem or a cue phrase) is a cue of."""
        found = set(self.exact_cues.get(key, ()))
        for end in range(PREFIX_CUE, len(key) + 1):
            found.update(self.prefix_cues.get(key[:end], ()))
        return frozenset(found)

    def _own_entry(self, qid: str, question: str) -> _Entry | None:
        tokens = normalise(question).split()
        return self.entry(qid, tokens) if tokens else None


_BY_PROTOCOL: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


@functools.lru_cache(maxsize=32)
def _index_for(signature: tuple) -> _Index:
    return _Index(signature)


def index_for(protocol: Protocol) -> _Index:
    """The protocol's index: kept per protocol object, and per set of questions."""
    index = _BY_PROTOCOL.get(protocol)
    if index is None:
        signature = tuple((q.id, q.text, q.phrasings) for q in protocol.questions.values())
        index = _index_for(signature)
        _BY_PROTOCOL[protocol] = index
    return index


@functools.lru_cache(maxsize=256)
def _own_words(own: tuple[tuple[str, str], ...]) -> tuple[frozenset[str], dict]:
    words = sorted({w for _, question in own for w in normalise(question).split()})
    by_letter: dict[str, list[str]] = {}
    for w in words:
        by_letter.setdefault(w[0], []).append(w)
    return frozenset(words), by_letter


# ----------------------------------------------------------------------------- matching


def _score(query: dict[str, float], entry: _Entry, cue_hits: Set[str], ratio: float) -> float:
    """How well the typed words fit one way of asking a question (0..1).

    A weighted overlap of the two bags of stems (Dice, and how much of the typed text
    it explains), where a typed word that is a cue of the entry's question
    (``cue_hits``) counts almost as if the entry had it ("mom" for "is that your son");
    blended with rapidfuzz's whole-text similarity ``ratio`` (0..1). A fit that rests
    only on small, everyday and question words ("how are you" and "where are you")
    counts less, unless the whole text is nearly the same.
    """
    shared = 0.0
    total = entry.total
    key = False
    for s, w in query.items():
        total += w
        if s in entry.weights:
            shared += min(w, entry.weights[s])
            key = key or (w > _LIGHT_WEIGHT and s not in WH_WORDS)
        elif s in cue_hits:
            shared += CUE_CREDIT * w  # as if the entry had the word too
            total += w
            key = True
    mine = sum(query.values())
    dice = 2 * shared / total if total else 0.0
    coverage = min(1.0, shared / mine) if mine else 0.0
    overlap = (1 - COVERAGE_SHARE) * dice + COVERAGE_SHARE * coverage
    score = (1 - RATIO_SHARE) * overlap + RATIO_SHARE * ratio
    if not key and entry.question != _NOTHING and ratio < NEAR_SAME:
        score *= NO_KEY_FACTOR
    if cue_hits:
        score += (1 - score) * CUE_BONUS
    return min(1.0, score)


def check_text(text: object) -> str:
    """``text`` if it can be matched; else :class:`QuestionTextError` with one plain line."""
    if not isinstance(text, str) or not text.strip():
        raise QuestionTextError("the question is empty: type what you would ask the caller")
    if len(text) > MAX_CHARS:
        raise QuestionTextError(
            f"the question is {len(text)} characters long; at most {MAX_CHARS} are allowed"
        )
    return text


def _tokens(text: str, index: _Index, own: tuple[tuple[str, str], ...]) -> list[str]:
    """The words of ``text``, slips put right (the scenario's own words first)."""
    own_known, own_by_letter = _own_words(own) if own else (frozenset(), {})
    out = []
    for word in normalise(text).split()[:MAX_WORDS]:
        if word in index.known or word in own_known:
            out.append(word)
            continue
        fixed = _closest(word, own_known, own_by_letter.get(word[:1], ())) if own else word
        out.append(fixed if fixed != word else index.correct_word(word))
    return out


def _scores(text: str, index: _Index, own: tuple[tuple[str, str], ...]) -> dict[str, float]:
    """The best score of each candidate question (those sharing a word or a cue)."""
    tokens = _tokens(text, index, own)
    query: dict[str, float] = {}
    for w in tokens:
        key = w if w in STOPWORDS else stem(w)
        query[key] = max(query.get(key, 0.0), index.weight(w))
    joined = " ".join(tokens)
    padded = f" {joined} "
    for phrase in index.phrases:
        if f" {phrase} " in padded:
            query[phrase] = index.phrase_weight
    content = [s for s in query if s not in STOPWORDS]
    if not content:  # only small words: "ok", "yes", "are you there"
        return {}

    candidates = {i for s in content for i in index.by_stem.get(s, ())}
    cued: dict[str, set[str]] = {}  # question -> the typed words that are its cues
    for s in content:
        for qid in index.cue_of(s):
            cued.setdefault(qid, set()).add(s)
    for qid in cued:
        candidates.update(index.by_question.get(qid, ()))
    best: dict[str, float] = {}
    for i in sorted(candidates):
        entry = index.entries[i]
        ratio = fuzz.token_sort_ratio(joined, entry.text) / 100
        score = _score(query, entry, cued.get(entry.question, _NO_HITS), ratio)
        if score > best.get(entry.question, 0.0):
            best[entry.question] = score
    for qid, question in own:
        entry = index.own_entry(qid, question)
        if entry is not None:
            ratio = fuzz.token_sort_ratio(joined, entry.text) / 100
            score = _score(query, entry, _NO_HITS, ratio)
            if score >= best.get(qid, 0.0):  # a tie goes to the scenario's own question
                best[qid] = score
    return best


def match_question(
    text: str,
    protocol: Protocol | None = None,
    scenario_questions: Iterable[tuple[str, str]] = (),
) -> Match:
    """The question ``text`` asks: a protocol question id, a scenario's own id, or None.

    ``scenario_questions`` are the (id, question text) pairs of the scenario's own
    exchanges (see :func:`scenario_questions`). Raises :class:`QuestionTextError` (a
    UserError) for empty text or text over :data:`MAX_CHARS` characters.
    """
    check_text(text)
    index = index_for(protocol or load_protocol())
    own = tuple((str(qid), str(question)) for qid, question in scenario_questions)
    best = _scores(text, index, own)
    nothing = best.pop(_NOTHING, 0.0)
    if not best:
        return Match(None, 0.0)
    qid, score = max(best.items(), key=lambda item: item[1])
    score = round(min(max(score, 0.0), 1.0), 3)
    if score < THRESHOLD or nothing >= score:
        return Match(None, score)
    return Match(qid, score)


def scenario_questions(scenario: dict | None) -> list[tuple[str, str]]:
    """(id, question) of a parsed scenario's own exchanges (``id`` with ``question``)."""
    call = (scenario or {}).get("call") or {}
    out = []
    for exchange in call.get("exchanges") or []:
        if isinstance(exchange, dict) and exchange.get("id") and exchange.get("question"):
            out.append((str(exchange["id"]), str(exchange["question"])))
    return out


# ----------------------------------------------------------------------------- benchmark

BENCH_TEXTS = (
    "whats the address there",
    "what number can i reach you on",
    "ok so what is going on",
    "does he have any weapons on him",
    "has she threatened anybody",
    "is anybody hurt",
    "is he awake and breathing",
    "can the team get in the front door",
    "did anything get stolen",
    "has she been drinking tonight",
    "is he talking about killing himself",
    "how do you know her",
    "what is the guy wearing",
    "where in the building is she now",
    "do you need a translator",
    "how long has he been sitting there",
    "ok",
    "hold on a sec",
    "what's your favourite team",
    "asdf jkl",
)


def _slip(text: str, rng: random.Random) -> str:
    """``text`` with one letter dropped, as a hurried typist would."""
    if len(text) < 6:
        return text
    at = rng.randrange(1, len(text) - 1)
    return text[:at] + text[at + 1 :]


def bench_p95_ms(count: int = 300) -> float:
    """The 95th percentile of one match, in milliseconds, over ``count`` varied texts.

    The index is built before timing (once per protocol in real use); a third of the
    texts carry a typing slip so that the spelling fixes are measured too.
    """
    protocol = load_protocol()
    own = (("how_long", "How long has he been there?"),)
    rng = random.Random(0)
    match_question("warm up", protocol, own)
    samples = []
    for i in range(max(count, 20)):
        text = BENCH_TEXTS[i % len(BENCH_TEXTS)]
        if i % 3 == 2:
            text = _slip(text, rng)
        started = time.perf_counter()
        match_question(text, protocol, own)
        samples.append((time.perf_counter() - started) * 1000.0)
    return statistics.quantiles(samples, n=20)[-1]
