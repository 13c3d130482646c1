"""What the person of concern is wearing, built from parts so a batch rarely repeats one.

A fixed list of ten outfits put "a white T-shirt and shorts" in four of twenty calls;
a colour, a top and sometimes something below or a hat give a few thousand outfits.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

COLOURS = (
    "black",
    "gray",
    "navy",
    "dark green",
    "red",
    "brown",
    "tan",
    "maroon",
    "light blue",
    "orange",
    "purple",
    "olive",
    "white",
    "yellow",
)
TOPS = (
    "hoodie",
    "puffer jacket",
    "windbreaker",
    "winter coat",
    "sweatshirt",
    "flannel shirt",
    "rain jacket",
    "fleece",
    "leather jacket",
    "work jacket",
    "parka",
    "cardigan",
    "track jacket",
    "sweater",
    "vest over a T-shirt",
)
BELOW = (
    "",
    "",
    " and jeans",
    " and sweatpants",
    " and cargo pants",
    " and work boots",
    " and a backpack",
    " and a baseball cap",
    " and a knit hat",
)
WHOLE_OUTFIT_SHARE = 0.15  # now and then a whole outfit from the template's own list


def _article(word: str) -> str:
    return "an" if word[:1] in "aeiou" else "a"


def outfit(rng: random.Random, whole: Sequence[str], parts: bool = True) -> str:
    """One outfit: usually built from parts, sometimes one of ``whole`` (four draws always).
    Without ``parts`` (a template in another language) always one of ``whole``."""
    u, colour, top, below = rng.random(), rng.random(), rng.random(), rng.random()
    if whole and (u < WHOLE_OUTFIT_SHARE or not parts):
        return whole[min(int(colour * len(whole)), len(whole) - 1)]
    c = COLOURS[min(int(colour * len(COLOURS)), len(COLOURS) - 1)]
    t = TOPS[min(int(top * len(TOPS)), len(TOPS) - 1)]
    b = BELOW[min(int(below * len(BELOW)), len(BELOW) - 1)]
    return f"{_article(c)} {c} {t}{b}"
