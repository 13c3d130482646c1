"""Synthetic call generator: draw the facts, write the call, derive the key by rule.

Public API::

    from app.core.generator import generate, GeneratedScenario
    scenarios = generate(count=50, seed=7, mix={"conflict": 3, "behavioral_health": 1})
    for s in scenarios:
        s.id, s.data, s.yaml_text

Templates live in ``scenarios/templates/`` (``template: 1`` files); see
:mod:`app.core.generator.templates`. The key rules are in :mod:`app.core.generator.rules`.
"""

from app.core.generator.engine import MAX_COUNT, GeneratedScenario, generate
from app.core.generator.mix import DEFAULT_MIX, MixError, load_mix
from app.core.generator.templates import TemplateError, load_templates

__all__ = [
    "DEFAULT_MIX",
    "MAX_COUNT",
    "GeneratedScenario",
    "MixError",
    "TemplateError",
    "generate",
    "load_mix",
    "load_templates",
]
