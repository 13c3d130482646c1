"""Matching: the score of each way of asking, and the question a text asks."""

from __future__ import annotations

from collections.abc import Iterable, Set
from dataclasses import dataclass

from rapidfuzz import fuzz

from app.core.protocol import Protocol, load_protocol
from app.core.question_match.index import _Entry, _Index, _own_words, index_for
from app.core.question_match.text import (
    _LIGHT_WEIGHT,
    _NO_HITS,
    _NOTHING,
    COVERAGE_SHARE,
    CUE_BONUS,
    CUE_CREDIT,
    MAX_CHARS,
    MAX_WORDS,
    NEAR_SAME,
    NO_KEY_FACTOR,
    RATIO_SHARE,
    STOPWORDS,
    THRESHOLD,
    WH_WORDS,
    _closest,
    normalise,
    stem,
)
from app.errors import UserError


class QuestionTextError(UserError):
    """A typed question that cannot be matched at all (empty or too long)."""


@dataclass(frozen=True)
class Match:
    question: str | None  # a question id, or None when the text asks nothing we know
    score: float  # 0..1: how well the best question fits (also when it is not enough)

    def as_dict(self) -> dict:
        return {"question": self.question, "score": self.score}


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
        own_entry = index.own_entry(qid, question)
        if own_entry is not None:
            ratio = fuzz.token_sort_ratio(joined, own_entry.text) / 100
            score = _score(query, own_entry, _NO_HITS, ratio)
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
