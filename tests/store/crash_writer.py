"""Writes attempts until killed; prints each idempotency key after its commit returned."""

import sys
import uuid

from app.store.db import write_session
from app.store.models import Attempt

agency_id, user_id, scenario_id = (int(a) for a in sys.argv[1:4])
tag = sys.argv[4]
while True:
    key = f"{tag}-{uuid.uuid4().hex}"
    with write_session() as session:
        session.add(
            Attempt(
                agency_id=agency_id,
                user_id=user_id,
                scenario_version_id=scenario_id,
                idempotency_key=key,
                status="submitted",
                score=90,
            )
        )
    print(key, flush=True)
