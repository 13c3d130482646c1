"""Certification rules: tracks, eligibility, stratified exam plans, results and renewal.

Pure: no streamlit, no database. A *track* is one YAML file in ``content/certifications``
(see the README there); :func:`parse_track` validates it and reports every problem as
``FILE:LINE: message``. The service layer (``app.services.certification``) feeds these
functions plain facts read from the database.

- :func:`eligibility` — what a trainee still lacks before the exam.
- :func:`plan_exam` — a stratified list of calls the trainee has never seen.
- :func:`exam_result` — pass or fail, with the reasons, from the graded exam calls.
- :func:`renewal_check` — whether continuing practice renews a certificate.
- :func:`new_code` / :func:`normalize_code` — verification codes.

The package is split by subject; every name is importable from here:

- :mod:`.track` — the :class:`Track` and its rules, :class:`TrackError`;
- :mod:`.validation` — reading and checking track files (:func:`parse_track`,
  :func:`load_tracks`, :func:`track_from_snapshot`);
- :mod:`.eligibility` — :func:`eligibility` from :class:`ProgressFacts`;
- :mod:`.exam` — :func:`plan_exam`, :func:`plan_meets`, :func:`exam_result`;
- :mod:`.certificates` — dates, status, :func:`renewal_check` and verification codes.
"""

from __future__ import annotations

from app.core.certification.certificates import (
    CODE_ALPHABET,
    CODE_GROUP,
    CODE_LENGTH,
    PracticeCall,
    RenewalCheck,
    add_months,
    as_utc,
    certificate_status,
    new_code,
    normalize_code,
    renewal_check,
    sign_off_statement,
)
from app.core.certification.eligibility import (
    Eligibility,
    ProgressFacts,
    eligibility,
    practice_average,
    required_modules,
)
from app.core.certification.exam import (
    PLAN_NODE_BUDGET,
    CallSummary,
    ExamPlanShort,
    GradedCall,
    exam_result,
    feature_label,
    plan_exam,
    plan_meets,
)
from app.core.certification.track import (
    DEFAULT_ROOT,
    FORMAT,
    MODEL_ROUTES,
    PARTS,
    ExamRules,
    PracticeRule,
    RenewalRule,
    Stratify,
    Track,
    TrackError,
)
from app.core.certification.validation import (
    load_track,
    load_tracks,
    merge,
    parse_track,
    track_from_snapshot,
)

__all__ = [
    "CODE_ALPHABET",
    "CODE_GROUP",
    "CODE_LENGTH",
    "DEFAULT_ROOT",
    "FORMAT",
    "MODEL_ROUTES",
    "PARTS",
    "PLAN_NODE_BUDGET",
    "CallSummary",
    "Eligibility",
    "ExamPlanShort",
    "ExamRules",
    "GradedCall",
    "PracticeCall",
    "PracticeRule",
    "ProgressFacts",
    "RenewalCheck",
    "RenewalRule",
    "Stratify",
    "Track",
    "TrackError",
    "add_months",
    "as_utc",
    "certificate_status",
    "eligibility",
    "exam_result",
    "feature_label",
    "load_track",
    "load_tracks",
    "merge",
    "new_code",
    "normalize_code",
    "parse_track",
    "plan_exam",
    "plan_meets",
    "practice_average",
    "renewal_check",
    "sign_off_statement",
    "required_modules",
    "track_from_snapshot",
]
