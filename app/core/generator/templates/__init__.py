"""Call templates: YAML files under ``scenarios/templates/`` that describe a situation.

A template is not a scenario. It has a top-level ``template: 1`` key, names the call
type it starts as, who may call, where, how likely each fact is, and phrasing variants
for the opening and for every answer (per fact value). Files whose name starts with
``_`` hold shared material: ``kind: phrasebook`` (fallback answers, weapon items...)
and ``kind: identities`` (identity cues for counterfactual twins).

Loading checks each template's shape and every ``{placeholder}`` so a typo fails at
load time with the file and key named, never halfway through a generation run.
"""

from __future__ import annotations

from app.core.generator.templates.building import load_templates
from app.core.generator.templates.model import (
    AMBIENCES,
    CHANNELS,
    DEFAULT_REFS,
    FACT_QUESTIONS,
    ITEM_POOL,
    ITEM_STATES,
    KIN_GENDER,
    MARKERS,
    PLACEHOLDERS,
    PLAIN_QUESTIONS,
    RELATIONS,
    TEMPLATE_DIR,
    TEMPLATE_KEYS,
    Caller,
    Identities,
    Place,
    Template,
    TemplateError,
)
from app.core.generator.templates.parts import load_identities, load_phrasebook

__all__ = [
    "AMBIENCES",
    "CHANNELS",
    "DEFAULT_REFS",
    "FACT_QUESTIONS",
    "ITEM_POOL",
    "ITEM_STATES",
    "KIN_GENDER",
    "MARKERS",
    "PLACEHOLDERS",
    "PLAIN_QUESTIONS",
    "RELATIONS",
    "TEMPLATE_DIR",
    "TEMPLATE_KEYS",
    "Caller",
    "Identities",
    "Place",
    "Template",
    "TemplateError",
    "load_identities",
    "load_phrasebook",
    "load_templates",
]
