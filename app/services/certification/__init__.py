"""Certification: eligibility, the exam, sign-off, certificates, renewal, expiry, verification.

Keyword-only functions with the acting user first (except the public
:func:`verify_certificate` and the system task :func:`record_expiries`). Every query
filters by the actor's agency, and by the actor's own user id for a trainee.

The exam lives in the database, so a dropped connection or a refresh never restarts it:
``Exam.plan`` is the ordered list of scenario version ids and the exam's attempts say
how far the trainee got. The current call is the first planned call without a
submitted attempt; its open attempt is resumed, or started when there is none.
Feedback is held back until the exam is finished (``practice.review_attempt`` refuses
exam attempts until then). Each certification event is appended to the hash-chained
audit log in the same transaction as the change it records.

Expiry: a certificate's status is computed from its dates whenever it is read, so
verification is right the moment it expires. The "expired" audit event is written by
:func:`record_expiries` — run ``python -m app audit expire`` daily (cron), and the
supervisor's certificates page also runs it for its agency when opened.

The package is split by subject; every name callers use is importable from here:

- :mod:`.common` — the tracks (cached), their rules for pages, the verification address;
- :mod:`.eligibility` — the facts about a trainee that decide eligibility;
- :mod:`.planning` — planning an exam from the bank, with generated calls when short;
- :mod:`.exam` — the trainee's side: the overview, starting, resuming, finishing, report;
- :mod:`.certificates` — certificates as plain data, the PDF, public verification;
- :mod:`.supervisor` — sign-off queue, exam review and sign-off;
- :mod:`.lifecycle` — the agency's certificates, revocation, renewal and expiry events.
"""

from __future__ import annotations

from app.services.certification.certificates import (
    LOOKUPS_PER_MINUTE,
    CertificateRow,
    TooManyLookups,
    certificate_pdf,
    my_certificates,
    verify_certificate,
    verify_lookup,
)
from app.services.certification.common import (
    CACHE_SECONDS,
    VERIFY_PATH,
    all_tracks,
    clear_cache,
    get_track,
    track_rules,
    verification_path,
    verification_url,
)
from app.services.certification.eligibility import PRACTICE_FACTS_LIMIT
from app.services.certification.exam import (
    ExamOutcome,
    NotEligible,
    ReportCall,
    TrackOverview,
    current_exam,
    exam_overview,
    exam_report,
    exam_state,
    finish_exam,
    my_exams,
    start_exam,
    track_progress,
)
from app.services.certification.lifecycle import (
    MAX_REASON,
    RenewalState,
    list_certificates,
    record_expiries,
    renew,
    revoke,
)
from app.services.certification.planning import GENERATION_ROUNDS, ExamUnavailable, _summary
from app.services.certification.supervisor import (
    ExamReview,
    ReviewCall,
    agency_exams,
    exam_review,
    pending_sign_offs,
    sign_off,
    sign_off_statement,
)

__all__ = [
    "CACHE_SECONDS",
    "GENERATION_ROUNDS",
    "LOOKUPS_PER_MINUTE",
    "MAX_REASON",
    "PRACTICE_FACTS_LIMIT",
    "VERIFY_PATH",
    "CertificateRow",
    "ExamOutcome",
    "ExamReview",
    "ExamUnavailable",
    "NotEligible",
    "RenewalState",
    "ReportCall",
    "ReviewCall",
    "TooManyLookups",
    "TrackOverview",
    "_summary",
    "agency_exams",
    "all_tracks",
    "certificate_pdf",
    "clear_cache",
    "current_exam",
    "exam_overview",
    "exam_report",
    "exam_review",
    "exam_state",
    "finish_exam",
    "get_track",
    "list_certificates",
    "my_certificates",
    "my_exams",
    "pending_sign_offs",
    "record_expiries",
    "renew",
    "revoke",
    "sign_off",
    "sign_off_statement",
    "start_exam",
    "track_progress",
    "track_rules",
    "verification_path",
    "verification_url",
    "verify_certificate",
    "verify_lookup",
]
