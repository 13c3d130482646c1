"""Trainer authoring: the bank browser, the editor, import/export, the generator and the
agency protocol.

Every function is keyword-only with the acting user first; it checks the permission
(``author_scenarios``, ``item_analysis`` or ``edit_protocol``) and filters every query by
``actor.agency_id`` in the SQL, so a trainer of one agency can neither see nor change
another agency's scenarios (an id from elsewhere is simply "not found").

Scenarios are validated with the *agency's* protocol (its call types, questions and
hotline hours), since that is what its trainees are graded with. Every change a trainer
makes (an edit, an upload, a generated call) is stored as a draft
(:func:`app.services.bank.store_draft`); it reaches trainees only once published
(:mod:`.review`: a second trainer's approval, and the calibration panel where the agency
asks for it). A published version is never changed.

Trainer-written text is returned as plain strings; pages show it as text, never HTML.

The package keeps each job in its own module and re-exports every name, so callers
import from ``app.services.authoring`` as before:

- :mod:`.common`: statuses and limits, attempt counts, problems as lines, the actor's protocol;
- :mod:`.items`: item statistics;
- :mod:`.browser`: the bank browser, publishing, retiring and rejecting drafts;
- :mod:`.review`: drafts, the second trainer's approval, publishing and the audit log;
- :mod:`.editor`: opening, checking, saving and diffing scenario versions;
- :mod:`.form`: the editor's form fields read from and written to the YAML text;
- :mod:`.preview`: the trainee's view of a scenario (no key) and the key in words;
- :mod:`.import_export`: uploads (all or nothing) and the zip export;
- :mod:`.generation`: generated calls stored as drafts;
- :mod:`.protocol_edit`: the agency's protocol settings.

The agency helpers (``actor_agency``, ``agency_protocol``, ``agency_scenario``) live in
:mod:`app.services.scope`.
"""

from __future__ import annotations

from app.services.authoring.browser import bank, bank_filters, reject_draft, set_status
from app.services.authoring.common import MAX_GENERATE, NEW_SCENARIO_ID, STATUSES, problem_line
from app.services.authoring.editor import (
    EditConflict,
    Validation,
    load_scenario,
    new_scenario_text,
    save_scenario,
    scenario_checks,
    scenario_choices,
    validate_text,
    version_diff,
)
from app.services.authoring.form import FORM_FIELDS, apply_form, form_values
from app.services.authoring.generation import generate_drafts, generated_drafts, generator_options
from app.services.authoring.import_export import export_bank, import_uploads
from app.services.authoring.items import (
    item_analysis,
    item_analysis_status,
    item_stats_map,
    refresh_item_analysis,
)
from app.services.authoring.preview import build_preview, key_summary, preview, preview_clip
from app.services.authoring.protocol_edit import (
    build_overrides,
    protocol_impact,
    protocol_settings,
    save_protocol,
    save_question_wordings,
    try_typed_question,
)
from app.services.authoring.review import (
    approve,
    review_queue,
    review_settings,
    review_state,
    set_review_settings,
)
from app.services.scope import agency_protocol

__all__ = [
    "FORM_FIELDS",
    "MAX_GENERATE",
    "NEW_SCENARIO_ID",
    "STATUSES",
    "EditConflict",
    "Validation",
    "agency_protocol",
    "apply_form",
    "approve",
    "bank",
    "bank_filters",
    "build_overrides",
    "build_preview",
    "export_bank",
    "form_values",
    "generate_drafts",
    "generated_drafts",
    "generator_options",
    "import_uploads",
    "item_analysis",
    "item_analysis_status",
    "item_stats_map",
    "key_summary",
    "load_scenario",
    "new_scenario_text",
    "preview",
    "preview_clip",
    "problem_line",
    "protocol_impact",
    "protocol_settings",
    "refresh_item_analysis",
    "reject_draft",
    "review_queue",
    "review_settings",
    "review_state",
    "save_protocol",
    "save_question_wordings",
    "try_typed_question",
    "save_scenario",
    "scenario_checks",
    "scenario_choices",
    "set_review_settings",
    "set_status",
    "validate_text",
    "version_diff",
]
