"""Background jobs: the daily isolation run (tasks of the day, missed follow-ups, late transfers, occupancy).

Runs every hour (idempotent): the day's tasks exist from the first tick after midnight; missed
follow-ups are escalated after each slot's deadline; transfers are flagged within the hour.
"""

from __future__ import annotations

from huey import crontab
from huey.contrib.djhuey import db_periodic_task

from fangkong.isolation import services


@db_periodic_task(crontab(minute="5"))
def isolation_daily_task() -> dict:
    return services.daily_run()
