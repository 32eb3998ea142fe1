"""`fangkong bench isolation --persons N --isolated M`: the isolation issue's figures, as JSON.

* generating the day's follow-up and test tasks for the whole city (target ≤ 30 s), and again (idempotent);
* a site's and a grid's work list for today (target < 100 ms each), through the selectors the pages use and
  through the pages themselves (Django test client); a guardian's list, a staff member's call sheet.

The base city is the synthetic population of `fangkong seed-city` (fangkong.residents.seed: bulk
executemany/COPY under the real demo tree), generated once when the database holds no persons. People under
isolation are drawn at random from it, so home isolations are spread over the grids as the population is;
the centralized ones go to `--sites` sites (default 50, ≤ 1,500 rooms each) placed in the most populous
streets of each county, in proportion to the county's share. A week of task history is generated before the
measured day (done, with one in ten missed). Wall-clock and process CPU seconds and the load average are
printed next to each figure. Use a throwaway database (DATABASE_URL=sqlite:////…/var/bench.sqlite3 or
postgres://…/fkb_…).
"""

from __future__ import annotations

import datetime as dt
import gc
import json
import math
import os
import random
import statistics
import time

from fangkong.core.commands import Subcommand

MAX_ROOMS = 1500


def _args(parser):
    parser.add_argument("--persons", type=int, default=2_000_000)
    parser.add_argument("--isolated", type=int, default=50_000)
    parser.add_argument("--sites", type=int, default=50)
    parser.add_argument("--centralized-share", type=float, default=0.6)
    parser.add_argument("--history-days", type=int, default=6)
    parser.add_argument("--samples", type=int, default=100)
    parser.add_argument("--page-samples", type=int, default=30)
    parser.add_argument("--seed", type=int, default=2022)


def _ms(times, cpu=None):
    times = sorted(times)
    out = {"p50": round(statistics.median(times), 2), "p95": round(times[max(0, math.ceil(len(times) * 0.95) - 1)], 2),
           "max": round(times[-1], 2), "samples": len(times), "target_ms": 100}
    if cpu:
        cpu = sorted(cpu)
        out["cpu_p50"] = round(statistics.median(cpu), 2)
        out["cpu_p95"] = round(cpu[max(0, math.ceil(len(cpu) * 0.95) - 1)], 2)
    return out


def _timed(fn):
    t0, c0 = time.perf_counter(), time.process_time()
    res = fn()
    return res, (time.perf_counter() - t0) * 1000, (time.process_time() - c0) * 1000


def _load() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


def _user(name, role, area):
    from fangkong.accounts.models import RoleAssignment, User

    user, _ = User.objects.get_or_create(username=name, defaults={"display_name": name})
    if role:
        RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
    return user


def _sample_people(m, rng):
    """m persons drawn at random from the whole city: (id, area_path, household_id)."""
    from django.db import connection

    from fangkong.residents.models import Person

    with connection.cursor() as cur:
        cur.execute("SELECT MIN(id), MAX(id) FROM residents_person")
        lo, hi = cur.fetchone()
    ids = sorted(rng.sample(range(lo, hi + 1), min(m * 11 // 10, hi - lo + 1)))
    out = []
    for i in range(0, len(ids), 900):
        out.extend(Person.objects.filter(id__in=ids[i:i + 900]).values_list("id", "area_path", "household_id")
                   .order_by())
    rng.shuffle(out)
    return out[:m]


def _place_sites(people_c, n_sites, hq):
    """Sites in the most populous streets of each county, as many per county as its share of the people."""
    from collections import Counter

    from fangkong.areas.models import Area
    from fangkong.isolation.models import DEFAULT_GROUPS, Site, SiteGroup

    def part(path, i):
        return "/" + "/".join([p for p in path.split("/") if p][:i]) + "/"

    by_county = Counter(part(p[1], 2) for p in people_c)
    by_street = Counter(part(p[1], 3) for p in people_c)
    counties = sorted(by_county)
    quota = {c: max(1, round(n_sites * by_county[c] / len(people_c))) for c in counties}
    while sum(quota.values()) > n_sites:
        quota[max(quota, key=lambda c: quota[c])] -= 1
    while sum(quota.values()) < n_sites:
        quota[max(counties, key=lambda c: by_county[c] / quota[c])] += 1
    streets = {a.path: a for a in Area.objects.filter(level="street")}
    sites = []
    for c in counties:
        ranked = sorted((st for st in by_street if st.startswith(c) and st in streets), key=lambda st: -by_street[st])
        for k in range(quota[c]):
            st = streets[ranked[k % len(ranked)]]
            sites.append(Site(name=f"{st.name}集中隔离点{k // len(ranked) + 1}", area=st, area_path=st.path,
                              address=f"{st.name}基准路{k + 1}号"))
    sites = Site.objects.bulk_create(sites)
    SiteGroup.objects.bulk_create([SiteGroup(site=s, name=g, order=i) for s in sites
                                   for i, g in enumerate(DEFAULT_GROUPS)])
    return sites


def _episodes(hq, m, n_sites, share, day, rng):
    from fangkong.accounts.models import User
    from fangkong.epi import rules as epi_rules
    from fangkong.isolation import rules
    from fangkong.isolation.models import Episode, GuardianMember, Room, Site, SiteGroup, SiteStaff

    if Episode.objects.exists():
        return None, list(Site.objects.all())
    t0 = time.perf_counter()
    people = _sample_people(m, rng)
    n_c = int(m * share)
    central = people[:n_c]
    sites = _place_sites(central, n_sites, hq)
    county_sites: dict[str, list] = {}
    for s in sites:
        county_sites.setdefault("/".join(s.area_path.split("/")[:3]) + "/", []).append(s)
    load = {s.pk: 0 for s in sites}
    assign = []
    for _pid, path, _hh in central:
        cands = county_sites.get("/".join(path.split("/")[:3]) + "/") or sites
        s = min(cands, key=lambda x: load[x.pk])
        if load[s.pk] >= MAX_ROOMS:
            s = min(sites, key=lambda x: load[x.pk])
        load[s.pk] += 1
        assign.append(s)
    rooms_per = {s.pk: min(MAX_ROOMS, max(load[s.pk] + 20, int(load[s.pk] * 1.15))) for s in sites}
    Room.objects.bulk_create([Room(site=s, number=f"{1 + r // 40}{r % 40 + 1:02d}", floor=1 + r // 40)
                              for s in sites for r in range(rooms_per[s.pk])], batch_size=10_000)
    rooms: dict[int, list[int]] = {}
    for rid, sid in Room.objects.values_list("id", "site_id").order_by("id"):
        rooms.setdefault(sid, []).append(rid)
    # one caller (信息联络组) per 15 people at each site
    liaison = dict(SiteGroup.objects.filter(name="信息联络组").values_list("site_id", "id"))
    staff_users = User.objects.bulk_create([
        User(username=f"bench_caller_{s.pk}_{k}", display_name=f"联络员{s.pk}-{k}", password="!")
        for s in sites for k in range(rules.callers_needed(load[s.pk]))], batch_size=2000)
    callers: dict[int, list] = {}
    for u in staff_users:
        sid = int(u.username.split("_")[2])
        callers.setdefault(sid, []).append(u)
    SiteStaff.objects.bulk_create([SiteStaff(site_id=sid, user=u, group_id=liaison.get(sid))
                                   for sid, us in callers.items() for u in us], batch_size=2000)
    rs = epi_rules.ruleset_get("di9ban")
    plans = {}
    used = {s.pk: 0 for s in sites}
    rows = []
    for i, (pid, path, hh) in enumerate(people):
        start = day - dt.timedelta(days=i % 7)
        mode = "centralized" if i < n_c else "home"
        cat = "close_contact" if mode == "centralized" else "secondary_contact"
        key = (cat, start)
        if key not in plans:
            plan = epi_rules.control_plan(rs, cat, last_exposure=start, isolation_start=start)
            plans[key] = (plan, rules.isolation_phase(plan, mode))
        plan, ph = plans[key]
        site = assign[i] if mode == "centralized" else None
        room_id = caller = None
        if site is not None:
            room_id = rooms[site.pk][used[site.pk]]
            caller = callers[site.pk][used[site.pk] // 15 % len(callers[site.pk])]
            used[site.pk] += 1
        rows.append(Episode(person_id=pid, mode=mode, state="active", site=site, room_id=room_id, caller=caller,
                            household_id_at_admission=hh, ruleset_id=rs.id,
                            ruleset_version=rs.version, ruleset_name=rs.short_name, category=cat,
                            category_name=plan.category_name, last_exposure=start, isolation_start=start,
                            phase_index=ph.index, phase_kind=ph.kind, rule_id=ph.rule_id, phase_start=ph.start,
                            phase_end=ph.end, test_dates=[t.date.isoformat() for t in ph.tests], area_path=path,
                            site_path=site.area_path if site else "", admitted_by=hq))
    Episode.objects.bulk_create(rows, batch_size=5000)
    # guardians: bench_hq guards 15 people (the guardian list figure)
    home_ids = list(Episode.objects.filter(mode="home").values_list("id", flat=True)[:15])
    GuardianMember.objects.bulk_create([GuardianMember(episode_id=e, user=hq, team_role="社区干部") for e in home_ids])
    return time.perf_counter() - t0, sites


def _history(day, days):
    """A week of task history before the measured day: generated as the daily job would, then done (one in ten
    follow-ups missed)."""
    from django.db import connection

    from fangkong.isolation import services
    from fangkong.isolation.models import Task

    assert Task._meta.db_table == "isolation_task"
    if days <= 0 or Task.objects.filter(due_date__lt=day).exists():
        return None
    t0 = time.perf_counter()
    for k in range(days, 0, -1):
        services.tasks_generate(day=day - dt.timedelta(days=k))
    with connection.cursor() as cur:
        cur.execute("UPDATE isolation_task SET state = CASE WHEN kind = 'follow_up' AND id %% 10 = 0 THEN 'missed' "
                    "ELSE 'done' END WHERE due_date < %s", [day])
    return round(time.perf_counter() - t0, 2)


def _handle(options, stdout):
    from django.conf import settings
    from django.db import connection

    settings.DEBUG = False  # measure as in production: no per-query logging
    if "testserver" not in settings.ALLOWED_HOSTS:
        settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]

    from django.test import Client

    from fangkong.areas.models import Area
    from fangkong.areas.services import divisions_load
    from fangkong.isolation import selectors, services
    from fangkong.isolation.models import Episode, SiteStaff, Task
    from fangkong.residents.models import Person
    from fangkong.residents.seed import seed_city

    rng = random.Random(options["seed"])
    out: dict = {"database": connection.vendor, "load_average_start": _load()}
    if not Area.objects.filter(code="611002000000").exists():
        divisions_load()
    if not Person.objects.exists():
        t0, c0 = time.perf_counter(), time.process_time()
        seed_city(persons=options["persons"], seed=1)
        out["seed_city"] = {"seconds": round(time.perf_counter() - t0, 2),
                            "cpu_seconds": round(time.process_time() - c0, 2)}
    city = Area.objects.get(code="611000000000")
    hq = _user("bench_hq", "hq", city)
    day = dt.date(2022, 10, 10)
    out["persons"] = Person.objects.count()
    out["grids"] = Area.objects.filter(level="grid").count()
    secs, sites = _episodes(hq, options["isolated"], options["sites"], options["centralized_share"], day, rng)
    if secs is not None:
        out["insert_episodes_s"] = round(secs, 2)
    out["history_s"] = _history(day, options["history_days"])
    out["episodes_open"] = Episode.objects.filter(state__in=("active", "transfer")).count()
    out["sites"] = len(sites)
    caps = selectors.site_capacity(sites)
    out["site_rooms"] = {"min": min(c["rooms"] for c in caps), "max": max(c["rooms"] for c in caps)}
    out["site_persons"] = {"min": min(c["persons"] for c in caps), "max": max(c["persons"] for c in caps)}
    home_per_grid = {}
    for path in Episode.objects.filter(mode="home").values_list("area_path", flat=True):
        g = "/".join(path.split("/")[:6]) + "/"
        home_per_grid[g] = home_per_grid.get(g, 0) + 1
    hv = sorted(home_per_grid.values())
    out["home_per_grid"] = {"grids_with_any": len(hv), "median": hv[len(hv) // 2], "max": hv[-1]}
    Task.objects.filter(due_date=day).delete()
    out["load_average_before_tasks"] = _load()
    first, ms, cpu = _timed(lambda: services.tasks_generate(day=day))
    out["tasks_generate_city"] = {"seconds": round(ms / 1000, 2), "cpu_seconds": round(cpu / 1000, 2), **first,
                                  "target_s": 30}
    _again, ms, cpu = _timed(lambda: services.tasks_generate(day=day))
    out["tasks_generate_again"] = {"seconds": round(ms / 1000, 2), "cpu_seconds": round(cpu / 1000, 2)}
    out["tasks_for_day"] = Task.objects.filter(due_date=day).count()
    out["tasks_total"] = Task.objects.count()
    with connection.cursor() as cur:  # planner statistics, as autovacuum keeps them on PostgreSQL
        cur.execute("ANALYZE")
    # The set-up (seeding 2M persons in this process) leaves a large heap; freeze it so that the cyclic garbage
    # collector's full passes over it do not land inside the timed requests (a server process has no such heap).
    gc.collect()
    gc.freeze()

    # a site's work list: the selector the page uses, then the page
    sample_sites = rng.sample(sites, min(options["samples"], len(sites)))
    times, cpus = [], []
    for site in (sample_sites * 3)[:options["samples"]]:
        wl, ms, cpu = _timed(lambda site=site: selectors.worklist_site(hq, selectors.site_get(hq, site.pk), day,
                                                                      limit=selectors.PAGE_LIST_LIMIT))
        times.append(ms)
        cpus.append(cpu)
    out["site_worklist_ms"] = {**_ms(times, cpus), "rows_per_list": selectors.PAGE_LIST_LIMIT,
                               "follow_ups_due_count_last": wl["counts"]["follow_ups_due"]}
    times, cpus = [], []
    for site in (sample_sites * 3)[:options["page_samples"]]:
        _wl, ms, cpu = _timed(lambda site=site: selectors.worklist_site(hq, selectors.site_get(hq, site.pk), day))
        times.append(ms)
        cpus.append(cpu)
    out["site_worklist_api_ms"] = {**_ms(times, cpus), "rows_per_list": selectors.LIST_LIMIT}
    client = Client()
    client.force_login(hq)
    times, cpus = [], []
    for site in (sample_sites * 3)[:options["page_samples"]]:
        r, ms, cpu = _timed(lambda site=site: client.get(f"/isolation/sites/{site.pk}/", {"date": day.isoformat()}))
        assert r.status_code == 200, r.status_code
        times.append(ms)
        cpus.append(cpu)
    out["site_page_ms"] = {**_ms(times, cpus), "bytes_last": len(r.content)}
    # a grid's work list (home isolations of the people living there)
    grids = list(Area.objects.filter(level="grid").values_list("path", "code"))
    picks = rng.choices(grids, k=options["samples"])
    times, cpus = [], []
    for path, _code in picks:
        wl, ms, cpu = _timed(lambda path=path: selectors.worklist_area(hq, path, day, limit=selectors.PAGE_LIST_LIMIT))
        times.append(ms)
        cpus.append(cpu)
    out["grid_worklist_ms"] = {**_ms(times, cpus), "grids": len(grids),
                               "follow_ups_due_count_last": wl["counts"]["follow_ups_due"]}
    times, cpus = [], []
    for _path, code in picks[:options["page_samples"]]:
        r, ms, cpu = _timed(lambda code=code: client.get("/isolation/", {"area": code, "date": day.isoformat()}))
        assert r.status_code == 200, r.status_code
        times.append(ms)
        cpus.append(cpu)
    out["grid_page_ms"] = _ms(times, cpus)
    times = []
    for _ in range(20):
        _r, ms, _c = _timed(lambda: selectors.worklist_guardian(hq, day))
        times.append(ms)
    out["guardian_worklist_ms"] = _ms(times)
    # a staff member's call sheet and the calls not made at a site
    st = SiteStaff.objects.filter(user__username__startswith="bench_caller_").select_related("site", "user").first()
    if st is not None:
        times = []
        for _ in range(20):
            _r, ms, _c = _timed(lambda: selectors.call_sheet(st.user, st.site, day))
            times.append(ms)
        out["call_sheet_ms"] = _ms(times)
        times = []
        for _ in range(10):
            _r, ms, _c = _timed(lambda: selectors.calls_missing(hq, st.site, day))
            times.append(ms)
        out["calls_missing_site_ms"] = _ms(times)
    out["load_average_end"] = _load()
    stdout.write(json.dumps(out, ensure_ascii=False, indent=2, default=str) + "\n")


BENCH = {"isolation": Subcommand(_args, _handle, "隔离管控的性能基准（输出 JSON）")}
