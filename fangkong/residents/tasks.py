"""Background jobs of the residents ledger (huey; immediate under tests)."""

from huey import crontab
from huey.contrib.djhuey import db_periodic_task, db_task


@db_task()
def import_job_task(job_id: int) -> None:
    from fangkong.residents.jobs import import_job_run

    import_job_run(job_id)


@db_periodic_task(crontab(minute="*/5"))
def area_counts_fold() -> None:
    """Move the pending counter deltas (PostgreSQL triggers) into the per-area counters."""
    from fangkong.residents.counters import fold

    fold()
