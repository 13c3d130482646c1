"""Fast synthetic data for benchmarks: a million graded attempts in a couple of minutes.

:func:`build_dataset` fills one agency with synthetic scenarios, trainees and
submitted attempts whose denormalised analytics columns agree with their
``grade``/``answer``/``events`` JSON. It writes through the raw DB-API
connection in large batches (``executemany`` on SQLite, ``COPY`` on
PostgreSQL) inside a few transactions, and hashes the one shared password
once. The numbers are random but shaped like a training cohort: most
trainees improve, a few are stuck or inactive, some send eligible calls to
police out of hesitancy, some send community responders alone to calls with
a disqualifier, and a few carry a bias between counterfactual twin calls.

Grades here are a fast stand-in for ``app.core.grading.grade`` with the same
contract (score 0..100, passed iff score >= 80 and nothing critical,
``unsafe_dispatch``, ``missed_disqualifier``, ``over_disqualified``,
``over_routed``); they are for load, not for teaching.
"""

from app.bench.bulk.writer import BulkSummary, Progress, build_dataset

__all__ = ["BulkSummary", "Progress", "build_dataset"]
