"""`fangkong import residents`, `fangkong export residents`, `fangkong bench residents`."""

from __future__ import annotations

import gc
import json
import os
import random
import resource
import sqlite3
import sys
import tempfile
import time

from django.core.management.base import CommandError

from fangkong.core.commands import Subcommand
from fangkong.core.errors import ServiceError


def _actor_and_area(options):
    from fangkong.accounts.models import User
    from fangkong.areas.models import Area

    try:
        area = Area.objects.get(code=options["area"])
    except Area.DoesNotExist:
        raise CommandError(f"unknown area {options['area']}") from None
    try:
        actor = User.objects.get(username=options["as_user"])
    except User.DoesNotExist:
        raise CommandError(f"unknown user {options['as_user']}") from None
    return actor, area


def import_args(parser):
    parser.add_argument("file")
    parser.add_argument("--area", required=True, help="area code the ledger belongs to")
    parser.add_argument("--as", dest="as_user", required=True, help="username of the importer")
    parser.add_argument("--dry-run", action="store_true")


def import_handle(options, stdout):
    from fangkong.core.scoping import NotFound
    from fangkong.residents.importers import import_ledger
    from fangkong.residents.jobs import import_dir

    actor, area = _actor_and_area(options)
    t0 = time.perf_counter()
    try:
        result = import_ledger(actor=actor, area=area, path=options["file"], filename=os.path.basename(options["file"]),
                               dry_run=options["dry_run"], error_dir=import_dir())
    except NotFound:
        raise CommandError("该用户无权导入此区域。") from None
    except ServiceError as exc:
        raise CommandError(exc.message) from None
    summary = {**result.summary(), "dry_run": options["dry_run"], "seconds": round(time.perf_counter() - t0, 2)}
    stdout.write(json.dumps(summary, ensure_ascii=False))


def export_args(parser):
    parser.add_argument("--area", required=True)
    parser.add_argument("--as", dest="as_user", required=True)
    parser.add_argument("-o", "--output", required=True)


def export_handle(options, stdout):
    from fangkong.core.scoping import require_any
    from fangkong.residents.jobs import persons_export

    actor, area = _actor_and_area(options)
    try:
        require_any(actor, "residents.export")
    except ServiceError as exc:
        raise CommandError(exc.message) from None
    from django.conf import settings

    # no per-query log (DEBUG=1 in a dev shell): it kept every chunk query's SQL — 382 MB instead of 99 MB
    # for 2,100,000 rows on PostgreSQL
    debug, settings.DEBUG = settings.DEBUG, False
    t0 = time.perf_counter()
    try:
        path, n = persons_export(actor=actor, area=area, path=options["output"])
    finally:
        settings.DEBUG = debug
    stdout.write(json.dumps({"rows": n, "path": path, "seconds": round(time.perf_counter() - t0, 2),
                             # VmHWM: this process image's own peak (ru_maxrss keeps the parent's RSS at the
                             # fork across the exec, so a command started by a big process would report that)
                             "peak_rss_mb": _rss_mb("VmHWM")},
                            ensure_ascii=False))


# ---- bench ----------------------------------------------------------------------------------------

def bench_args(parser):
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--import-rows", type=int, default=100_000)
    parser.add_argument("--skip-seed", action="store_true", help="the ledger is already seeded")
    parser.add_argument("--skip-export", action="store_true")
    parser.add_argument("--skip-import", action="store_true")


def _partial(out: dict) -> None:
    """Each phase's figures as soon as they are measured (stderr), so a run cut short by `timeout` still reports."""
    now = {"loadavg_now": [round(x, 2) for x in os.getloadavg()], "cpu_total": round(time.process_time(), 1)}
    print("bench partial: " + json.dumps({**out, **now}, ensure_ascii=False), file=sys.stderr, flush=True)


def _reset_peak_rss() -> bool:
    """Reset this process's peak RSS (Linux: writing 5 to /proc/self/clear_refs resets VmHWM)."""
    try:
        with open("/proc/self/clear_refs", "w") as fh:
            fh.write("5")
        return True
    except OSError:
        return False


def _rss_mb(field: str) -> float | None:
    try:
        with open("/proc/self/status") as fh:
            for line in fh:
                if line.startswith(field + ":"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1) if field == "VmHWM" else None


def _p95(samples):
    s = sorted(samples)
    return round(s[max(0, int(len(s) * 0.95) - 1)] * 1000, 2)


def _baseline_insert() -> dict[str, float]:
    """A raw sqlite3 executemany of the rows the seed wrote (households, persons, care tags), read back from the
    ledger, into a fresh file: untyped tables, no keys, no indexes, no Django. Seconds per table (executemany
    and commit only)."""
    from django.db import connection

    from fangkong.residents.seed import HOUSEHOLD_COLUMNS, PERSON_COLUMNS, TAG_COLUMNS

    fd, path = tempfile.mkstemp(suffix=".sqlite3")
    os.close(fd)
    raw = sqlite3.connect(path, isolation_level=None)
    raw.execute("PRAGMA journal_mode=WAL")
    raw.execute("PRAGMA synchronous=NORMAL")
    spent: dict[str, float] = {}
    with connection.cursor() as cur:
        raw.execute("BEGIN")
        for table, cols in (("residents_household", HOUSEHOLD_COLUMNS), ("residents_person", PERSON_COLUMNS),
                            ("residents_caretag", TAG_COLUMNS)):
            raw.execute(f"CREATE TABLE {table} ({', '.join(cols)})")
            cur.execute(f"SELECT {', '.join(cols)} FROM {table} ORDER BY id")  # noqa: S608
            insert = f"INSERT INTO {table} VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
            spent[table] = 0.0
            while True:
                rows = cur.fetchmany(20000)
                if not rows:
                    break
                rows = [tuple(str(v) if not isinstance(v, int | str | type(None)) else v for v in r) for r in rows]
                t = time.perf_counter()
                raw.executemany(insert, rows)
                spent[table] += time.perf_counter() - t
        t = time.perf_counter()
        raw.execute("COMMIT")
        spent["commit"] = time.perf_counter() - t
    raw.close()
    os.unlink(path)
    return spent


def _baseline_figures(out: dict) -> None:
    """The raw executemany of the same rows, and the seed's ratio to it (to all its rows, and to the persons
    alone as earlier runs printed it)."""
    spent = _baseline_insert()
    every, persons = sum(spent.values()), spent["residents_person"]
    out["raw_executemany_seconds"] = round(every, 3)
    out["raw_executemany_persons_seconds"] = round(persons, 3)
    if out.get("seed_seconds") and persons > 0:
        out["seed_ratio_to_raw_insert"] = round(out["seed_seconds"] / every, 2)
        out["seed_ratio_to_raw_person_insert"] = round(out["seed_seconds"] / persons, 2)


def _bench_user():
    from django.conf import settings

    from fangkong.accounts.models import User
    from fangkong.accounts.services import role_assign
    from fangkong.areas.models import Area

    city = Area.objects.get(code=settings.FANGKONG_CITY_CODE)
    user = User.objects.filter(username="bench_hq").first()
    if user is None:
        user = User.objects.create(username="bench_hq", display_name="bench")
        role_assign(actor=None, user=user, role="hq", area=city)
    return user, city


def _make_import_file(area, n: int, path: str) -> None:
    import datetime as dt

    from fangkong.areas.models import Area
    from fangkong.core.excel import XlsxStreamWriter
    from fangkong.core.scoping import path_range
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.importers import AddressBook
    from fangkong.residents.seed import FEMALE_CHARS, MALE_CHARS, SURNAMES

    book = AddressBook(area)
    lo, hi = path_range(area.path)
    units = list(Area.objects.filter(path__gte=lo, path__lt=hi, level="unit").select_related("parent__parent"))
    targets = []
    for u in units:
        b, c = u.parent, u.parent.parent
        if len({x["id"] for x in book.compounds.get(c.name, [])}) == 1:
            targets.append((c.name, b.name, u.name))
    rng = random.Random(7)
    with XlsxStreamWriter(path) as w:
        w.add_sheet("常住人口信息汇总表", ["姓名", "身份证号码", "联系电话", "小区", "楼栋", "单元", "房号", "与户主关系",
                                    "备注"])
        for i in range(n):
            comp, bld, unit = targets[(i // 3) % len(targets)]
            room_no = i // (3 * len(targets))
            room = f"{room_no // 8 + 1}{room_no % 8 + 1:02d}"
            sex = rng.random() < 0.5
            birth = dt.date(1950, 1, 1) + dt.timedelta(days=i // 400)
            cid = make_citizen_id("611099", birth, (i % 400) * 2 + (1 if sex else 2))
            name = rng.choice(SURNAMES) + rng.choice(MALE_CHARS if sex else FEMALE_CHARS) + rng.choice(FEMALE_CHARS)
            w.write_row([name, cid, f"139{rng.randint(0, 99999999):08d}", comp, bld, unit, room,
                         ("户主", "配偶", "子女")[i % 3], ""])


def bench_handle(options, stdout):
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False  # measure as in production: no per-query logging (DEBUG=1 only spares a SECRET_KEY)

    from fangkong.areas.models import Area
    from fangkong.residents import selectors
    from fangkong.residents.importers import FIELDS, import_ledger
    from fangkong.residents.models import Household, Person
    from fangkong.residents.seed import seed_city

    out: dict = {"database": connection.vendor, "persons": options["persons"],
                 "loadavg_start": [round(x, 2) for x in os.getloadavg()]}
    from django.core.management import call_command

    if not Area.objects.exists():
        call_command("load_divisions", stdout=open(os.devnull, "w"))
    if not options["skip_seed"]:
        t, cpu0 = time.perf_counter(), time.process_time()
        seed_city(persons=options["persons"], seed=options["seed"])
        out["seed_seconds"] = round(time.perf_counter() - t, 2)
        out["seed_cpu_seconds"] = round(time.process_time() - cpu0, 2)
        if connection.vendor == "sqlite":
            _baseline_figures(out)
        _partial(out)
    elif connection.vendor == "sqlite":
        options["baseline_last"] = True  # seeded earlier: the raw executemany of the same rows is measured last
    user, city = _bench_user()
    # counts for the whole city
    t = time.perf_counter()
    out["city_counts"] = selectors.city_counts(user, city)
    out["city_counts_seconds"] = round(time.perf_counter() - t, 3)
    # searches
    rng = random.Random(3)
    sample = list(Person.objects.filter(pk__in=[rng.randint(1, Person.objects.count()) for _ in range(60)])
                  .values("name", "name_initials", "id_number", "phone"))
    queries = []
    for s in sample:
        queries += [s["name"], s["name_initials"], s["id_number"][-6:], s["phone"] or s["name"]]
    addr = list(Household.objects.filter(pk__in=[rng.randint(1, Household.objects.count()) for _ in range(40)])
                .values_list("address", flat=True))
    queries += [a[:8] for a in addr]
    times = []
    for q in queries:
        t = time.perf_counter()
        list(selectors.person_search(user, q)[:50])
        times.append(time.perf_counter() - t)
    out["search_p95_ms"] = _p95(times)
    out["search_queries"] = len(queries)
    buildings = list(Area.objects.filter(level="building").values_list("id", flat=True))
    times = []
    for bid in rng.sample(buildings, min(60, len(buildings))):
        b = Area.objects.get(pk=bid)
        t = time.perf_counter()
        selectors.building_grid(user, b)
        times.append(time.perf_counter() - t)
    out["building_view_p95_ms"] = _p95(times)
    _partial(out)
    # import
    if not options["skip_import"]:
        street = Area.objects.get(code="611002001000")
        fd, path = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        _make_import_file(street, options["import_rows"], path)
        from fangkong.core.excel import read_table

        t = time.perf_counter()
        table = read_table(path, filename="ledger.xlsx", fields=FIELDS, kinds={"birth_date": "date"})
        for _row in table.rows():
            pass
        read_s = time.perf_counter() - t
        cpu0 = time.process_time()
        t = time.perf_counter()
        res = import_ledger(actor=user, area=street, path=path, filename="ledger.xlsx", dry_run=False,
                            error_dir=tempfile.gettempdir())
        imp_s = time.perf_counter() - t
        imp_cpu = time.process_time() - cpu0
        out["import"] = {"rows": res.total, "created": res.created, "updated": res.updated, "errors": res.errors,
                         "seconds": round(imp_s, 2), "rows_per_second": round(res.total / imp_s),
                         "cpu_seconds": round(imp_cpu, 2), "rows_per_cpu_second": round(res.total / imp_cpu),
                         "read_only_seconds": round(read_s, 2), "ratio_to_read": round(imp_s / read_s, 2)}
        t = time.perf_counter()
        res2 = import_ledger(actor=user, area=street, path=path, filename="ledger.xlsx", dry_run=False,
                             error_dir=tempfile.gettempdir())
        out["import"]["second_run"] = {"created": res2.created, "updated": res2.updated, "unchanged": res2.unchanged,
                                       "seconds": round(time.perf_counter() - t, 2)}
        os.unlink(path)
        _partial(out)
    if not options["skip_export"]:
        from fangkong.residents.jobs import persons_export

        fd, xpath = tempfile.mkstemp(suffix=".xlsx")
        os.close(fd)
        gc.collect()
        reset = _reset_peak_rss()
        before = _rss_mb("VmRSS")
        t, cpu0 = time.perf_counter(), time.process_time()
        _path, rows = persons_export(actor=user, area=city, path=xpath)  # keyset chunks + XlsxStreamWriter
        out["export"] = {"rows": rows, "seconds": round(time.perf_counter() - t, 2),
                         "cpu_seconds": round(time.process_time() - cpu0, 2), "rss_before_mb": before,
                         "peak_rss_mb": _rss_mb("VmHWM"), "peak_is_export_only": reset,
                         "file_mb": round(os.path.getsize(xpath) / 2**20, 1)}
        os.unlink(xpath)
        _partial(out)
        # the same export as an operator runs it (`fangkong export residents`): a fresh process, whose peak RSS is
        # the export's alone (this process still holds the seed's and the import's freed-but-kept heap)
        import subprocess

        t = time.perf_counter()
        children = resource.getrusage(resource.RUSAGE_CHILDREN)  # the seed's generator processes are in it
        proc = subprocess.run([sys.executable, "-m", "fangkong", "export", "residents", "--area", city.code,
                               "--as", user.username, "-o", xpath], capture_output=True, text=True, check=False)
        child = resource.getrusage(resource.RUSAGE_CHILDREN)
        summary = (proc.stdout.strip().splitlines() or [""])[-1]
        try:
            peak = json.loads(summary).get("peak_rss_mb")  # the child's own VmHWM (see `export`)
        except ValueError:
            peak = None
        out["export_process"] = {"returncode": proc.returncode, "seconds": round(time.perf_counter() - t, 2),
                                 "cpu_seconds": round(child.ru_utime + child.ru_stime - children.ru_utime
                                                      - children.ru_stime, 2),
                                 "peak_rss_mb": peak, "summary": summary[:300]}
        if os.path.exists(xpath):
            os.unlink(xpath)
        _partial(out)
    if options.get("baseline_last"):
        _baseline_figures(out)
        _partial(out)
    out["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    stdout.write(json.dumps(out, ensure_ascii=False))


IMPORT = {"residents": Subcommand(import_args, import_handle, "导入常住人口台账（xlsx/xls/ods/csv）")}
EXPORT = {"residents": Subcommand(export_args, export_handle, "导出居民台账（xlsx）")}
BENCH = {"residents": Subcommand(bench_args, bench_handle, "居民台账基准测试（生成、导入、查询、导出）")}
