"""Background jobs: apply published notices when their effective time comes (every minute).

Pages also apply due notices before they list areas, so a missed tick only delays by a request.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fangkong.risk_areas import services


@db_periodic_task(crontab(minute="*"))
def notices_apply_due_task() -> int:
    return services.notices_apply_due()
