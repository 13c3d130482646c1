"""The index: every way of asking each question, built once per protocol."""

from __future__ import annotations

import functools
import math
import weakref
from collections.abc import Sequence
from dataclasses import dataclass

from app.core.protocol import Protocol
from app.core.question_match.text import (
    _LIGHT_WEIGHT,
    _NOTHING,
    _PERSON_WEIGHT,
    _STOP_WEIGHT,
    CUES,
    LIGHT_WORDS,
    NOT_QUESTIONS,
    PERSON_WORDS,
    PREFIX_CUE,
    STOPWORDS,
    UNKNOWN_SHARE,
    _closest,
    _cue_keys,
    normalise,
    stem,
)


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
