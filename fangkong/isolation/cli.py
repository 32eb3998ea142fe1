"""`fangkong bench isolation --persons N --isolated M`: the isolation issue's figures, as JSON.

* generating the day's follow-up and test tasks for the whole city (target ≤ 30 s), and again (idempotent);
* a site's and a grid's work list for today (target < 100 ms), and a guardian's.

Synthetic persons come from the epi bench helpers (re-used when present); episodes are bulk-inserted
with the phase of a real `control_plan` (第九版 close contacts at sites, secondary contacts at home).
Use a throwaway database (DATABASE_URL=sqlite:////…/var/bench.sqlite3 or postgres://…/fk_isolation_bench).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import statistics
import time

from fangkong.core.commands import Subcommand


def _args(parser):
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--isolated", type=int, default=50_000)
    parser.add_argument("--sites", type=int, default=120)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--seed", type=int, default=2022)


def _ms(times):
    times = sorted(times)
    return {"p50": round(statistics.median(times), 2), "p95": round(times[max(0, int(len(times) * 0.95) - 1)], 2),
            "max": round(times[-1], 2), "samples": len(times), "target_ms": 100}


def _episodes(county, hq, units, m, n_sites, day, rng):
    from fangkong.epi import rules as epi_rules
    from fangkong.isolation import rules
    from fangkong.isolation.models import Episode, GuardianMember, Room, Site
    from fangkong.residents.models import Person

    if Episode.objects.exists():
        return 0.0, list(Site.objects.all())
    t0 = time.perf_counter()
    street = units[0].parent.parent.parent.parent.parent
    centralized = m * 3 // 5
    rooms_per_site = -(-centralized // n_sites) + 20
    sites = Site.objects.bulk_create([Site(name=f"基准隔离点{i + 1}", area=street, area_path=street.path)
                                      for i in range(n_sites)])
    Room.objects.bulk_create([Room(site=s, number=str(100 + r)) for s in sites for r in range(rooms_per_site)],
                             batch_size=10_000)
    rooms = {}
    for rid, sid in Room.objects.values_list("id", "site_id").order_by("id"):
        rooms.setdefault(sid, []).append(rid)
    rs = epi_rules.ruleset_get("di9ban")
    plans = {}
    people = list(Person.objects.order_by("id").values_list("id", "area_path")[: m * 4: 4])[:m]
    rows = []
    for i, (pid, path) in enumerate(people):
        start = day - dt.timedelta(days=i % 7)
        mode = "centralized" if i < centralized else "home"
        cat = "close_contact" if mode == "centralized" else "secondary_contact"
        key = (cat, start)
        if key not in plans:
            plan = epi_rules.control_plan(rs, cat, last_exposure=start, isolation_start=start)
            plans[key] = (plan, rules.isolation_phase(plan, mode))
        plan, ph = plans[key]
        site = sites[i % n_sites] if mode == "centralized" else None
        rows.append(Episode(person_id=pid, mode=mode, state="active", site=site,
                            room_id=rooms[site.pk][i // n_sites] if site else None, ruleset_id=rs.id,
                            ruleset_version=rs.version, ruleset_name=rs.short_name, category=cat,
                            category_name=plan.category_name, last_exposure=start, isolation_start=start,
                            phase_index=ph.index, phase_kind=ph.kind, rule_id=ph.rule_id, phase_start=ph.start,
                            phase_end=ph.end, test_dates=[t.date.isoformat() for t in ph.tests], area_path=path,
                            site_path=site.area_path if site else "", admitted_by=hq))
    Episode.objects.bulk_create(rows, batch_size=5000)
    home = list(Episode.objects.filter(mode="home").values_list("id", flat=True))
    GuardianMember.objects.bulk_create([GuardianMember(episode_id=e, user=hq, team_role="社区干部")
                                        for e in home[:15]])
    return time.perf_counter() - t0, sites


def _handle(options, stdout):
    from django.db import connection

    from fangkong.areas.models import Area
    from fangkong.areas.services import divisions_load
    from fangkong.epi.cli import _persons, _tree, _user
    from fangkong.isolation import selectors, services
    from fangkong.isolation.models import Episode, Task

    rng = random.Random(options["seed"])
    if not Area.objects.filter(code="611002000000").exists():
        divisions_load()
    city, county = Area.objects.get(code="611000000000"), Area.objects.get(code="611002000000")
    hq = _user("bench_hq", "hq", city)
    units = _tree(county, hq)
    day = dt.date(2022, 10, 10)
    out: dict = {"database": connection.vendor}
    out["insert_persons_s"] = round(_persons(units, options["persons"], rng), 2)
    secs, sites = _episodes(county, hq, units, options["isolated"], options["sites"], day, rng)
    out["insert_episodes_s"] = round(secs, 2)
    out["persons"] = options["persons"]
    out["episodes_open"] = Episode.objects.filter(state__in=("active", "transfer")).count()
    Task.objects.filter(due_date=day).delete()
    t0 = time.perf_counter()
    first = services.tasks_generate(day=day)
    out["tasks_generate_city"] = {"seconds": round(time.perf_counter() - t0, 2), **first, "target_s": 30}
    t0 = time.perf_counter()
    services.tasks_generate(day=day)
    out["tasks_generate_again_s"] = round(time.perf_counter() - t0, 2)
    out["tasks_for_day"] = Task.objects.filter(due_date=day).count()
    with connection.cursor() as cur:  # planner statistics, as autovacuum keeps them on PostgreSQL
        cur.execute("ANALYZE")

    times = []
    for site in rng.sample(sites, min(options["samples"], len(sites))):
        t0 = time.perf_counter()
        s = selectors.site_get(hq, site.pk)
        wl = selectors.worklist_site(hq, s, day)
        times.append((time.perf_counter() - t0) * 1000)
    out["site_worklist_ms"] = {**_ms(times), "follow_ups_due_last": len(wl["follow_ups_due"])}
    grids = list(Area.objects.filter(path__startswith=county.path, level="grid").exclude(
        name__startswith="第").values_list("path", flat=True)) or list(
        Area.objects.filter(path__startswith=county.path, level="grid").values_list("path", flat=True))
    times = []
    for path in rng.choices(grids, k=options["samples"]):
        t0 = time.perf_counter()
        wl = selectors.worklist_area(hq, path, day)
        times.append((time.perf_counter() - t0) * 1000)
    out["grid_worklist_ms"] = {**_ms(times), "grids": len(grids), "follow_ups_due_last": len(wl["follow_ups_due"])}
    times = []
    for _ in range(20):
        t0 = time.perf_counter()
        selectors.worklist_guardian(hq, day)
        times.append((time.perf_counter() - t0) * 1000)
    out["guardian_worklist_ms"] = _ms(times)
    stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")


BENCH = {"isolation": Subcommand(_args, _handle, "隔离管控的性能基准（输出 JSON）")}
