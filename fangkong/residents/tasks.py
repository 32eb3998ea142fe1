"""Background jobs of the residents ledger (huey; immediate under tests)."""

from huey.contrib.djhuey import db_task


@db_task()
def import_job_task(job_id: int) -> None:
    from fangkong.residents.jobs import import_job_run

    import_job_run(job_id)
