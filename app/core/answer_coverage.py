"""Answer coverage: a caller who plainly can answer a question has a scripted answer.

A catalogue question a scenario does not script gets a fallback answer
(:func:`app.core.protocol.model.fallback_answer`). A fallback is a safe non-answer, and
from the wrong caller it breaks the call: a wife beside her husband on the floor does
not say "I'm not sure, let me look at him properly" about whether he is breathing. This
rule flags a fallback where the caller plainly can answer:

- every caller can say what happened and how they know the person (``what_happened``,
  ``relationship``); every caller on a phone can give a number to call back on; every
  call with a location has a caller who can say where it is (``address``);
- a caller who is the person (``self``) or is with them (family or a professional at the
  scene, staff of the place) can also say whether there is a weapon, a threat, an
  injury, a medical need, a way in, drugs or alcohol, what the person looks like and
  where exactly they are;
- a family member also knows whether the person talks of suicide, and what they look
  like even from somewhere else.

Questions a caller may truly not know (evidence, the interpreter) are left to the
fallback. The rule covers hand-written scenarios; generated calls (tag ``generated``)
are skipped until the generator scripts these answers too. Pure: it reads a normalised
scenario and returns findings.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from app.core.bank_lint import Finding, LintItem
from app.core.protocol import Protocol, load_protocol
from app.core.protocol.model import AWAY, SELF, WITH, caller_stance, fallback_answer

EVERY_CALLER = ("what_happened", "relationship")
# What a caller who is the person, or is with them, plainly knows.
ON_SCENE = (
    "weapons",
    "threats",
    "injuries",
    "medical",
    "entry",
    "substances",
    "description",
    "location_inside",
)
# Radio calls from a team or an officer at the scene have no number to call back.
RADIO_CHANNELS = ("proactive", "police_referral")
GENERATED_TAG = "generated"
_STANCE_WORDS = {
    SELF: "the person the call is about",
    WITH: "at the scene with the person",
    AWAY: "somewhere else",
    "nearby": "watching from nearby",
    "relaying": "passing on what someone else says",
}


def answerable(call: Mapping) -> list[str]:
    """The catalogue questions this call's caller plainly can answer, in catalogue terms."""
    caller = call.get("caller") or {}
    stance = caller_stance(call)
    family = caller.get("relation") == "family"
    ids = list(EVERY_CALLER)
    if str(call.get("channel") or "911") not in RADIO_CHANNELS:
        ids.append("callback")
    if call.get("location"):
        ids.append("address")
    if stance in (SELF, WITH):
        ids += ON_SCENE
    if family:
        ids += ["suicide", "description"]
    return list(dict.fromkeys(ids))


def _scripted(call: Mapping) -> set[str]:
    return {
        str(exchange.get("ask"))
        for exchange in call.get("exchanges") or []
        if exchange.get("ask") and exchange.get("answer")
    }


def _line(text: str) -> int:
    """The line of ``exchanges:`` (else ``opening:``, else ``call:``) in the file's text."""
    lines = text.splitlines()
    for key in ("exchanges", "opening", "call"):
        pattern = re.compile(rf"^\s*{key}\s*:")
        for index, line in enumerate(lines):
            if pattern.match(line):
                return index + 1
    return 1


def lint_answers(item: LintItem, protocol: Protocol | None = None) -> list[Finding]:
    """A finding for each catalogue question the caller plainly can answer but that the
    scenario leaves to a fallback."""
    if GENERATED_TAG in (item.data.get("tags") or []):
        return []
    protocol = protocol or load_protocol()
    call = item.data.get("call") or {}
    caller = call.get("caller") or {}
    scripted = _scripted(call)
    stance = caller_stance(call)
    who = f"the caller ({caller.get('role') or 'no role'}, {_STANCE_WORDS[stance]})"
    found = []
    for question_id in answerable(call):
        question = protocol.questions.get(question_id)
        if question is None or question_id in scripted:
            continue
        said = fallback_answer(question_id, call, question.default_answer)
        found.append(
            Finding(
                item.file,
                _line(item.text),
                f"{who} can answer '{question_id}' but no answer is scripted; "
                f'the call falls back to "{said}"',
            )
        )
    return found


def lint_all(items: Iterable[LintItem], protocol: Protocol | None = None) -> list[Finding]:
    """The answer-coverage findings of every scenario."""
    protocol = protocol or load_protocol()
    return [finding for item in items for finding in lint_answers(item, protocol)]
