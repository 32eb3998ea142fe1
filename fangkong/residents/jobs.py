"""Import jobs and exports: the services behind the import page, the CLI and the API."""

from __future__ import annotations

import os
import uuid

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from fangkong.audit.models import AccessKind
from fangkong.audit.services import access_record
from fangkong.core.errors import ServiceError
from fangkong.core.excel import XlsxStreamWriter
from fangkong.core.scoping import authorize, can, scope
from fangkong.residents.importers import ACTION, import_ledger
from fangkong.residents.models import ImportJob, ImportStatus, Person

PROGRESS_EVERY = 2000


def import_dir() -> str:
    path = os.path.join(settings.MEDIA_ROOT, "imports")
    os.makedirs(path, exist_ok=True)
    return path


def import_job_create(*, actor, area, upload=None, path: str | None = None, filename: str, dry_run: bool = True,
                      total: int = 0) -> ImportJob:
    """Store the uploaded file and create the job (run it with `import_job_run`, usually in a huey task)."""
    authorize(actor, ACTION, area.path)
    ext = os.path.splitext(filename)[1].lower()
    if ext not in (".xlsx", ".xlsm", ".xls", ".ods", ".csv", ".txt"):
        raise ServiceError("请上传 xlsx、xls、ods 或 csv 文件。", code="bad_file", field="file")
    if upload is not None:
        path = os.path.join(import_dir(), f"{uuid.uuid4().hex}{ext}")
        with open(path, "wb") as fh:
            for chunk in upload.chunks():
                fh.write(chunk)
    return ImportJob.objects.create(actor=actor, area=area, area_path=area.path, filename=filename[:255],
                                    file_path=path, dry_run=dry_run, total=total)


def import_job_confirm(*, actor, job: ImportJob) -> ImportJob:
    """After a dry run: the real import of the same file."""
    authorize(actor, ACTION, job.area_path)
    if not job.dry_run or job.status != ImportStatus.DONE:
        raise ServiceError("只能在预检完成后确认导入。", code="not_ready")
    return import_job_create(actor=actor, area=job.area, path=job.file_path, filename=job.filename, dry_run=False,
                             total=job.total)


def import_job_run(job_id: int) -> ImportJob:
    job = ImportJob.objects.select_related("actor", "area").get(pk=job_id)
    if job.status in (ImportStatus.DONE, ImportStatus.RUNNING):
        return job  # a retried task does nothing twice
    ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.RUNNING)

    def progress(n: int) -> None:
        ImportJob.objects.filter(pk=job.pk).update(processed=n)

    try:
        result = import_ledger(actor=job.actor, area=job.area, path=job.file_path, filename=job.filename,
                               dry_run=job.dry_run, progress=progress, error_dir=import_dir())
    except ServiceError as exc:
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=exc.message,
                                                   finished_at=timezone.now())
    except Exception as exc:  # noqa: BLE001 - the page must say the job failed, not spin forever
        ImportJob.objects.filter(pk=job.pk).update(status=ImportStatus.FAILED, message=f"导入失败：{exc}",
                                                   finished_at=timezone.now())
        raise
    else:
        ImportJob.objects.filter(pk=job.pk).update(
            status=ImportStatus.DONE, total=result.total, processed=result.total, created=result.created,
            updated=result.updated, unchanged=result.unchanged, errors=result.errors, error_file=result.error_file,
            preview=result.preview, finished_at=timezone.now(),
            message=f"跳过空行 {result.skipped_empty} 行；新建住户 {result.households_created} 户")
    job.refresh_from_db()
    return job


def import_job_start(job: ImportJob) -> None:
    from fangkong.residents.tasks import import_job_task

    transaction.on_commit(lambda: import_job_task(job.pk))


EXPORT_HEADERS = ["姓名", "证件类型", "证件号码", "性别", "出生日期", "联系电话", "住址", "与户主关系", "人口类型",
                  "工作单位", "关爱标签", "备注"]


EXPORT_CHUNK = 5000


def export_chunks(queryset, cols: list[str], chunk_size: int = EXPORT_CHUNK):
    """`cols` rows of `queryset` (whose last column is `area_path` and first `id`) in (area_path, id) order, by
    keyset pagination: one short query per chunk. Each query walks the area_path index in its own order (no
    sort), so nothing but one chunk is ever held: ordering by id alone made SQLite sort every matching row in a
    temporary B-tree in memory (temp_store=MEMORY), ≈ 0.65 kB per row."""
    from django.db.models import Q

    qs = queryset.order_by("area_path", "id").values_list(*cols)
    last = None
    while True:
        page = qs
        if last is not None:
            page = qs.filter(Q(area_path__gt=last[1]) | Q(id__gt=last[0]), area_path__gte=last[1])
        rows = list(page[:chunk_size])
        if not rows:
            return
        yield rows
        if len(rows) < chunk_size:
            return
        last = (rows[-1][0], rows[-1][-1])


def persons_export(*, actor, queryset=None, path: str | None = None, area=None,
                   chunk_size: int = EXPORT_CHUNK) -> tuple[str, int]:
    """Stream a (scoped) person list to xlsx in constant memory; masked unless the actor may see full values
    in the row's area. Logged as one export access."""
    from fangkong.core.masking import mask_id_number, mask_phone
    from fangkong.residents.choices import CareTagKind, Relationship, ResidenceType, Sex
    from fangkong.residents.idnumbers import ID_TYPE_LABELS
    from fangkong.residents.models import CareTag

    if queryset is None:
        queryset = scope(Person.objects.all(), actor, "residents.export")
        if area is not None:
            from fangkong.core.scoping import path_range

            lo, hi = path_range(area.path)
            queryset = queryset.filter(area_path__gte=lo, area_path__lt=hi)
    rel, res, sexes = dict(Relationship.choices), dict(ResidenceType.choices), dict(Sex.choices)
    tag_labels = dict(CareTagKind.choices)
    cols = ["id", "name", "id_type", "id_number", "sex", "birth_date", "phone", "household__address", "relationship",
            "residence_type", "workplace", "notes", "area_path"]
    full_roots_check: dict[str, bool] = {}
    n = 0
    with XlsxStreamWriter(path) as writer:
        writer.add_sheet("居民", EXPORT_HEADERS)

        def write(batch):
            tags: dict[int, list[str]] = {}
            for pid, tag in CareTag.objects.filter(person_id__in=[r[0] for r in batch]).values_list("person_id", "tag"):
                tags.setdefault(pid, []).append(str(tag_labels.get(tag, tag)))
            for r in batch:
                full = full_roots_check.get(r[12])
                if full is None:
                    full = full_roots_check[r[12]] = can(actor, "residents.view_full", r[12])
                writer.write_row([
                    r[1], str(ID_TYPE_LABELS.get(r[2], r[2])), r[3] if full else mask_id_number(r[3]),
                    str(sexes.get(r[4], "")), r[5], r[6] if full else mask_phone(r[6]), r[7] or "",
                    str(rel.get(r[8], "")), str(res.get(r[9], "")), r[10], "、".join(tags.get(r[0], [])), r[11]])

        for chunk in export_chunks(queryset, cols, chunk_size):
            n += len(chunk)
            write(chunk)
    access_record(actor=actor, kind=AccessKind.EXPORT, object_type="residents.person",
                  object_repr="居民台账导出", area_path=area.path if area is not None else "",
                  detail={"rows": n})
    return writer.path, n
