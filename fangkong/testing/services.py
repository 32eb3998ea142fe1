"""Writes of the testing app: rounds, sites, the bindings of the morning peak, lab results, recalls.

The bindings ingest (`bindings_ingest`) is the hot path: a whole batch is handled in one
transaction with a fixed number of queries (not one per item): tubes are locked in one query,
persons looked up in one query per document type, bindings inserted with one multi-row
`INSERT … ON CONFLICT (client_id) DO NOTHING RETURNING client_id` (so a retried or concurrent
duplicate is told apart from what this request inserted), the per-person round rows likewise, and
the coverage counters upserted once per leaf area. An acknowledged binding is committed before the
answer leaves (the caller's transaction commits before the view returns).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from operator import itemgetter

from django.apps import apps
from django.db import IntegrityError, connection, transaction
from django.db.models import Count
from django.utils import timezone

from fangkong.areas.models import Area
from fangkong.audit.services import event_build, event_record, events_record_bulk
from fangkong.core.errors import NotFound, ServiceError
from fangkong.core.scoping import assignment_paths, authorize, can, path_range, scope
from fangkong.residents.idnumbers import IdNumberError, IdType, normalize_id
from fangkong.residents.models import Person
from fangkong.testing import rules
from fangkong.testing.choices import (
    CAPACITIES,
    ExemptReason,
    Mode,
    PersonState,
    RecallOutcome,
    RecallStatus,
    Result,
    RoundStatus,
    TubeStatus,
)
from fangkong.testing.models import (
    Binding,
    Box,
    CoverageCount,
    CoverageDelta,
    Recall,
    Round,
    RoundArea,
    RoundExemption,
    RoundSample,
    Site,
    Table,
    Tube,
)

VIEW = "testing.view"
MANAGE = "testing.manage"
SAMPLE = "testing.sample"
LAB = "testing.lab"

COUNTER_FIELDS = ("should", "exempt", "tested", "sampled", "pending", "negative", "pool_positive", "positive",
                  "invalid")


# --- hooks -----------------------------------------------------------------------------------------

def isolation_tested_person_ids(round_: Round) -> list[int]:
    """People already under isolation testing (tested by the isolation sites, so exempt from the
    round). A hook for the isolation app: today it returns nothing. When the isolation app lands, it
    returns the ids of persons under centralised or home isolation during the round."""
    return []


def positive_single_tube_to_epi(*, actor, person: Person, sampled_at: dt.datetime, barcode: str) -> None:
    """The contract with the epidemiology app: a positive single tube opens a case.

    Called after the person's positive result is recorded, inside the same transaction."""
    if not apps.is_installed("fangkong.epi"):
        return
    from fangkong.epi.services import case_open_from_positive_test  # type: ignore[import-not-found]

    case_open_from_positive_test(actor=actor, person=person, sampled_at=sampled_at, source="testing",
                                 source_ref=f"tube:{barcode}")


def recalls_changed_to_epi(*, actor, person_ids: list[int], reason: str) -> None:
    """The contract with the epidemiology app: an opened or settled recall changes the person's
    stay-at-home status (the recall is the evidence). Recomputed after the transaction commits."""
    if not person_ids or not apps.is_installed("fangkong.epi"):
        return
    from fangkong.epi.services import status_recompute  # type: ignore[import-not-found]

    ids = sorted(set(person_ids))
    transaction.on_commit(lambda: status_recompute(ids, actor=actor, reason=reason))


# --- counters --------------------------------------------------------------------------------------

def _upsert_counters(round_id: int, deltas: dict[str, Counter]) -> None:
    """Add `deltas` (area_path → {field: n}) to the round's counters, creating rows as needed.
    Keys are sorted so concurrent transactions lock the rows in the same order (no deadlock)."""
    rows = [(path, c) for path, c in sorted(deltas.items()) if any(c.values())]
    if not rows:
        return
    table = CoverageCount._meta.db_table
    cols = ", ".join(COUNTER_FIELDS)
    updates = ", ".join(f"{f} = {table}.{f} + excluded.{f}" for f in COUNTER_FIELDS)
    width = 2 + len(COUNTER_FIELDS)
    with connection.cursor() as cur:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            params: list = []
            for path, c in chunk:
                params += [round_id, path, *(int(c.get(f, 0)) for f in COUNTER_FIELDS)]
            cur.execute(
                f"INSERT INTO {table} (round_id, area_path, {cols}) VALUES {values} "  # noqa: S608
                f"ON CONFLICT (round_id, area_path) DO UPDATE SET {updates}",
                params,
            )


def _deltas_append(round_id: int, deltas: dict[str, Counter]) -> None:
    """Append counter changes as new `CoverageDelta` rows: an insert never waits for another
    transaction, unlike an update of a shared counter row. `coverage_fold` adds them up later."""
    rows = [(path, c) for path, c in sorted(deltas.items()) if any(c.values())]
    if not rows:
        return
    table = CoverageDelta._meta.db_table
    cols = ", ".join(COUNTER_FIELDS)
    width = 2 + len(COUNTER_FIELDS)
    with _cursor() as cur:
        for start in range(0, len(rows), 500):
            chunk = rows[start:start + 500]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            params: list = []
            for path, c in chunk:
                params += [round_id, path, *(int(c.get(f, 0)) for f in COUNTER_FIELDS)]
            cur.execute(f"INSERT INTO {table} (round_id, area_path, {cols}) VALUES {values}", params)  # noqa: S608


def coverage_fold(*, round_: Round | None = None) -> int:
    """Fold the pending counter changes (`CoverageDelta`) into the counters: one `DELETE … RETURNING`
    takes exactly the committed changes (a concurrent fold waits, then finds them gone: nothing is
    counted twice), grouped in Python, and one upsert per leaf area. Returns the rows folded.
    Run by the huey periodic task `tasks.coverage_fold_task` every few seconds and before a coverage
    read that finds changes pending (`coverage_fold_if_pending`)."""
    table = CoverageDelta._meta.db_table
    cols = ", ".join(COUNTER_FIELDS)
    where, params = ("WHERE round_id = %s", [round_.pk]) if round_ is not None else ("", [])
    if connection.vendor == "postgresql":  # the same, in one statement: nothing leaves the server
        counts = CoverageCount._meta.db_table
        sums = ", ".join(f"sum({f})" for f in COUNTER_FIELDS)
        updates = ", ".join(f"{f} = {counts}.{f} + excluded.{f}" for f in COUNTER_FIELDS)
        with transaction.atomic(), connection.cursor() as cur:
            cur.execute(f"WITH d AS (DELETE FROM {table} {where} RETURNING round_id, area_path, {cols}), "  # noqa: S608
                        f"ins AS (INSERT INTO {counts} (round_id, area_path, {cols}) SELECT round_id, area_path, {sums} "
                        "FROM d GROUP BY round_id, area_path ORDER BY round_id, area_path "
                        f"ON CONFLICT (round_id, area_path) DO UPDATE SET {updates}) SELECT count(*) FROM d", params)
            return cur.fetchone()[0]
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute(f"DELETE FROM {table} {where} RETURNING round_id, area_path, {cols}", params)  # noqa: S608
        rows = cur.fetchall()
        sums: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
        for row in rows:
            c = sums[row[0]][row[1]]
            for f, v in zip(COUNTER_FIELDS, row[2:], strict=True):
                c[f] += v
        for rid, deltas in sorted(sums.items()):
            _upsert_counters(rid, deltas)
    return len(rows)


def coverage_fold_if_pending(round_: Round) -> None:
    """Before a coverage read: fold this round's pending changes, if any (one indexed EXISTS when none)."""
    if CoverageDelta.objects.filter(round=round_).exists():
        coverage_fold(round_=round_)


def coverage_rebuild(*, round_: Round) -> None:
    """Recompute a round's counters from the person rows (the background reconciliation; also run at
    opening). Incremental updates keep them right in between; this fixes any drift (moves, ledger
    edits after opening)."""
    with transaction.atomic():
        if connection.vendor == "postgresql":
            # Ingests wait (briefly) to append their changes until the recount commits: a change is then
            # either in the rows read below (and deleted here) or appended after, never both.
            with connection.cursor() as cur:
                cur.execute(f"LOCK TABLE {CoverageDelta._meta.db_table} IN SHARE ROW EXCLUSIVE MODE")  # noqa: S608
        CoverageCount.objects.filter(round=round_).delete()
        CoverageDelta.objects.filter(round=round_).delete()
        deltas: dict[str, Counter] = defaultdict(Counter)
        for ra_path in _round_roots(round_):
            lo, hi = path_range(ra_path)
            persons = Person.objects.filter(area_path__gte=lo, area_path__lt=hi)
            for row in persons.values("area_path").annotate(n=Count("id")).order_by():
                deltas[row["area_path"]]["should"] += row["n"]
        for row in RoundExemption.objects.filter(round=round_).values("area_path").annotate(
                n=Count("id")).order_by():
            deltas[row["area_path"]]["should"] -= row["n"]
            deltas[row["area_path"]]["exempt"] += row["n"]
        for row in RoundSample.objects.filter(round=round_).values("area_path", "state", "counted").annotate(
                n=Count("id")).order_by():
            c = deltas[row["area_path"]]
            c["sampled"] += row["n"]
            c[row["state"]] += row["n"]
            if row["counted"]:
                c["tested"] += row["n"]
        _upsert_counters(round_.pk, deltas)


def _round_roots(round_: Round) -> list[str]:
    paths = sorted(set(RoundArea.objects.filter(round=round_).values_list("area_path", flat=True)))
    roots: list[str] = []
    for p in paths:
        if not roots or not p.startswith(roots[-1]):
            roots.append(p)
    return roots


# --- rounds and sites ------------------------------------------------------------------------------

@dataclass
class AreaSpec:
    area: Area
    mode: str = Mode.POOL
    capacity: int = 10


def round_create(*, actor, name: str, area: Area, starts_at: dt.datetime, ends_at: dt.datetime,
                 areas: Sequence[AreaSpec], infant_age_years: int = 3, pooled_turnaround_hours: int = 24,
                 single_turnaround_hours: int = 6) -> Round:
    """Open a round over `areas` (each inside `area`), with the sampling mode of each."""
    authorize(actor, MANAGE, area.path)
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写轮次名称。", code="required", field="name")
    if timezone.is_naive(starts_at) or timezone.is_naive(ends_at):
        raise ServiceError("时间须带时区。", code="naive_datetime", field="starts_at")
    if ends_at <= starts_at:
        raise ServiceError("结束时间须晚于开始时间。", code="bad_window", field="ends_at")
    if not areas:
        raise ServiceError("请至少选择一个筛查区域。", code="required", field="areas")
    if not 0 <= infant_age_years <= 6:
        raise ServiceError("免检婴幼儿年龄应在 0 到 6 岁之间。", code="bad_infant_age", field="infant_age_years")
    seen = set()
    for spec in areas:
        if not spec.area.path.startswith(area.path):
            raise ServiceError(f"“{spec.area.name}”不在“{area.name}”范围内。", code="area_outside", field="areas")
        authorize(actor, MANAGE, spec.area.path)
        error = rules.mode_error(spec.mode, spec.capacity)
        if error:
            raise ServiceError(f"“{spec.area.name}”：{error}", code="bad_mode", field="areas")
        if spec.area.pk in seen:
            raise ServiceError(f"“{spec.area.name}”重复。", code="duplicate_area", field="areas")
        seen.add(spec.area.pk)
    with transaction.atomic():
        round_ = Round.objects.create(
            name=name, area=area, area_path=area.path, starts_at=starts_at, ends_at=ends_at,
            infant_age_years=infant_age_years, pooled_turnaround_hours=pooled_turnaround_hours,
            single_turnaround_hours=single_turnaround_hours, created_by=actor if getattr(actor, "pk", None) else None,
        )
        RoundArea.objects.bulk_create([
            RoundArea(round=round_, area=s.area, area_path=s.area.path, mode=s.mode, capacity=s.capacity)
            for s in areas
        ])
        _exemptions_create(round_)
        coverage_rebuild(round_=round_)
        event_record(actor=actor, action="round.create", obj=round_, after={
            "name": name, "starts_at": starts_at, "ends_at": ends_at, "infant_age_years": infant_age_years,
            "areas": [[s.area.code, s.mode, s.capacity] for s in areas]})
    return round_


def _exemptions_create(round_: Round) -> None:
    cutoff = rules.infant_cutoff(timezone.localdate(round_.starts_at), round_.infant_age_years)
    rows: dict[int, RoundExemption] = {}
    for root in _round_roots(round_):
        lo, hi = path_range(root)
        for pid, path in (Person.objects.filter(area_path__gte=lo, area_path__lt=hi, birth_date__gt=cutoff)
                          .values_list("id", "area_path").iterator(chunk_size=5000)):
            rows[pid] = RoundExemption(round=round_, person_id=pid, area_path=path, reason=ExemptReason.INFANT)
    isolation = isolation_tested_person_ids(round_)
    roots = _round_roots(round_)
    for pid, path in Person.objects.filter(pk__in=isolation).values_list("id", "area_path"):
        if pid not in rows and any(path.startswith(r) for r in roots):
            rows[pid] = RoundExemption(round=round_, person_id=pid, area_path=path, reason=ExemptReason.ISOLATION)
    RoundExemption.objects.bulk_create(rows.values(), batch_size=2000)


def round_close(*, actor, round_: Round) -> Round:
    authorize(actor, MANAGE, round_.area_path)
    with transaction.atomic():
        Round.objects.filter(pk=round_.pk).update(status=RoundStatus.CLOSED)
        round_.status = RoundStatus.CLOSED
        event_record(actor=actor, action="round.close", obj=round_, after={"status": "closed"})
    return round_


def site_create(*, actor, area: Area, name: str, kind: str = Site.Kind.FIXED, address: str = "", hours: str = "",
                tables: int = 1) -> Site:
    authorize(actor, MANAGE, area.path)
    name = (name or "").strip()
    if not name:
        raise ServiceError("请填写采样点名称。", code="required", field="name")
    if kind not in Site.Kind.values:
        raise ServiceError("未知的采样点类型。", code="bad_kind", field="kind")
    if not 0 <= tables <= 50:
        raise ServiceError("采样台数量应在 0 到 50 之间。", code="bad_tables", field="tables")
    with transaction.atomic():
        site = Site.objects.create(name=name, kind=kind, area=area, area_path=area.path, address=address,
                                   hours=hours)
        Table.objects.bulk_create([Table(site=site, name=f"{i}号台", area_path=site.area_path)
                                   for i in range(1, tables + 1)])
        event_record(actor=actor, action="site.create", obj=site, after={"name": name, "kind": kind,
                                                                          "tables": tables, "hours": hours})
    return site


def table_assign_samplers(*, actor, table: Table, samplers: Iterable) -> Table:
    authorize(actor, MANAGE, table.area_path)
    samplers = list(samplers)
    with transaction.atomic():
        table.samplers.set(samplers)
        event_record(actor=actor, action="table.assign", obj=table, after={"samplers": [u.pk for u in samplers]})
    return table


# --- bindings: the morning peak ---------------------------------------------------------------------

REASONS = {
    "bad_client_id": "缺少 client_id 或超过 64 个字符。",
    "bad_round": "轮次不存在或未开放。",
    "round_closed": "该轮次已结束或已取消。",
    "bad_time": "采样时间缺失或格式错误。",
    "time_outside_round": "采样时间不在本轮次的时间范围内。",
    "future_time": "采样时间晚于当前时间。",
    "bad_tube": "管码为空或格式错误。",
    "bad_capacity": "试管容量只能是 1、5、10 或 20。",
    "unknown_table": "采样台不存在或不在您的负责范围。",
    "tube_other_round": "该试管已用于其他轮次。",
    "capacity_mismatch": "试管容量与该试管已登记的容量不一致。",
    "tube_closed": "试管已封管。",
    "tube_full": "试管已满。",
    "malformed_id": "证件号码格式错误。",
    "capacity_not_allowed": "该人员所在区域的采样方式不允许此试管容量（如单管单检区域须用单管）。",
    "walk_in_refused": "无法临时登记该人员。",
}


@dataclass
class _Item:
    index: int
    client_id: str
    round_id: int
    tube: str
    capacity: int
    table_id: int
    id_type: str
    id_number: str
    sampled_at: dt.datetime
    person_id: int | None = None
    person_path: str = ""
    birth_date: dt.date | None = None
    walk_in: bool = False
    exempt: bool | None = None  # exempt in the round (None: not looked up yet)


def _result(client_id, status, reason="", message=""):
    out = {"client_id": client_id, "status": status, "reason": reason}
    if status == "rejected":
        out["message"] = message or REASONS.get(reason, reason)
    return out


def _parse_time(value) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        moment = value
    elif isinstance(value, str) and value.strip():
        try:
            moment = dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            return None
    else:
        return None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)  # the terminal's local time is the city's time zone
    return moment


def _parse(index: int, raw: dict, times: dict | None = None) -> tuple[_Item | None, dict | None]:
    cid = str(raw.get("client_id") or "").strip()
    if not cid or len(cid) > 64:
        return None, _result(cid, "rejected", "bad_client_id")
    try:
        round_id = int(raw.get("round"))
    except (TypeError, ValueError):
        return None, _result(cid, "rejected", "bad_round")
    tube = str(raw.get("tube") or "").strip().upper()
    if not rules.barcode_ok(tube):
        return None, _result(cid, "rejected", "bad_tube")
    try:
        capacity = int(raw.get("capacity"))
    except (TypeError, ValueError):
        capacity = 0
    if capacity not in CAPACITIES:
        return None, _result(cid, "rejected", "bad_capacity")
    try:
        table_id = int(raw.get("table"))
    except (TypeError, ValueError):
        return None, _result(cid, "rejected", "unknown_table")
    id_type = str(raw.get("id_type") or IdType.CITIZEN_ID.value)
    try:
        id_number = normalize_id(id_type, str(raw.get("id_number") or ""))
    except IdNumberError as exc:
        return None, _result(cid, "rejected", "malformed_id", f"证件号码格式错误：{exc.message}")
    except (KeyError, ValueError):
        return None, _result(cid, "rejected", "malformed_id", "未知的证件类型。")
    value = raw.get("sampled_at")
    if times is not None and isinstance(value, str):
        sampled_at = times.get(value)
        if sampled_at is None:
            sampled_at = times[value] = _parse_time(value)
    else:
        sampled_at = _parse_time(value)
    if sampled_at is None:
        return None, _result(cid, "rejected", "bad_time")
    return _Item(index, cid, round_id, tube, capacity, table_id, id_type, id_number, sampled_at), None


def bindings_ingest(*, actor, items: Sequence[dict], now: dt.datetime | None = None) -> list[dict]:
    """Bind people to tubes, a batch at a time; one answer per item, in order.

    accepted — stored now; duplicate — an item with this client_id was accepted before (nothing is
    created twice); rejected — with a reason (nothing stored for it; a retry is judged again).
    Accepted items may carry `flags`: "repeat" (already sampled in this round in another tube) and
    "walk_in" (unknown to the ledger, registered with the minimum data for the grid worker).
    """
    now = now or timezone.now()
    results: list[dict | None] = [None] * len(items)
    parsed: list[_Item] = []
    times: dict = {}  # sampled_at text → parsed moment (a tube's items usually share one)
    for i, raw in enumerate(items):
        item, rejected = _parse(i, raw if isinstance(raw, dict) else {}, times)
        if rejected is not None:
            results[i] = rejected
        else:
            parsed.append(item)
    with transaction.atomic():
        _ingest(actor, parsed, results, now)
    return [r for r in results if r is not None]


def _reject(results, item: _Item, reason: str, message: str = "") -> None:
    results[item.index] = _result(item.client_id, "rejected", reason, message)


def _ingest(actor, parsed: list[_Item], results: list, now: dt.datetime) -> None:
    if not parsed:
        return
    # Rounds with their areas (one query; a round always has areas), tables (one query). Plain SQL:
    # the ORM's query compilation was the largest Python cost of a terminal's request.
    rounds, round_areas = _rounds_read({it.round_id for it in parsed})
    tables = _tables_read({it.table_id for it in parsed})
    allowed = {pk: t.active and can(actor, SAMPLE, t.area_path) for pk, t in tables.items()}
    live: list[_Item] = []
    for it in parsed:
        round_ = rounds.get(it.round_id)
        if round_ is None:
            _reject(results, it, "bad_round")
        elif round_.status == RoundStatus.CANCELLED:
            _reject(results, it, "round_closed")
        elif not allowed.get(it.table_id):
            _reject(results, it, "unknown_table")
        elif it.sampled_at > now + dt.timedelta(minutes=10):
            _reject(results, it, "future_time")
        elif not (round_.starts_at <= it.sampled_at <= round_.ends_at):
            _reject(results, it, "time_outside_round")
        elif round_.status == RoundStatus.CLOSED and it.sampled_at > round_.ends_at:
            _reject(results, it, "round_closed")
        else:
            live.append(it)
    if not live:
        return
    # Tubes: created and locked in one statement (serialises two terminals on one tube, and a
    # retried batch against its original).
    tubes = _tubes_lock(live, tables)
    # Duplicates: after the tube lock, so a concurrent retry sees what the original committed.
    seen_ids = _seen_client_ids([it.client_id for it in live])
    fresh: list[_Item] = []
    batch_ids: set[str] = set()
    for it in live:
        if it.client_id in seen_ids:
            results[it.index] = _result(it.client_id, "duplicate")
        elif it.client_id in batch_ids:
            results[it.index] = _result(it.client_id, "duplicate")
        else:
            batch_ids.add(it.client_id)
            fresh.append(it)
    # Tube guards, without a query per item.
    slots = {b: t.capacity - t.count for b, t in tubes.items()}
    checked: list[_Item] = []
    for it in fresh:
        tube = tubes.get(it.tube)
        if tube is None:
            _reject(results, it, "bad_tube")
        elif tube.round_id != it.round_id:
            _reject(results, it, "tube_other_round")
        elif tube.capacity != it.capacity:
            _reject(results, it, "capacity_mismatch")
        elif tube.count >= tube.capacity:
            _reject(results, it, "tube_full")
        elif tube.status == TubeStatus.CLOSED or tube.result:
            _reject(results, it, "tube_closed")
        else:
            checked.append(it)
    if not checked:
        return
    _resolve_persons(actor, checked, results, tables)
    checked = [it for it in checked if it.person_id is not None]
    # Sampling mode of the person's area (e.g. single tubes only in a high-risk area).
    accepted_items: list[_Item] = []
    for it in checked:
        ra = next((a for a in round_areas[it.round_id] if it.person_path.startswith(a.area_path)), None)
        if ra is not None and it.capacity > ra.capacity:
            _reject(results, it, "capacity_not_allowed")
        elif slots[it.tube] <= 0:
            _reject(results, it, "tube_full")
        else:
            slots[it.tube] -= 1
            accepted_items.append(it)
    if not accepted_items:
        return
    batch = uuid.uuid4().hex
    inserted = _insert_bindings(accepted_items, tubes, batch, now)
    if len(inserted) == len(accepted_items):  # the usual case: nothing inserted meanwhile by a retry
        mine = accepted_items
    else:
        mine = [it for it in accepted_items if it.client_id in inserted]
        for it in accepted_items:
            if it.client_id not in inserted:
                results[it.index] = _result(it.client_id, "duplicate")
    if not mine:
        return
    repeats = _record_samples(mine, tubes, rounds, round_areas)
    per_tube = Counter(it.tube for it in mine)
    _tubes_add(tubes, per_tube, now)
    for it in mine:
        out = {"client_id": it.client_id, "status": "accepted", "reason": ""}
        if it.walk_in or (repeats and it.client_id in repeats):
            out["flags"] = [f for f, on in (("repeat", it.client_id in repeats), ("walk_in", it.walk_in)) if on]
        results[it.index] = out
    table = tables[mine[0].table_id]
    event_record(actor=actor, action="bindings.ingest", object_type="testing.tube",
                 object_id=min(per_tube), object_repr=",".join(sorted(per_tube))[:200],
                 area_path=table.area_path, after={"accepted": len(mine), "batch": batch,
                                                    "walk_ins": sum(it.walk_in for it in mine),
                                                    "repeats": len(repeats)})


@dataclass
class _TableInfo:
    """What the ingest needs of a sampling table (read with plain SQL)."""

    pk: int
    area_path: str
    active: bool
    area_id: int

    @property
    def area(self) -> Area:  # only for a walk-in registration
        return Area.objects.get(pk=self.area_id)


def _as_date(value) -> dt.date | None:
    return dt.date.fromisoformat(value) if isinstance(value, str) else value


def _as_datetime(value) -> dt.datetime:
    if isinstance(value, str):  # SQLite
        value = dt.datetime.fromisoformat(value)
    if timezone.is_naive(value):
        value = value.replace(tzinfo=dt.UTC)
    return value


def _cursor():
    """A cursor for the ingest's statements. On PostgreSQL one that binds parameters on the server
    (Django's default binds them on the client, into a new statement text every time): psycopg then
    prepares a statement it has run five times on a connection, so a terminal's request skips
    PostgreSQL's parsing and planning of its ~9 fixed statements. Wrapped as Django wraps its own
    cursors (error translation, query logging under DEBUG)."""
    if connection.vendor != "postgresql":
        return connection.cursor()
    import psycopg

    connection.ensure_connection()
    return connection._prepare_cursor(psycopg.Cursor(connection.connection))


def _pg_array(values: Sequence) -> str:
    """A PostgreSQL array literal for a list of ints, strings, datetimes, dates, booleans or None, to be
    cast by the statement (`%s::bigint[]`). psycopg's list adapter is Python code per element; this is a
    join. Strings are always quoted, with backslash and double quote escaped."""
    out = []
    for v in values:
        if v is None:
            out.append("NULL")
        elif v is True:
            out.append("t")
        elif v is False:
            out.append("f")
        elif type(v) is int:
            out.append(str(v))
        elif isinstance(v, (dt.date, dt.datetime)):
            out.append('"' + v.isoformat() + '"')
        else:
            out.append('"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"')
    return "{" + ",".join(out) + "}"


def _in(column: str, values: list, sql_type: str = "bigint") -> tuple[str, list]:
    """`column IN (…)` for a list of values: one array parameter on PostgreSQL (`= ANY(%s::type[])`: a
    statement of fixed text, no client-side splitting of thousands of placeholders), placeholders on
    SQLite. The array must have the column's type: against `int4[]` a `bigint` column is compared
    element by element (5,000 ids: 470 ms instead of 8 ms)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{sql_type}[])", [_pg_array(values)]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _select_by_keys(cur, select: str, source: str, key: str, values: list, sql_type: str, *, where: str = "",
                    params: Sequence = ()) -> list[tuple]:
    """`SELECT {select} FROM {source} WHERE {where} AND {key} IN values` for a unique key: on PostgreSQL
    one index probe per value (`unnest` + `LATERAL … LIMIT 1`), whatever the planner's statistics say —
    with thousands of values and stale statistics (a table filling during the bulk ingest) it would
    otherwise pick a sequential scan of the whole table per batch. `params` are those of `select` and
    `where`, in text order."""
    cond = f"{where} AND " if where else ""
    if connection.vendor == "postgresql":
        cur.execute(f"SELECT x.* FROM unnest(%s::{sql_type}[]) AS u(k) CROSS JOIN LATERAL "  # noqa: S608
                    f"(SELECT {select} FROM {source} WHERE {cond}{key} = u.k LIMIT 1) AS x", [_pg_array(values), *params])
    else:
        cur.execute(f"SELECT {select} FROM {source} WHERE {cond}{key} IN ({', '.join(['%s'] * len(values))})",  # noqa: S608
                    [*params, *values])
    return cur.fetchall()


def _chunks(values: list, size: int = 10_000):
    for start in range(0, len(values), size):
        yield values[start:start + size]


def _rounds_read(ids: set[int]) -> tuple[dict[int, Round], dict[int, list[RoundArea]]]:
    """The rounds and their areas (most specific area first), one query."""
    rounds: dict[int, Round] = {}
    round_areas: dict[int, list[RoundArea]] = defaultdict(list)
    where, params = _in("ra.round_id", sorted(ids))
    with _cursor() as cur:
        cur.execute(f"SELECT ra.round_id, ra.area_path, ra.capacity, ra.mode, r.status, r.starts_at, r.ends_at, "  # noqa: S608
                    f"r.infant_age_years, r.area_path FROM {RoundArea._meta.db_table} ra JOIN {Round._meta.db_table} r "
                    f"ON r.id = ra.round_id WHERE {where} ORDER BY ra.area_path DESC", params)
        for rid, ra_path, capacity, mode, status, starts, ends, infant, r_path in cur.fetchall():
            if rid not in rounds:
                rounds[rid] = Round(pk=rid, status=status, starts_at=_as_datetime(starts), ends_at=_as_datetime(ends),
                                    infant_age_years=infant, area_path=r_path)
            round_areas[rid].append(RoundArea(round_id=rid, area_path=ra_path, capacity=capacity, mode=mode))
    return rounds, round_areas


def _tables_read(ids: set[int]) -> dict[int, _TableInfo]:
    where, params = _in("t.id", sorted(ids))
    with _cursor() as cur:
        cur.execute(f"SELECT t.id, t.area_path, s.active, s.area_id FROM {Table._meta.db_table} t "  # noqa: S608
                    f"JOIN {Site._meta.db_table} s ON s.id = t.site_id WHERE {where}", params)
        return {pk: _TableInfo(pk, path, bool(active), area_id) for pk, path, active, area_id in cur.fetchall()}


def _seen_client_ids(client_ids: list[str]) -> set[str]:
    seen: set[str] = set()
    with _cursor() as cur:
        for chunk in _chunks(client_ids):
            seen.update(r[0] for r in _select_by_keys(cur, "b.client_id", f"{Binding._meta.db_table} b", "b.client_id",
                                                      chunk, "varchar"))
    return seen


def _tubes_lock(live: list[_Item], tables: dict) -> dict[str, Tube]:
    """`INSERT … ON CONFLICT (barcode) DO UPDATE … RETURNING`: creates the new tubes and locks and
    reads the existing ones, in barcode order (no deadlock between two batches), one statement."""
    first: dict[str, _Item] = {}
    for it in live:
        first.setdefault(it.tube, it)
    barcodes = sorted(first)
    table = Tube._meta.db_table
    tubes: dict[str, Tube] = {}
    cols = ("barcode", "round_id", "capacity", "table_id", "area_path", "status", "count", "opened_at", "result")
    tail = ("ON CONFLICT (barcode) DO UPDATE SET barcode = excluded.barcode "
            "RETURNING id, barcode, round_id, capacity, status, count, result, area_path")
    with _cursor() as cur:
        for chunk in _chunks(barcodes, 1000):
            rows = []
            for b in chunk:
                it = first[b]
                rows.append((b, it.round_id, it.capacity, it.table_id, tables[it.table_id].area_path, TubeStatus.OPEN,
                             0, it.sampled_at, ""))
            if connection.vendor == "postgresql":  # unnest keeps the barcode order: rows are locked in that order
                arrays = ", ".join(f"%s::{c}[]" for c in _column_casts(table, cols))
                cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) SELECT * FROM unnest({arrays}) {tail}",  # noqa: S608
                            [_pg_array(c) for c in zip(*rows, strict=True)])
            else:
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(rows))
                cur.execute(f"INSERT INTO {table} ({', '.join(cols)}) VALUES {values} {tail}",  # noqa: S608
                            [v for r in rows for v in r])
            for pk, barcode, round_id, capacity, status, count, result, path in cur.fetchall():
                tubes[barcode] = Tube(pk=pk, barcode=barcode, round_id=round_id, capacity=capacity, status=status,
                                      count=count, result=result, area_path=path)
    return tubes


def _tubes_add(tubes: dict, per_tube: Counter, now: dt.datetime) -> None:
    """Add the new bindings to their tubes' counts in one statement; a tube that is full closes."""
    table = Tube._meta.db_table
    pairs = sorted((tubes[barcode].pk, n) for barcode, n in per_tube.items())  # id order: the lock order
    sets = (f"SET count = {table}.count + d.n, "
            f"status = CASE WHEN {table}.count + d.n >= {table}.capacity THEN %s ELSE {table}.status END, "
            f"closed_at = CASE WHEN {table}.count + d.n >= {table}.capacity THEN %s ELSE {table}.closed_at END")
    with _cursor() as cur:
        for chunk in _chunks(pairs, 5000):
            if connection.vendor == "postgresql":
                cur.execute(f"UPDATE {table} {sets} FROM unnest(%s::bigint[], %s::integer[]) AS d(tid, n) "  # noqa: S608
                            f"WHERE {table}.id = d.tid",
                            [TubeStatus.CLOSED, now, _pg_array([p for p, _ in chunk]), _pg_array([n for _, n in chunk])])
            else:
                values = ", ".join(["(%s, %s)"] * len(chunk))
                cur.execute(f"UPDATE {table} {sets} FROM (SELECT column1 AS tid, column2 AS n FROM (VALUES {values})) "  # noqa: S608
                            f"AS d WHERE {table}.id = d.tid",
                            [TubeStatus.CLOSED, now, *(v for pair in chunk for v in pair)])


def _resolve_persons(actor, items: list[_Item], results: list, tables: dict) -> None:
    """Find every scanned document in one query per document type; register the unknown ones as
    walk-ins in the area of the sampling site."""
    by_type: dict[str, set[str]] = defaultdict(set)
    for it in items:
        by_type[it.id_type].add(it.id_number)
    found: dict[tuple[str, str], tuple[int, str, dt.date | None]] = {}
    round_ids = {it.round_id for it in items}
    one_round = next(iter(round_ids)) if len(round_ids) == 1 else None
    exempt: set[int] = set()
    person_table, exemption_table = Person._meta.db_table, RoundExemption._meta.db_table
    with _cursor() as cur:
        for id_type, numbers in by_type.items():
            for chunk in _chunks(sorted(numbers)):
                if one_round is not None:  # the exemption fixed at opening, in the same query
                    select = (f"p.id, p.id_number, p.area_path, p.birth_date, EXISTS (SELECT 1 FROM {exemption_table} e "  # noqa: S608
                              "WHERE e.round_id = %s AND e.person_id = p.id)")
                    params: list = [one_round, id_type]
                else:
                    select, params = "p.id, p.id_number, p.area_path, p.birth_date, NULL", [id_type]
                rows = _select_by_keys(cur, select, f"{person_table} p", "p.id_number", chunk, "varchar",
                                       where="p.id_type = %s", params=params)
                for pid, number, path, birth, is_exempt in rows:
                    found[(id_type, number)] = (pid, path, _as_date(birth))
                    if is_exempt:
                        exempt.add(pid)
    from fangkong.residents.services import DuplicatePerson, person_register_walk_in

    for it in items:
        key = (it.id_type, it.id_number)
        if key not in found:
            try:
                person = person_register_walk_in(actor=actor, area=tables[it.table_id].area,
                                                 id_type=it.id_type, id_number=it.id_number)
            except DuplicatePerson as exc:
                person = exc.existing
            except (ServiceError, NotFound) as exc:
                _reject(results, it, "walk_in_refused", getattr(exc, "message", "") or REASONS["walk_in_refused"])
                continue
            else:
                it.walk_in = True
            found[key] = (person.pk, person.area_path, person.birth_date)
        it.person_id, it.person_path, it.birth_date = found[key]
        if one_round is not None:
            it.exempt = it.person_id in exempt


COPY_FROM = 500  # rows from which PostgreSQL gets COPY instead of a multi-row INSERT


def _insert_returning(table: str, cols: Sequence[str], rows: list[tuple], conflict: str,
                      returning: str) -> list[tuple]:
    """Insert `rows`, skipping those that conflict on `conflict`, and return `returning` of the rows
    this statement inserted (what a concurrent retry inserted is not returned: that tells accepted from
    duplicate). Small batches (a terminal's request): one multi-row `INSERT … ON CONFLICT DO NOTHING
    RETURNING` per 1,000 rows. Big batches on PostgreSQL (the bulk path): `COPY` straight into the
    table inside a savepoint — the caller has already left out what it knows exists, so a conflict
    can only come from a concurrent writer; then the savepoint is rolled back and the rows go through
    a temporary table (dropped at commit) and one `INSERT … SELECT … ON CONFLICT DO NOTHING RETURNING`."""
    names = ", ".join(cols)
    out: list[tuple] = []
    if not rows:
        return out
    with _cursor() as cur:
        if connection.vendor == "postgresql" and len(rows) >= COPY_FROM:
            from psycopg.errors import UniqueViolation

            keys = [cols.index(c.strip()) for c in returning.split(",")]
            sid = transaction.savepoint()
            text: dict = {}  # a batch's rows share a few moments: format each once (psycopg's is slow)

            def cell(v):
                if type(v) is not dt.datetime:
                    return v
                t = text.get(v)
                if t is None:
                    t = text[v] = v.isoformat()
                return t

            try:
                with cur.cursor.copy(f"COPY {table} ({names}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row([cell(v) for v in row])
            except UniqueViolation:
                transaction.savepoint_rollback(sid)
            else:
                transaction.savepoint_commit(sid)
                get = itemgetter(*keys)
                return [get(row) for row in rows] if len(keys) > 1 else [(get(row),) for row in rows]
            stage = f"{table}_stage"
            cur.execute(f"CREATE TEMP TABLE {stage} ON COMMIT DROP AS SELECT {names} FROM {table} WITH NO DATA")  # noqa: S608
            with cur.cursor.copy(f"COPY {stage} ({names}) FROM STDIN") as copy:
                for row in rows:
                    copy.write_row(row)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT {names} FROM {stage} "  # noqa: S608
                        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}")
            out = cur.fetchall()
            cur.execute(f"DROP TABLE {stage}")
            return out
        if connection.vendor == "postgresql":
            # One array per column: a statement of fixed text and as many parameters as columns, whatever
            # the number of rows (psycopg caches its parsing; 100 scalar parameters were parsed each time).
            casts = _column_casts(table, cols)
            arrays = ", ".join(f"%s::{c}[]" for c in casts)
            cur.execute(f"INSERT INTO {table} ({names}) SELECT * FROM unnest({arrays}) "  # noqa: S608
                        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}", [_pg_array(c) for c in zip(*rows, strict=True)])
            return cur.fetchall()
        width = len(cols)
        if len(rows) >= COPY_FROM:
            # SQLite, the bulk path: the transaction holds the database's write lock from its start
            # (IMMEDIATE), so what the caller left out as existing is all there is — one executemany of a
            # single prepared INSERT, no RETURNING. A conflict all the same rolls the savepoint back and
            # the rows go the careful way below.
            keys = [cols.index(c.strip()) for c in returning.split(",")]
            text: dict = {}  # as Django's SQLite adapter writes a datetime, once per distinct moment

            def cell(v):
                if type(v) is not dt.datetime:
                    return v
                t = text.get(v)
                if t is None:
                    t = text[v] = v.isoformat(" ")
                return t

            sid = transaction.savepoint()
            try:
                cur.executemany(f"INSERT INTO {table} ({names}) VALUES ({', '.join(['%s'] * width)})",  # noqa: S608
                                [[cell(v) for v in row] for row in rows])
            except IntegrityError:
                transaction.savepoint_rollback(sid)
            else:
                transaction.savepoint_commit(sid)
                get = itemgetter(*keys)
                return [get(row) for row in rows] if len(keys) > 1 else [(get(row),) for row in rows]
        for start in range(0, len(rows), 1000):
            chunk = rows[start:start + 1000]
            values = ", ".join(["(" + ", ".join(["%s"] * width) + ")"] * len(chunk))
            cur.execute(f"INSERT INTO {table} ({names}) VALUES {values} "  # noqa: S608
                        f"ON CONFLICT ({conflict}) DO NOTHING RETURNING {returning}",
                        [v for row in chunk for v in row])
            out.extend(cur.fetchall())
    return out


_CASTS: dict[tuple[str, tuple[str, ...]], list[str]] = {}


def _column_casts(table: str, cols: Sequence[str]) -> list[str]:
    key = (table, tuple(cols))
    if key not in _CASTS:
        model = next(m for m in (Binding, RoundSample, Tube, CoverageDelta) if m._meta.db_table == table)
        fields = {f.column: f for f in model._meta.concrete_fields}
        _CASTS[key] = [fields[c].db_type(connection) for c in cols]
    return _CASTS[key]


BINDING_COLS = ("client_id", "round_id", "tube_id", "table_id", "person_id", "sampled_at", "received_at", "batch",
                "repeat", "walk_in")
SAMPLE_COLS = ("round_id", "person_id", "area_path", "tube_id", "state", "counted", "sampled_at")


def _insert_bindings(items: list[_Item], tubes: dict, batch: str, now: dt.datetime) -> set[str]:
    """Insert the bindings; returns the client_ids this statement inserted."""
    rows = [(it.client_id, it.round_id, tubes[it.tube].pk, it.table_id, it.person_id, it.sampled_at, now, batch,
             False, it.walk_in) for it in items]
    return {r[0] for r in _insert_returning(Binding._meta.db_table, BINDING_COLS, rows, "client_id", "client_id")}


def _samples_existing(keys: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """Which (round, person) pairs already have their round row (the people sampled before)."""
    by_round: dict[int, list[int]] = defaultdict(list)
    for rid, pid in keys:
        by_round[rid].append(pid)
    found: set[tuple[int, int]] = set()
    with _cursor() as cur:
        for rid, pids in by_round.items():
            for chunk in _chunks(sorted(pids)):
                rows = _select_by_keys(cur, "s.person_id", f"{RoundSample._meta.db_table} s", "s.person_id", chunk,
                                       "bigint", where="s.round_id = %s", params=[rid])
                found.update((rid, pid) for (pid,) in rows)
    return found


def _record_samples(items: list[_Item], tubes: dict, rounds: dict, round_areas: dict) -> set[str]:
    """Create the per-person round rows of first samplings and count them; return the client_ids of
    repeats (the person was already sampled in this round), which move the person to the new tube."""
    first: dict[tuple[int, int], _Item] = {}
    for it in items:
        first.setdefault((it.round_id, it.person_id), it)
    exempt: set[tuple[int, int]] = {(it.round_id, it.person_id) for it in items if it.exempt}
    for rid in {it.round_id for it in items if it.exempt is None}:
        pids = [pid for (r, pid) in first if r == rid]
        exempt |= {(rid, pid) for pid in RoundExemption.objects.filter(round_id=rid, person_id__in=pids)
                   .values_list("person_id", flat=True)}

    cutoffs = {rid: rules.infant_cutoff(timezone.localdate(r.starts_at), r.infant_age_years)
               for rid, r in rounds.items()}
    inside: dict[tuple[int, str], bool] = {}  # (round, person's area) → inside the round's areas
    counted: dict[tuple[int, int], bool] = {}
    for key, it in first.items():
        where = (it.round_id, it.person_path)
        ok = inside.get(where)
        if ok is None:
            ok = inside[where] = any(it.person_path.startswith(a.area_path) for a in round_areas[it.round_id])
        counted[key] = (ok and not (it.birth_date is not None and it.birth_date > cutoffs[it.round_id])
                        and key not in exempt)

    existing = _samples_existing(list(first)) if len(first) >= COPY_FROM else set()
    rows = [(it.round_id, it.person_id, it.person_path, tubes[it.tube].pk, PersonState.PENDING, counted[key],
             it.sampled_at) for key, it in first.items() if key not in existing]
    returned = _insert_returning(RoundSample._meta.db_table, SAMPLE_COLS, rows, "round_id, person_id",
                                 "round_id, person_id")
    everything = not existing and len(returned) == len(first)  # the usual case: all first samplings
    created = first.keys() if everything else set(returned)
    # Counter changes: people by (round, area, counted, walk-in), then one addition per group.
    groups = Counter((it.round_id, it.person_path, counted[key], it.walk_in) for key, it in first.items()
                     if key in created)
    deltas: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for (rid, path, is_counted, walk_in), n in groups.items():
        c = deltas[rid][path]
        c["sampled"] += n
        c["pending"] += n
        if is_counted:
            c["tested"] += n
            if walk_in:
                c["should"] += n
    repeats: set[str] = set()
    if everything and len(first) == len(items):
        again = []
    else:
        again = [it for it in items if (it.round_id, it.person_id) not in created
                 or first[(it.round_id, it.person_id)] is not it]
    if again:
        repeats = {it.client_id for it in again}
        Binding.objects.filter(client_id__in=repeats).update(repeat=True)
        for it in again:
            sample = RoundSample.objects.select_for_update().get(round_id=it.round_id, person_id=it.person_id)
            tube = tubes[it.tube]
            if sample.tube_id == tube.pk:
                continue
            c = deltas[it.round_id][sample.area_path]
            c[sample.state] -= 1
            c[PersonState.PENDING] += 1
            RoundSample.objects.filter(pk=sample.pk).update(tube=tube, state=PersonState.PENDING,
                                                            sampled_at=it.sampled_at)
    for rid, d in deltas.items():
        _deltas_append(rid, d)
    return repeats


def tube_close(*, actor, barcode: str, now: dt.datetime | None = None) -> Tube:
    """Close a tube by hand (封管) before it is full."""
    barcode = (barcode or "").strip().upper()
    with transaction.atomic():
        tube = scope(Tube.objects.select_for_update(), actor, SAMPLE).filter(barcode=barcode).first()
        if tube is None:
            raise NotFound()
        if tube.status == TubeStatus.CLOSED:
            return tube
        if tube.count == 0:
            raise ServiceError("空管不能封管。", code="empty_tube", field="tube")
        tube.status, tube.closed_at = TubeStatus.CLOSED, now or timezone.now()
        tube.save(update_fields=["status", "closed_at"])
        event_record(actor=actor, action="tube.close", obj=tube, after={"count": tube.count})
    return tube


# --- boxes -----------------------------------------------------------------------------------------

def box_pack(*, actor, barcode: str, tubes: Sequence[str]) -> Box:
    """Put closed tubes into a transfer box (created on first use) and hand it to transport."""
    barcode = (barcode or "").strip().upper()
    if not rules.barcode_ok(barcode):
        raise ServiceError("箱码为空或格式错误。", code="bad_box", field="box")
    with transaction.atomic():
        found = list(scope(Tube.objects.select_for_update(), actor, SAMPLE).filter(
            barcode__in=[t.strip().upper() for t in tubes]))
        if len(found) != len(set(tubes)) or not found:
            raise ServiceError("有试管不存在或不在您的范围内。", code="unknown_tube", field="tubes")
        if any(t.status != TubeStatus.CLOSED for t in found):
            raise ServiceError("只能装入已封管的试管。", code="tube_open", field="tubes")
        box, _ = Box.objects.get_or_create(barcode=barcode, defaults={"area_path": found[0].area_path})
        authorize(actor, SAMPLE, box.area_path)
        if box.status != "packing":
            raise ServiceError("该转运箱已交接。", code="box_sent", field="box")
        Tube.objects.filter(pk__in=[t.pk for t in found]).update(box=box)
        box.status, box.handed_at = "in_transit", timezone.now()
        box.save(update_fields=["status", "handed_at"])
        event_record(actor=actor, action="box.hand_over", obj=box, after={"tubes": sorted(t.barcode for t in found)})
    return box


def box_receive(*, actor, barcode: str) -> Box:
    with transaction.atomic():
        box = scope(Box.objects.select_for_update(), actor, LAB).filter(barcode=(barcode or "").strip().upper()).first()
        if box is None:
            raise NotFound()
        if box.status != "received":
            box.status, box.received_at = "received", timezone.now()
            box.save(update_fields=["status", "received_at"])
            event_record(actor=actor, action="box.receive", obj=box, after={"status": "received"})
    return box


# --- results ---------------------------------------------------------------------------------------

RESULT_REASONS = {
    "bad_tube": "管码为空或格式错误。",
    "bad_result": "结果只能是 negative（阴性）、positive（阳性）或 invalid（无效）。",
    "unknown_tube": "试管不存在或不在您的范围内。",
    "empty_tube": "该试管没有采样记录。",
    "result_conflict": "该试管已有不同的结果；如需更正请联系指挥部。",
}

RESULT_ALIASES = {"negative": "negative", "阴性": "negative", "neg": "negative", "-": "negative",
                  "positive": "positive", "阳性": "positive", "pos": "positive", "+": "positive",
                  "invalid": "invalid", "无效": "invalid", "重采": "invalid", "inv": "invalid"}


def _rresult(tube, status, reason=""):
    out = {"tube": tube, "status": status, "reason": reason}
    if reason:
        out["message"] = RESULT_REASONS.get(reason, reason)
    return out


def results_ingest(*, actor, items: Sequence[dict], now: dt.datetime | None = None) -> list[dict]:
    """Record lab results per tube (idempotent: the same result again is a duplicate). The result
    reaches every person of the tube at once; a positive pool recalls its members."""
    now = now or timezone.now()
    out: list[dict] = []
    wanted: dict[str, str] = {}
    for raw in items:
        raw = raw if isinstance(raw, dict) else {}
        barcode = str(raw.get("tube") or "").strip().upper()
        result = RESULT_ALIASES.get(str(raw.get("result") or "").strip().lower())
        if not rules.barcode_ok(barcode):
            out.append(_rresult(barcode, "rejected", "bad_tube"))
        elif result is None:
            out.append(_rresult(barcode, "rejected", "bad_result"))
        else:
            out.append({"tube": barcode, "_result": result})
    with transaction.atomic():
        barcodes = sorted({o["tube"] for o in out if "_result" in o})
        tubes = _tubes_for_results(actor, barcodes)
        fresh: dict[str, list[_TubeRow]] = defaultdict(list)
        for i, o in enumerate(out):
            if "_result" not in o:
                continue
            barcode, result = o["tube"], o.pop("_result")
            tube = tubes.get(barcode)
            if tube is None:
                out[i] = _rresult(barcode, "rejected", "unknown_tube")
            elif tube.result == result or wanted.get(barcode) == result:
                out[i] = _rresult(barcode, "duplicate")
            elif tube.result or barcode in wanted:
                out[i] = _rresult(barcode, "rejected", "result_conflict")
            elif tube.count == 0:
                out[i] = _rresult(barcode, "rejected", "empty_tube")
            else:
                wanted[barcode] = result
                fresh[result].append(tube)
                out[i] = _rresult(barcode, "accepted")
        if fresh:
            _apply_results(actor, fresh, now)
    return out


@dataclass(slots=True)
class _TubeRow:
    """What the results need of a tube (a model instance per tube cost more than finding it)."""

    pk: int
    barcode: str
    round_id: int
    capacity: int
    count: int
    result: str
    area_path: str
    status: str
    table_id: int | None
    result_at: dt.datetime | None = None


def _tubes_for_results(actor, barcodes: list[str]) -> dict[str, _TubeRow]:
    """The tubes of these barcodes inside the lab's scope, locked in barcode order (plain SQL: the ORM
    took longer to build 5,000 tubes than the database took to find them)."""
    roots = assignment_paths(actor, LAB)
    lock = " FOR UPDATE" if connection.features.has_select_for_update else ""  # SQLite: the write lock is whole
    tubes: dict[str, _TubeRow] = {}
    with _cursor() as cur:
        for part in _chunks(barcodes, 5000):
            where, params = _in("barcode", part, "varchar")
            cur.execute(f"SELECT id, barcode, round_id, capacity, count, result, area_path, status, table_id "  # noqa: S608
                        f"FROM {Tube._meta.db_table} WHERE {where} ORDER BY barcode{lock}", params)
            for pk, barcode, round_id, capacity, count, result, path, status, table_id in cur.fetchall():
                if any(path.startswith(root) for root in roots):
                    tubes[barcode] = _TubeRow(pk, barcode, round_id, capacity, count, result, path, status, table_id)
    return tubes


def _apply_results(actor, fresh: dict[str, list[_TubeRow]], now: dt.datetime) -> None:
    events = []
    for result, tubes in fresh.items():
        for t in tubes:
            t.result, t.result_at, t.status = result, now, TubeStatus.CLOSED
        ids = [t.pk for t in tubes]
        with _cursor() as cur:
            for part in _chunks(ids, 5000):
                where, params = _in("id", part)
                cur.execute(f"UPDATE {Tube._meta.db_table} SET result = %s, result_at = %s, status = %s, "  # noqa: S608
                            f"closed_at = COALESCE(closed_at, %s) WHERE {where}",
                            [result, now, TubeStatus.CLOSED, now, *params])
        pooled = [t.pk for t in tubes if t.capacity > 1]
        single = [t.pk for t in tubes if t.capacity == 1]
        for part_ids, state in ((pooled, rules.person_state(result, pooled=True)),
                                (single, rules.person_state(result, pooled=False))):
            for start in range(0, len(part_ids), 5000):
                _fan_out(part_ids[start:start + 5000], state)
        for t in tubes:
            events.append(event_build(actor=actor, action="tube.result", object_type="testing.tube", object_id=t.pk,
                                      object_repr=t.barcode, area_path=t.area_path, after={"result": result},
                                      at=now))
    events_record_bulk(events)
    positives = [t for t in fresh.get(Result.POSITIVE, [])]
    if positives:
        recalls_open_for_pools(actor=actor, tubes=[t for t in positives if t.capacity > 1], now=now)
    singles = [t for ts in fresh.values() for t in ts if t.capacity == 1]
    if singles:
        _settle_singles(actor, singles, now)


def _fan_out(tube_ids: list[int], state: str) -> None:
    """Move every person whose current tube is one of `tube_ids` to `state`, and the counters with them.
    PostgreSQL: one statement locks and reads the rows that change, updates them and counts them by
    (round, area, old state). (The table's fillfactor leaves room on each page, so the update is
    "HOT": no index is touched.)"""
    if connection.vendor == "postgresql":
        table = RoundSample._meta.db_table
        with _cursor() as cur:
            # The update repeats the condition: a row changed meanwhile (a repeat moved the person to
            # another tube) is re-checked after the wait and left out, and so not counted.
            cur.execute(f"WITH old AS (SELECT id, round_id, area_path, state FROM {table} "  # noqa: S608
                        f"WHERE tube_id = ANY(%s::bigint[]) AND state <> %s), "
                        f"upd AS (UPDATE {table} s SET state = %s FROM old WHERE s.id = old.id "
                        "AND s.tube_id = ANY(%s::bigint[]) AND s.state <> %s RETURNING old.round_id, old.area_path, "
                        "old.state) SELECT round_id, area_path, state, count(*) FROM upd GROUP BY round_id, area_path, "
                        "state", [_pg_array(tube_ids), state, state, _pg_array(tube_ids), state])
            rows = [{"round_id": r, "area_path": p, "state": st, "n": n} for r, p, st, n in cur.fetchall()]
    else:
        rows = _fan_out_orm(tube_ids, state)
    deltas: dict[int, dict[str, Counter]] = defaultdict(lambda: defaultdict(Counter))
    for row in rows:
        if row["state"] == state:
            continue
        c = deltas[row["round_id"]][row["area_path"]]
        c[row["state"]] -= row["n"]
        c[state] += row["n"]
    for rid, d in deltas.items():  # appended, not upserted: two labs' uploads never wait on a counter row
        _deltas_append(rid, d)


def _fan_out_orm(tube_ids: list[int], state: str) -> list[dict]:
    rows = list(RoundSample.objects.filter(tube_id__in=tube_ids).values("round_id", "area_path", "state")
            .annotate(n=Count("id")).order_by())
    RoundSample.objects.filter(tube_id__in=tube_ids).exclude(state=state).update(state=state)
    return rows


def recalls_open_for_pools(*, actor, tubes: Sequence[Tube], now: dt.datetime | None = None) -> int:
    """A positive pool: every member becomes 混管可疑阳性 and gets a recall (a single-tube
    re-sampling task for their grid, and a stay-at-home instruction until the single result)."""
    if not tubes:
        return 0
    members = (Binding.objects.filter(tube_id__in=[t.pk for t in tubes])
               .values_list("tube_id", "person_id", "round_id", "person__area_path"))
    recalls = [Recall(round_id=rid, person_id=pid, tube_id=tid, area_path=path) for tid, pid, rid, path in members]
    Recall.objects.bulk_create(recalls, ignore_conflicts=True, batch_size=2000)
    events_record_bulk([event_build(actor=actor, action="recall.open", object_type="testing.tube",
                                    object_id=t.pk, object_repr=t.barcode, area_path=t.area_path,
                                    after={"members": sum(1 for m in recalls if m.tube_id == t.pk)}) for t in tubes])
    recalls_changed_to_epi(actor=actor, person_ids=[r.person_id for r in recalls], reason="混管可疑阳性，居家等待单管复核")
    return len(recalls)


def _settle_singles(actor, tubes: list[Tube], now: dt.datetime) -> None:
    """A single tube settles its person's open recalls (negative: released; positive: confirmed), and a
    positive single tube makes the person positive and goes to the epidemiology app."""
    members = list(Binding.objects.filter(tube_id__in=[t.pk for t in tubes])
                   .values_list("tube_id", "person_id", "sampled_at"))
    by_pk = {t.pk: t for t in tubes}
    settled: list[int] = []
    for tube_id, person_id, sampled_at in members:
        tube = by_pk[tube_id]
        if tube.result == Result.INVALID:
            continue
        outcome = RecallOutcome.POSITIVE if tube.result == Result.POSITIVE else RecallOutcome.NEGATIVE
        n = Recall.objects.filter(person_id=person_id, round_id=tube.round_id, status=RecallStatus.OPEN).update(
            status=RecallStatus.SETTLED, outcome=outcome, settled_at=now, settled_tube=tube_id,
            stay_at_home=False)
        if n:
            settled.append(person_id)
            event_record(actor=actor, action="recall.settle", object_type="residents.person", object_id=person_id,
                         area_path=tube.area_path, after={"outcome": outcome, "tube": tube.barcode})
        if tube.result == Result.POSITIVE:
            person_positive_from_single_tube(actor=actor, person_id=person_id, tube=tube, sampled_at=sampled_at)
    recalls_changed_to_epi(actor=actor, person_ids=settled, reason="单管复核结果已出")


def person_positive_from_single_tube(*, actor, person_id: int, tube: Tube, sampled_at: dt.datetime) -> None:
    """THE place where a positive single tube becomes a positive person: the person's state in the
    round is already `positive` (fan-out); here the audit event and the epidemiology contract."""
    person = Person.objects.get(pk=person_id)
    event_record(actor=actor, action="person.positive", obj=person, after={"tube": tube.barcode,
                                                                         "sampled_at": sampled_at})
    positive_single_tube_to_epi(actor=actor, person=person, sampled_at=sampled_at, barcode=tube.barcode)
