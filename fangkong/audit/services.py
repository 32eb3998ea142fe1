"""Writing the audit trail. Services call these inside their own transaction, so that a write and
its event commit or roll back together."""

from __future__ import annotations

import datetime as dt
import decimal
import uuid
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import models
from django.utils import timezone

from fangkong.audit.models import Access, AccessKind, Event
from fangkong.core import context


def _jsonable(value: Any) -> Any:
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, decimal.Decimal | uuid.UUID):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple | set | frozenset):
        return [_jsonable(v) for v in value]
    return str(value)


def snapshot(obj: models.Model, fields: Iterable[str] | None = None) -> dict[str, Any]:
    """The values of a model's concrete fields, for `before`/`after`."""
    names = list(fields) if fields is not None else [f.attname for f in obj._meta.concrete_fields]
    return {name: _jsonable(getattr(obj, name)) for name in names}


def diff(before: Mapping[str, Any], after: Mapping[str, Any]) -> tuple[dict, dict]:
    keys = [k for k in after if before.get(k) != after.get(k)]
    return {k: before.get(k) for k in keys}, {k: after.get(k) for k in keys}


def _actor_fields(actor) -> dict[str, Any]:
    if actor is None or not getattr(actor, "is_authenticated", False):
        return {"actor": None, "actor_name": "system" if actor is None else "anonymous"}
    return {"actor": actor, "actor_name": actor.get_username()}


def event_build(
    *,
    actor,
    action: str,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = "",
    object_repr: str | None = None,
    area_path: str = "",
    before: Mapping[str, Any] | None = None,
    after: Mapping[str, Any] | None = None,
    reason: str = "",
    at: dt.datetime | None = None,
) -> Event:
    """An unsaved Event (for bulk paths: build many, then `events_record_bulk`)."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
        object_repr = str(obj)[:200] if object_repr is None else object_repr
        area_path = area_path or getattr(obj, "area_path", "") or ""
    return Event(
        at=at or timezone.now(),
        action=action,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        object_repr=(object_repr or "")[:200],
        area_path=area_path,
        before=_jsonable(before) if before is not None else None,
        after=_jsonable(after) if after is not None else None,
        reason=reason or "",
        client_ip=context.client_ip.get(),
        request_id=context.request_id.get() or "",
        **_actor_fields(actor),
    )


def event_record(**kwargs) -> Event:
    event = event_build(**kwargs)
    _event_insert(event)
    return event


def _event_insert(event: Event) -> None:
    """`event.save()`, as a fixed INSERT: on PostgreSQL bound on the server and so prepared after a few
    runs on a connection (every write records an event; the ORM's compiling of that one INSERT was a
    tenth of a sampling terminal's request)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        event.save()
        return
    import psycopg
    from psycopg.types.json import Jsonb

    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    values = []
    for f in fields:
        v = getattr(event, f.attname)
        values.append(Jsonb(v) if isinstance(f, models.JSONField) and v is not None else v)
    sql = _EVENT_INSERT.get("sql")
    if sql is None:
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        sql = _EVENT_INSERT["sql"] = (f"INSERT INTO {Event._meta.db_table} ({columns}) "  # noqa: S608
                                      f"VALUES ({', '.join(['%s'] * len(fields))}) RETURNING id")
    connection.ensure_connection()
    with connection._prepare_cursor(psycopg.Cursor(connection.connection)) as cur:
        cur.execute(sql, values)
        event.pk = cur.fetchone()[0]
    event._state.adding = False
    event._state.db = connection.alias


_EVENT_INSERT: dict[str, str] = {}


COPY_FROM = 500  # events from which PostgreSQL gets COPY instead of INSERTs


def events_record_bulk(events: list[Event], *, batch_size: int = 2000) -> None:
    """Insert many events (append-only: the same rows `bulk_create` would write). A lab's upload of
    5,000 results is 5,000 events; from COPY_FROM on they go by COPY (PostgreSQL) or one executemany
    (SQLite): the ORM's multi-row INSERT cost more than the results themselves."""
    from django.db import connection

    if len(events) < COPY_FROM:
        Event.objects.bulk_create(events, batch_size=batch_size)
        return
    if connection.vendor != "postgresql":  # one executemany of one INSERT (the ORM compiled 10,000 rows' SQL)
        fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
        prepared = {f.attname for f in fields
                    if isinstance(f, (models.DateTimeField, models.JSONField, models.GenericIPAddressField))}
        columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
        rows = [[f.get_db_prep_save(getattr(e, f.attname), connection) if f.attname in prepared
                 else getattr(e, f.attname) for f in fields] for e in events]
        with connection.cursor() as cur:
            cur.executemany(f"INSERT INTO {Event._meta.db_table} ({columns}) "  # noqa: S608
                            f"VALUES ({', '.join(['%s'] * len(fields))})", rows)
        return
    from psycopg.types.json import Jsonb

    fields = [f for f in Event._meta.concrete_fields if not f.primary_key]
    json_fields = {f.attname for f in fields if isinstance(f, models.JSONField)}
    columns = ", ".join(connection.ops.quote_name(f.column) for f in fields)
    attnames = [f.attname for f in fields]
    with connection.cursor() as cur, cur.cursor.copy(f"COPY {Event._meta.db_table} ({columns}) FROM STDIN") as copy:
        for e in events:
            copy.write_row([(Jsonb(v) if v is not None else None) if name in json_fields else v
                            for name in attnames for v in (getattr(e, name),)])


def access_record(
    *,
    actor,
    kind: str = AccessKind.READ,
    obj: models.Model | None = None,
    object_type: str | None = None,
    object_id: Any = "",
    object_repr: str | None = None,
    area_path: str = "",
    detail: Mapping[str, Any] | None = None,
) -> Access:
    """Log a read of a personal record, a reveal of a masked value, or an export."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = obj.pk
        object_repr = str(obj)[:200] if object_repr is None else object_repr
        area_path = area_path or getattr(obj, "area_path", "") or ""
    access = Access(
        at=timezone.now(),
        kind=kind,
        object_type=object_type or "",
        object_id="" if object_id is None else str(object_id),
        object_repr=(object_repr or "")[:200],
        area_path=area_path,
        detail=_jsonable(detail) if detail is not None else None,
        client_ip=context.client_ip.get(),
        request_id=context.request_id.get() or "",
        **_actor_fields(actor),
    )
    access.save()
    return access
