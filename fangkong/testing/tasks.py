"""Background jobs of the testing app.

`coverage_fold_task`: the bindings ingest appends counter changes (`CoverageDelta`) instead of
updating the shared counter rows; this folds them into the counters every few seconds. huey's
periodic tasks tick once a minute, so the task folds every `FOLD_EVERY_S` seconds for most of the
minute. A coverage read also folds what is pending first, so a missed tick only costs that read.
"""

from __future__ import annotations

import time

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fangkong.testing import services

FOLD_EVERY_S = 5


@db_periodic_task(crontab(minute="*"))
def coverage_fold_task(seconds: float = 55.0) -> int:
    folded = 0
    deadline = time.monotonic() + seconds
    while True:
        folded += services.coverage_fold()
        if time.monotonic() + FOLD_EVERY_S > deadline:
            return folded
        time.sleep(FOLD_EVERY_S)
