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

Pure: no Streamlit, no database. A protocol's index is built once and kept. The parts:
:mod:`.text` (words, cues and the numbers of the score), :mod:`.index` (built once per
protocol), :mod:`.matching` (:func:`match_question`) and :mod:`.bench` (its timing).
"""

from __future__ import annotations

from app.core.question_match.bench import BENCH_TEXTS, bench_p95_ms
from app.core.question_match.index import index_for
from app.core.question_match.matching import (
    Match,
    QuestionTextError,
    check_text,
    match_question,
    scenario_questions,
)
from app.core.question_match.text import (
    COVERAGE_SHARE,
    CUE_BONUS,
    CUE_CREDIT,
    CUES,
    LIGHT_WORDS,
    MAX_CHARS,
    MAX_WORDS,
    NEAR_SAME,
    NO_KEY_FACTOR,
    NOT_QUESTIONS,
    PERSON_WORDS,
    PREFIX_CUE,
    RATIO_SHARE,
    STOPWORDS,
    THRESHOLD,
    UNKNOWN_SHARE,
    WH_WORDS,
    normalise,
    stem,
)

__all__ = [
    "BENCH_TEXTS",
    "COVERAGE_SHARE",
    "CUES",
    "CUE_BONUS",
    "CUE_CREDIT",
    "LIGHT_WORDS",
    "MAX_CHARS",
    "MAX_WORDS",
    "NEAR_SAME",
    "NOT_QUESTIONS",
    "NO_KEY_FACTOR",
    "PERSON_WORDS",
    "PREFIX_CUE",
    "RATIO_SHARE",
    "STOPWORDS",
    "THRESHOLD",
    "UNKNOWN_SHARE",
    "WH_WORDS",
    "Match",
    "QuestionTextError",
    "bench_p95_ms",
    "check_text",
    "index_for",
    "match_question",
    "normalise",
    "scenario_questions",
    "stem",
]
