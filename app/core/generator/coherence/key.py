"""The rules that hold the words against the key and the agency: ``opener`` (no playing
down an emergency), ``herring`` (a red herring stays open until asked), ``grounded``
(the rationale leans only on what was said) and ``model`` (the dispatch model)."""

from __future__ import annotations

import re
from collections.abc import Mapping

from app.core.generator.coherence.call import caller_lines

# ----------------------------------------------------------------------------- opener

PLAYING_DOWN = re.compile(
    r"\b(?:(?:it's|it is|this is|that's) not an? (?:emergency|urgent)|(?:isn't|is not) an? "
    r"emergency|not an emergency|not sure (?:this|it|that)(?:'s| is) an emergency|not urgent"
    r"|no rush|(?:don't|do not) need an ambulance|nothing serious|it's probably nothing"
    r"|(?:not a|no) big deal|nothing to worry about)\b",
    re.I,
)


def rule_opener(data: Mapping) -> list[tuple[str, str]]:
    """An opening that plays down an emergency the key contains."""
    expert = data.get("expert") or {}
    disqualifiers = [d for d in expert.get("disqualifiers") or [] if isinstance(d, str)]
    if not disqualifiers:
        return []
    opening = " ".join(
        line.text for line in caller_lines(data) if line.where in ("opening", "when_called_back")
    )
    match = PLAYING_DOWN.search(opening)
    if match is None:
        return []
    return [
        (
            "opening",
            f"the opening says '{match.group(0)}', but the call has "
            f"{', '.join(disqualifiers)}: an opening must not hide an emergency the call holds",
        )
    ]


# ----------------------------------------------------------------------------- herring

# Words that settle a fact; they belong in the answer to that fact's own question.
SETTLES: Mapping[str, tuple[tuple[str, ...], re.Pattern[str]]] = {
    "weapon": (
        ("weapons",),
        re.compile(
            r"\b(?:locked (?:away|up in|in (?:a|the|his|her|their) (?:office|cabinet|safe|gun safe|"
            r"truck|trunk|car|drawer|closet))|out of (?:his|her|their )?reach|put (?:it|them) "
            r"(?:back|away)|took it (?:off|from)|nothing on (?:him|her|them)|(?:his|her|their) "
            r"hands are empty|not holding anything)\b",
            re.I,
        ),
    ),
    "threat": (
        ("threats", "suicide"),
        re.compile(
            r"\b(?:blew over|hasn't threatened|has not threatened|never threatened|no threats"
            r"|nobody's been threatened)\b",
            re.I,
        ),
    ),
    "medical": (
        ("medical", "injuries"),
        re.compile(
            r"\b(?:(?:he|she)'s (?:fine|okay) physically|nobody's hurt|not hurt or sick"
            r"|no injuries|breathing fine)\b",
            re.I,
        ),
    ),
}


def rule_herring(data: Mapping) -> list[tuple[str, str]]:
    """A fact settled in the opening or in the answer to some other question."""
    found = []
    asked = {line.ask for line in caller_lines(data)}
    for line in caller_lines(data):
        for fact, (owners, pattern) in SETTLES.items():
            if line.ask in owners:
                continue
            match = pattern.search(line.text)
            if match and any(owner in asked for owner in owners):
                found.append(
                    (
                        line.where,
                        f"'{match.group(0)}' settles the {fact} question before it is asked "
                        f"(it belongs in the answer to '{owners[0]}')",
                    )
                )
    return found


# ----------------------------------------------------------------------------- grounded

SUBSTANCE_WORDS = re.compile(
    r"\b(?:drink\w*|drunk|beers?|bottles?|alcohol|wine|liquor|vodka|whiskey|booze|high|drugs?"
    r"|pills?|took something|using|slurr\w*|weed|needles?|smells? like|overdos\w*|fentanyl"
    r"|heroin|meth|opioids?|narcan|wasted)\b",
    re.I,
)


def rule_grounded(data: Mapping) -> list[tuple[str, str]]:
    """The rationale leans on drinking or drug use that no caller line mentions."""
    rationale = str((data.get("expert") or {}).get("rationale") or "")
    if not re.search(r"\b(?:drinking|drug use|intoxicat\w*|alcohol)\b", rationale, re.I):
        return []
    if any(SUBSTANCE_WORDS.search(line.text) for line in caller_lines(data)):
        return []
    return [("rationale", "the rationale speaks of drinking or drug use, but no caller line does")]


# ----------------------------------------------------------------------------- model

HOTLINE_WORDS = re.compile(r"\b(?:hotline|crisis line|care line)\b", re.I)


def rule_model(data: Mapping, dispatch_model: str) -> list[tuple[str, str]]:
    """Hotline talk, or a stated hotline state, under a model with no outside hotline."""
    if dispatch_model == "external_hotline":
        return []
    found = []
    call = data.get("call") or {}
    for line in caller_lines(data):
        match = HOTLINE_WORDS.search(line.text)
        if match:
            found.append((line.where, f"'{match.group(0)}' under {dispatch_model}, which has none"))
    context = call.get("context") or {}
    if "hotline_open" in context:
        found.append(("context", f"the call states the hotline's hours under {dispatch_model}"))
    if isinstance(context.get("prior_calls"), str) and HOTLINE_WORDS.search(context["prior_calls"]):
        found.append(("prior_calls", f"the prior calls speak of a hotline under {dispatch_model}"))
    rationale = str((data.get("expert") or {}).get("rationale") or "")
    match = HOTLINE_WORDS.search(rationale)
    if match:
        found.append(
            (
                "rationale",
                f"the rationale speaks of the {match.group(0)} under "
                f"{dispatch_model}, which has none",
            )
        )
    return found
