"""`fangkong bench testing`: the morning peak, measured. Prints JSON.

    fangkong bench testing --persons 2000000            # bulk ingest, coverage, results, recall
    fangkong bench testing --persons 2000000 --http 60  # + HTTP load with gunicorn on loopback
    fangkong bench testing --persons 2000000 --http 60 --kill   # + SIGKILL in the middle

Run it on a database of its own (it creates a synthetic city: areas, persons, users); a second run
reuses the persons and opens a new round.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import secrets
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter

from fangkong.core.commands import Subcommand

REGION = "611002"


def add_arguments(parser):
    parser.add_argument("--persons", type=int, default=100_000)
    parser.add_argument("--per-building", type=int, default=100)
    parser.add_argument("--batch", type=int, default=5000, help="bindings per service call in the bulk path")
    parser.add_argument("--skip-bulk", action="store_true", help="only the HTTP part")
    parser.add_argument("--callers", type=int, default=1,
                        help="bulk path: this many processes call the service at once, each with its own batches "
                             "(one per core uses the database and Python side by side)")
    parser.add_argument("--http", type=int, default=0, metavar="SECONDS", help="HTTP load for this many seconds")
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--worker-class", default="gthread", help="gunicorn worker class: sync, gthread")
    parser.add_argument("--threads", type=int, default=4,
                        help="threads per gunicorn worker (gthread; 2 × 4 is what `fangkong demo` and the README run)")
    parser.add_argument("--dup-rate", type=float, default=0.10)
    parser.add_argument("--rate", type=int, default=0, metavar="BINDINGS_PER_S",
                        help="open loop: the terminals together offer this many new bindings per second, each "
                             "on its own schedule (default 0: closed loop, each posts again as soon as answered)")
    parser.add_argument("--kill", action="store_true", help="SIGKILL the server in the middle of the load")
    parser.add_argument("--micro", type=int, default=0, metavar="N",
                        help="call the WSGI app in-process N times per path (fast path, then Django) and "
                             "print CPU per request")


def _now():
    from django.utils import timezone

    return timezone.now()


def _ensure_city(n_persons: int, per_building: int, log) -> dict:
    """Areas (communities → grid → compound → buildings) under the streets of 商州区, and persons."""
    from django.db import connection, transaction

    from fangkong.areas.models import Area
    from fangkong.areas.services import divisions_load
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.models import Person

    if not Area.objects.filter(code="611000000000").exists():
        divisions_load()
    city = Area.objects.get(code="611000000000")
    have = Person.objects.count()
    if have >= n_persons:
        log(f"reusing {have} persons")
        return {"city": city, "created": 0}
    t0 = time.perf_counter()
    streets = list(Area.objects.filter(level="street", path__startswith=city.path).order_by("path"))
    n_buildings = -(-n_persons // per_building)
    per_community = 50
    n_communities = -(-n_buildings // per_community)
    now = _now()
    areas: list[Area] = []
    buildings: list[Area] = []
    for c in range(n_communities):
        street = streets[c % len(streets)]
        seq = 500 + c // len(streets)
        code = f"{street.code}{seq:03d}"
        comm = Area(code=code, name=f"压测社区{c}", level="community", kind="community", parent=street,
                    path=f"{street.path}{code}/", depth=3, created_at=now, updated_at=now)
        grid = Area(code=code + "001", name="第1网格", level="grid", kind="grid", path=f"{comm.path}{code}001/",
                    depth=4, created_at=now, updated_at=now)
        comp = Area(code=code + "001001", name=f"压测小区{c}", level="compound", kind="compound",
                    path=f"{grid.path}{code}001001/", depth=5, created_at=now, updated_at=now)
        areas += [comm, grid, comp]
        for b in range(min(per_community, n_buildings - c * per_community)):
            bcode = f"{code}001001{b + 1:03d}"
            bld = Area(code=bcode, name=f"{b + 1}号楼", level="building", kind="building",
                       path=f"{comp.path}{bcode}/", depth=6, created_at=now, updated_at=now)
            areas.append(bld)
            buildings.append(bld)
    with transaction.atomic():
        by_code = {}
        for level in ("community", "grid", "compound", "building"):
            batch = [a for a in areas if a.level == level]
            for a in batch:
                parent_code = a.path.strip("/").split("/")[-2]
                a.parent = by_code.get(parent_code) or a.parent
            Area.objects.bulk_create(batch, batch_size=2000)
            by_code.update({a.code: a for a in Area.objects.filter(code__in=[a.code for a in batch])})
    buildings = [by_code[b.code] for b in buildings]
    log(f"areas: {len(areas)} in {time.perf_counter() - t0:.1f}s")
    t0 = time.perf_counter()
    base = dt.date(1940, 1, 1)
    table = Person._meta.db_table
    cols = "area_id, area_path, name, name_initials, id_type, id_number, id_tail, sex, birth_date, phone, " \
           "residence_type, relationship, workplace, notes, walk_in, needs_review, created_at, updated_at"
    with connection.cursor() as cur:
        for start in range(have, n_persons, 20_000):
            rows = []
            for i in range(start, min(n_persons, start + 20_000)):
                birth = base + dt.timedelta(days=(i * 7919) % 31000)
                cid = make_citizen_id(REGION, birth, i // 31000)
                b = buildings[i // per_building]
                rows.append((b.pk, b.path, f"居民{i}", "JM", "citizen_id", cid, cid[-6:], "U", birth, "",
                             "resident", "", "", "", False, False, now, now))
            with transaction.atomic():
                for s in range(0, len(rows), 1000):
                    chunk = rows[s:s + 1000]
                    values = ", ".join(["(" + ", ".join(["%s"] * 18) + ")"] * len(chunk))
                    cur.execute(f"INSERT INTO {table} ({cols}) VALUES {values}",  # noqa: S608
                                [v for r in chunk for v in r])
    log(f"persons: {n_persons - have} in {time.perf_counter() - t0:.1f}s")
    with connection.cursor() as cur:  # statistics for the planner (autovacuum may be off or behind)
        cur.execute("ANALYZE")
    return {"city": city, "created": n_persons - have}


def _users(city):
    from fangkong.accounts.models import User
    from fangkong.accounts.services import role_assign

    users = {}
    for name, role in (("bench_hq", "hq"), ("bench_sampler", "sampler"), ("bench_lab", "lab")):
        user, created = User.objects.get_or_create(username=name, defaults={"display_name": name})
        if created:
            role_assign(actor=None, user=user, role=role, area=city)
        users[role] = user
    return users


def _sites(hq, n: int):
    from fangkong.areas.models import Area
    from fangkong.testing import services
    from fangkong.testing.models import Table

    tables = list(Table.objects.filter(site__name__startswith="压测采样点").values_list("pk", flat=True))
    if tables:
        return tables
    for comm in Area.objects.filter(name__startswith="压测社区").order_by("path")[:n]:
        services.site_create(actor=hq, area=comm, name=f"压测采样点{comm.code}", tables=2)
    return list(Table.objects.filter(site__name__startswith="压测采样点").values_list("pk", flat=True))


def _open_round(hq, city, name):
    from fangkong.testing import services

    start = _now() - dt.timedelta(hours=1)
    t0 = time.perf_counter()
    r = services.round_create(actor=hq, name=name, area=city, starts_at=start, ends_at=start + dt.timedelta(hours=14),
                              areas=[services.AreaSpec(city, "pool", 10)])
    return r, time.perf_counter() - t0


def _bulk(options, out, log, city, users, tables):
    from django.db import connection, transaction

    from fangkong.residents.models import Person
    from fangkong.testing import selectors, services
    from fangkong.testing.models import Tube

    hq, sampler, lab = users["hq"], users["sampler"], users["lab"]
    r, open_s = _open_round(hq, city, f"压测轮次 {_now():%m-%d %H:%M:%S}")
    out["round_open_s"] = round(open_s, 2)
    log(f"round opened in {open_s:.1f}s")
    persons = list(Person.objects.order_by("area_path", "id").values_list("id_number", "area_path"))
    run = secrets.token_hex(3).upper()
    at = (r.starts_at + dt.timedelta(minutes=30)).isoformat()
    n = len(persons) - len(persons) % 10
    # One table per building's community.
    from fangkong.testing.models import Table

    table_of = {}
    for t in Table.objects.filter(pk__in=tables).select_related("site"):
        table_of.setdefault(t.site.area_path, t.pk)

    def table_for(path):
        parts = path.strip("/").split("/")
        return table_of.get("/" + "/".join(parts[:4]) + "/", tables[0])

    def items_for(start, stop):
        return [{"client_id": f"B{run}-{i}", "round": r.pk, "tube": f"B{run}{i // 10:07d}", "capacity": 10,
                 "table": table_for(persons[i][1]), "id_type": "citizen_id", "id_number": persons[i][0],
                 "sampled_at": at} for i in range(start, stop)]

    # Raw insert of the same rows into a scratch table with the same indexes (the yardstick).
    vendor = connection.vendor
    with connection.cursor() as cur:
        cur.execute("DROP TABLE IF EXISTS bench_raw_binding")
        if vendor == "postgresql":
            cur.execute("CREATE TABLE bench_raw_binding (LIKE testing_binding INCLUDING ALL)")
        else:
            cur.execute("CREATE TABLE bench_raw_binding (id integer primary key autoincrement, client_id varchar(64) "
                        "UNIQUE NOT NULL, round_id bigint, tube_id bigint, table_id bigint, person_id bigint, "
                        "sampled_at datetime, received_at datetime, batch varchar(32), repeat bool, walk_in bool)")
            cur.execute("CREATE INDEX bench_raw_p ON bench_raw_binding (person_id, sampled_at)")
            cur.execute("CREATE INDEX bench_raw_t ON bench_raw_binding (table_id, sampled_at)")
            cur.execute("CREATE INDEX bench_raw_tube ON bench_raw_binding (tube_id)")
    pid_of = dict(Person.objects.values_list("id_number", "id"))
    t_raw = 0.0
    cols = "client_id, round_id, tube_id, table_id, person_id, sampled_at, received_at, batch, repeat, walk_in"
    now = _now()
    for start in range(0, n, options["batch"]):
        rows = [(it["client_id"], r.pk, i // 10, it["table"], pid_of[it["id_number"]], r.starts_at, now, "raw",
                 False, False) for i, it in zip(range(start, min(n, start + options["batch"])),
                                               items_for(start, min(n, start + options["batch"])), strict=True)]
        t0 = time.perf_counter()
        with transaction.atomic(), connection.cursor() as cur:
            for s in range(0, len(rows), 1000):
                chunk = rows[s:s + 1000]
                values = ", ".join(["(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"] * len(chunk))
                cur.execute(f"INSERT INTO bench_raw_binding ({cols}) VALUES {values}",  # noqa: S608
                            [v for row in chunk for v in row])
        t_raw += time.perf_counter() - t0
    del pid_of
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_raw_binding")
    log(f"raw insert: {n} rows in {t_raw:.1f}s")
    # The service's bulk path.
    t_svc = 0.0
    statuses: Counter = Counter()
    starts = list(range(0, n, options["batch"]))
    if options["callers"] > 1:
        t_svc, statuses = _parallel(options["callers"], starts, lambda s: services.bindings_ingest(
            actor=sampler, items=items_for(s, min(n, s + options["batch"]))))
        log(f"  ingest with {options['callers']} callers: {n} in {t_svc:.1f}s")
    for start in starts if options["callers"] <= 1 else []:
        items = items_for(start, min(n, start + options["batch"]))
        t0 = time.perf_counter()
        res = services.bindings_ingest(actor=sampler, items=items)
        t_svc += time.perf_counter() - t0
        statuses.update(x["status"] for x in res)
        if start // options["batch"] % 40 == 0:
            log(f"  ingest {start + len(items)}/{n}: {(start + len(items)) / t_svc:.0f}/s")
    out["bulk_ingest"] = {"bindings": n, "callers": options["callers"], "batch": options["batch"],
                          "seconds": round(t_svc, 2), "per_second": round(n / t_svc),
                          "raw_insert_seconds": round(t_raw, 2), "raw_per_second": round(n / t_raw),
                          "service_over_raw_time": round(t_svc / t_raw, 2), "statuses": dict(statuses)}
    log(json.dumps(out["bulk_ingest"]))
    with connection.cursor() as cur:  # what autovacuum does after such a load (it may be off or behind)
        for table in ("testing_binding", "testing_roundsample", "testing_tube"):
            cur.execute(f"ANALYZE {table}")
    # Coverage and lists.
    t0 = time.perf_counter()
    totals = selectors.coverage_totals(r, city)
    out["city_coverage_s"] = round(time.perf_counter() - t0, 3)
    t0 = time.perf_counter()
    children = selectors.coverage_children(r, city)
    out["city_children_coverage_s"] = round(time.perf_counter() - t0, 3)
    out["city_coverage"] = {k: totals[k] for k in ("should", "tested", "untested", "exempt", "pending")}
    from fangkong.areas.models import Area

    buildings = list(Area.objects.filter(level="building", name__endswith="号楼", code__contains="001001")
                     .order_by("?")[:20])
    timings = []
    for b in buildings:
        t0 = time.perf_counter()
        list(selectors.untested_qs(r, b)[:200])
        timings.append(time.perf_counter() - t0)
    timings.sort()
    out["building_untested_ms"] = {"median": round(timings[len(timings) // 2] * 1000, 1),
                                   "max": round(timings[-1] * 1000, 1), "buildings": len(timings)}
    del children
    # Results: all tubes but one negative, in lab batches; then one positive pool → recalls.
    barcodes = list(Tube.objects.filter(round=r).order_by("barcode").values_list("barcode", flat=True))
    last = barcodes.pop()
    def lab_upload(start):
        return services.results_ingest(actor=lab, items=[{"tube": b, "result": "negative"}
                                                         for b in barcodes[start:start + 5000]])

    uploads = list(range(0, len(barcodes), 5000))
    if options["callers"] > 1:  # several labs upload at once
        t, got = _parallel(options["callers"], uploads, lab_upload)
        accepted = got["accepted"]
    else:
        t0 = time.perf_counter()
        accepted = sum(x["status"] == "accepted" for start in uploads for x in lab_upload(start))
        t = time.perf_counter() - t0
    out["results_ingest"] = {"tubes": len(barcodes), "callers": options["callers"], "accepted": accepted,
                             "seconds": round(t, 2), "tubes_per_second": round(len(barcodes) / t)}
    t0 = time.perf_counter()
    services.results_ingest(actor=lab, items=[{"tube": last, "result": "positive"}])
    out["positive_pool_to_recalls_s"] = round(time.perf_counter() - t0, 3)
    from fangkong.testing.models import Recall

    out["recalls_created"] = Recall.objects.filter(tube__barcode=last).count()
    totals = selectors.coverage_totals(r, city)
    out["city_after_results"] = {k: totals[k] for k in ("tested", "pending", "negative", "pool_positive")}


def _parallel(callers: int, tasks: list, call) -> tuple[float, Counter]:
    """`callers` forked processes, each running `call(task)` (a service call answering a list of
    {"status": …}) on every `callers`-th task with its own database connection; the wall time from
    the first call to the last answer, and the statuses."""
    import multiprocessing

    from django.db import connections

    def work(k: int, queue) -> None:
        connections.close_all()  # the parent's socket is not ours: open a new connection
        got: Counter = Counter()
        for task in tasks[k::callers]:
            got.update(x["status"] for x in call(task))
        connections.close_all()
        queue.put(dict(got))

    connections.close_all()
    ctx = multiprocessing.get_context("fork")
    queue = ctx.Queue()
    t0 = time.perf_counter()
    procs = [ctx.Process(target=work, args=(k, queue)) for k in range(callers)]
    for proc in procs:
        proc.start()
    statuses: Counter = Counter()
    for _ in procs:
        statuses.update(queue.get())
    for proc in procs:
        proc.join()
    wall = time.perf_counter() - t0
    if any(proc.exitcode for proc in procs):
        raise RuntimeError(f"a caller failed: exit codes {[proc.exitcode for proc in procs]}")
    return wall, statuses


def _free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def _start_server(port, options):
    env = {**os.environ, "SECRET_KEY": secrets.token_urlsafe(40), "DEBUG": "0", "AXES_ENABLED": "0"}
    env.pop("FANGKONG_TESTING", None)
    cmd = [sys.executable, "-m", "gunicorn", "fangkong.wsgi:application", "-b", f"127.0.0.1:{port}", "-w",
           str(options["workers"]), "-k", options["worker_class"], "--threads", str(options["threads"]), "--backlog", "2048", "--log-level", "warning", "--timeout", "60"]
    proc = subprocess.Popen(cmd, env=env, start_new_session=True, stdout=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                break
        except OSError:
            time.sleep(0.2)
    time.sleep(1.0)
    return proc


def _group_cpu_s(pgid: int) -> float:
    """CPU seconds (user + system) of the live processes of a process group, from /proc (Linux)."""
    total = 0
    tick = os.sysconf("SC_CLK_TCK")
    for pid in os.listdir("/proc"):
        if not pid.isdigit():
            continue
        try:
            fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[2]) == pgid:  # fields after the name: state, ppid, pgrp, …
            total += int(fields[11]) + int(fields[12])
    return total / tick


def _machine_busy() -> tuple[float, float]:
    """(busy, total) jiffies of all cores since boot, from /proc/stat."""
    parts = [float(v) for v in open("/proc/stat").readline().split()[1:]]
    idle = parts[3] + parts[4]
    return sum(parts) - idle, sum(parts)


def _http(options, out, log, city, users, tables):
    from django.db import connection

    from fangkong.accounts.services import token_create
    from fangkong.residents.models import Person
    from fangkong.testing.models import Binding, Tube

    r, _ = _open_round(users["hq"], city, f"压测HTTP {_now():%m-%d %H:%M:%S}")
    _t, token = token_create(actor=None, user=users["sampler"], name="bench")
    duration = options["http"]
    conc = options["concurrency"]
    need = conc * 10 * max(60, duration * 40)  # enough people that no terminal runs out
    ids = list(Person.objects.order_by("id").values_list("id_number", flat=True)[:need])
    prefix = "H" + secrets.token_hex(2).upper()
    port = _free_port()
    cfg = {"url": f"http://127.0.0.1:{port}/api/v1/testing/bindings", "token": token, "duration": duration,
           "concurrency": conc, "dup_rate": options["dup_rate"], "round": r.pk, "tables": tables[:50],
           "id_numbers": ids, "prefix": prefix, "sampled_at": (r.starts_at + dt.timedelta(minutes=5)).isoformat(),
           "grace": 60, "rate": options["rate"]}
    tmp = tempfile.mkdtemp(prefix="fk-bench-")
    cfg_path, out_path = os.path.join(tmp, "cfg.json"), os.path.join(tmp, "out.json")
    json.dump(cfg, open(cfg_path, "w"))
    if connection.vendor == "postgresql":  # start from a clean slate: not in the middle of writing out
        try:                                # the bulk phase's gigabytes (its checkpoint tripled the p99)
            with connection.cursor() as cur:
                cur.execute("CHECKPOINT")
        except Exception as exc:  # noqa: BLE001 - needs superuser or pg_checkpoint; the run goes on
            log(f"no CHECKPOINT before the load: {exc}")
    server = _start_server(port, options)
    log(f"gunicorn on :{port} ({options['workers']} {options['worker_class']} workers × {options['threads']} threads); "
        f"load {conc} terminals for {duration}s")
    busy0 = _machine_busy()
    load = subprocess.Popen([sys.executable, "-m", "fangkong.testing.loadgen", cfg_path, out_path])
    killed_at = None
    if options["kill"]:
        time.sleep(duration / 2)
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()
        killed_at = round(duration / 2, 1)
        log("server SIGKILLed; restarting")
        t0 = time.perf_counter()
        server = _start_server(port, options)
        out["restart_s"] = round(time.perf_counter() - t0, 1)
    load.wait()
    busy1 = _machine_busy()
    server_cpu = _group_cpu_s(server.pid)
    os.killpg(server.pid, signal.SIGTERM)
    server.wait()
    res = json.load(open(out_path))
    acked = set(res.pop("acked"))
    in_db = set(Binding.objects.filter(client_id__startswith=prefix).values_list("client_id", flat=True))
    tube_sum = sum(Tube.objects.filter(barcode__startswith=prefix).values_list("count", flat=True))
    run_s = res["elapsed_s"]
    out["http"] = {
        "gunicorn": f"{options['workers']} × {options['worker_class']}" + (
            f" × {options['threads']} threads" if options["worker_class"] == "gthread" else ""),
        **res, "server_cpu_s": round(server_cpu, 1), "server_cpu_share": round(server_cpu / res["elapsed_s"], 2),
        "machine_busy_share_of_2_cores": round((busy1[0] - busy0[0]) / (busy1[1] - busy0[1]) * 2, 2),
        "killed_at_s": killed_at, "accepted_per_second": round(res["accepted"] / run_s),
        "acknowledged_bindings": len(acked), "bindings_in_db": len(in_db),
        "acknowledged_missing_from_db": len(acked - in_db), "in_db_not_acknowledged": len(in_db - acked),
        "accepted_equals_db": res["accepted"] == len(in_db), "tube_counts_equal_bindings": tube_sum == len(in_db),
    }


def _pid_cpu_s(pid: int) -> float:
    try:
        fields = open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _micro(options, out, log, city, users, tables):
    """CPU per 10-binding request, in-process: the WSGI application (`fangkong.wsgi`) called directly
    with one tube per request, first through the fast path, then with it disabled (Django + ninja)."""
    import io

    from django.db import connection

    from fangkong.accounts.services import token_create
    from fangkong.residents.models import Person
    from fangkong.wsgi import application

    n = options["micro"]
    r, _ = _open_round(users["hq"], city, f"压测micro {_now():%m-%d %H:%M:%S}")
    _t, token = token_create(actor=None, user=users["sampler"], name="bench-micro")
    ids = list(Person.objects.order_by("-id").values_list("id_number", flat=True)[:n * 20 + 20])
    at = (r.starts_at + dt.timedelta(minutes=5)).isoformat()
    run = secrets.token_hex(2).upper()

    def body(k):
        tube = f"M{run}{k:06d}"
        return json.dumps({"items": [{"client_id": f"{tube}-{j}", "round": r.pk, "tube": tube, "capacity": 10,
                                      "table": tables[k % len(tables)], "id_type": "citizen_id",
                                      "id_number": ids[k * 10 + j], "sampled_at": at} for j in range(10)]}).encode()

    def call(data):
        environ = {"REQUEST_METHOD": "POST", "PATH_INFO": "/api/v1/testing/bindings", "SERVER_NAME": "127.0.0.1",
                   "SERVER_PORT": "8000", "HTTP_HOST": "127.0.0.1", "wsgi.url_scheme": "http",
                   "CONTENT_TYPE": "application/json", "CONTENT_LENGTH": str(len(data)),
                   "HTTP_AUTHORIZATION": f"Bearer {token}", "REMOTE_ADDR": "127.0.0.1",
                   "wsgi.input": io.BytesIO(data), "SCRIPT_NAME": "", "QUERY_STRING": ""}
        status = []
        chunks = application(environ, lambda s, h, *a: status.append(s))
        payload = b"".join(chunks)
        if hasattr(chunks, "close"):
            chunks.close()
        assert status[0].startswith("200"), (status, payload[:300])
        return json.loads(payload)

    res: dict = {}
    k = 0
    for label, fast in (("fast_path", True), ("django_ninja", False)):
        application.enabled = fast
        call(body(k))  # warm up (token cache, connection)
        k += 1
        with connection.cursor() as cur:
            cur.execute("SELECT pg_backend_pid()" if connection.vendor == "postgresql" else "SELECT 0")
            backend = cur.fetchone()[0]
        db0 = _pid_cpu_s(backend) if backend else 0.0
        c0, w0 = time.process_time(), time.perf_counter()
        statuses: Counter = Counter()
        for _ in range(n):
            statuses.update(x["status"] for x in call(body(k))["results"])
            k += 1
        cpu, wall = time.process_time() - c0, time.perf_counter() - w0
        db = (_pid_cpu_s(backend) - db0) if backend else None
        res[label] = {"requests": n, "python_cpu_ms_per_request": round(cpu / n * 1000, 2),
                      "wall_ms_per_request": round(wall / n * 1000, 2),
                      "postgres_backend_cpu_ms_per_request": round(db / n * 1000, 2) if db is not None else None,
                      "statuses": dict(statuses)}
        log(f"micro {label}: {json.dumps(res[label])}")
    application.enabled = True
    res["load_average"] = os.getloadavg()
    out["micro"] = res


def handle(options, stdout):
    def log(msg):
        print(f"[bench testing] {msg}", file=sys.stderr, flush=True)

    from django.db import connection

    out: dict = {"database": connection.vendor, "persons": options["persons"]}
    t0 = time.perf_counter()
    city_info = _ensure_city(options["persons"], options["per_building"], log)
    out["setup_s"] = round(time.perf_counter() - t0, 1)
    city = city_info["city"]
    users = _users(city)
    tables = _sites(users["hq"], 200)
    if not options["skip_bulk"]:
        _bulk(options, out, log, city, users, tables)
    if options["micro"]:
        _micro(options, out, log, city, users, tables)
    if options["http"]:
        _http(options, out, log, city, users, tables)
    stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")


BENCH = {"testing": Subcommand(add_arguments, handle, "testing rounds under the morning peak (JSON)")}
