"""Learning records (xAPI 1.0.3) for the agency's Learning Record Store (issue 21).

- ``outbox``: the services that own an event record its statement in their own
  transaction (``attempt_submitted``, ``exam_finished``, ``certificate_changed``).
- ``sender``: ``push`` delivers what is due (retries, backoff, each statement once);
  ``BackgroundSender`` does it from the web server; ``replay`` queues old ones again.
- ``status``: counts and rejected statements with the LRS's reasons.
- ``statements``: the statements themselves (pure), with stable UUID5 ids.
"""

from app.services.lrs.config import LrsConfig, LrsNotConfigured, check_address, lrs_config
from app.services.lrs.outbox import attempt_submitted, certificate_changed, exam_finished
from app.services.lrs.sender import (
    BackgroundSender,
    LrsUnreachable,
    PushReport,
    check_lrs,
    push,
    replay,
    start_background_sender,
)
from app.services.lrs.status import admin_status, configuration_line, outbox_status

__all__ = [
    "BackgroundSender",
    "LrsConfig",
    "LrsNotConfigured",
    "LrsUnreachable",
    "PushReport",
    "admin_status",
    "attempt_submitted",
    "certificate_changed",
    "check_address",
    "check_lrs",
    "configuration_line",
    "exam_finished",
    "lrs_config",
    "outbox_status",
    "push",
    "replay",
    "start_background_sender",
]
