"""`fangkong bench epi --persons N --controlled M`: the three figures of the epi issue, as JSON.

* recompute every status of a county after a rule-set change (an approved county override);
* one person's statuses with reasons (p50 / p95 / max over a sample);
* matching a 10,000-row 协查 list.

Synthetic persons are bulk-inserted directly (re-used when the database already holds enough of them).
Use a throwaway database: DATABASE_URL=postgres://…/fk_epi_bench or sqlite:////…/var/bench.sqlite3.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import random
import statistics
import time

from fangkong.core.commands import Subcommand

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华建国志红玉兰春梅海燕文辉晓东雪梅"


def _args(parser):
    parser.add_argument("--persons", type=int, default=200_000)
    parser.add_argument("--controlled", type=int, default=5_000)
    parser.add_argument("--assist-rows", type=int, default=10_000)
    parser.add_argument("--samples", type=int, default=200)
    parser.add_argument("--seed", type=int, default=2022)


def _user(name, role, area):
    from fangkong.accounts.models import RoleAssignment, User

    user, _ = User.objects.get_or_create(username=name, defaults={"display_name": name})
    RoleAssignment.objects.get_or_create(user=user, role=role, area=area)
    return user


def _tree(county, hq):
    """20 grids × 5 units under the county's first street (created once)."""
    from fangkong.areas.models import Area
    from fangkong.areas.services import area_create

    street = Area.objects.filter(parent=county, level="street").order_by("code").first()
    units = list(Area.objects.filter(path__startswith=street.path, level="unit").order_by("path"))
    if units:
        return units
    for c in range(4):
        comm = area_create(actor=hq, parent=street, name=f"基准社区{c + 1}")
        for g in range(5):
            grid = area_create(actor=hq, parent=comm, name=f"第{g + 1}网格")
            _user(f"bench_grid_{comm.code}_{g}", "grid_worker", grid)
            comp = area_create(actor=hq, parent=grid, name=f"基准{c + 1}-{g + 1}小区")
            bld = area_create(actor=hq, parent=comp, name="1号楼")
            for u in range(5):
                units.append(area_create(actor=hq, parent=bld, name=f"{u + 1}单元"))
    return units


def _persons(units, n, rng):
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.models import Person

    have = Person.objects.count()
    batch = []
    start = dt.date(1940, 1, 1)
    t0 = time.perf_counter()
    for i in range(have, n):
        day, seq = divmod(i, 1000)
        birth = start + dt.timedelta(days=day % 25000)
        region = ("611002", "611021", "611022", "611023", "611024", "611025", "611026")[day // 25000 % 7]
        idn = make_citizen_id(region, birth, seq)
        unit = units[i % len(units)]
        name = rng.choice(SURNAMES) + rng.choice(GIVEN) + (rng.choice(GIVEN) if i % 3 else "")
        batch.append(Person(area_id=unit.pk, area_path=unit.path, name=name, id_type="citizen_id", id_number=idn,
                            id_tail=idn[-6:], phone=f"1{3 + i % 7}{i:09d}"[:11], birth_date=birth))
        if len(batch) == 10_000:
            Person.objects.bulk_create(batch)
            batch = []
    if batch:
        Person.objects.bulk_create(batch)
    return time.perf_counter() - t0


def _controlled(county, epi, m, rng):
    """m persons under control: one case per 5, four close contacts each (bulk rows, then one recompute)."""
    from fangkong.core.scoping import path_range
    from fangkong.epi.models import Case, Contact
    from fangkong.residents.models import Person

    if Case.objects.exists():
        return 0.0
    lo, hi = path_range(county.path)
    ids = list(Person.objects.filter(area_path__gte=lo, area_path__lt=hi).order_by("id").values_list(
        "id", "area_path")[: m * 3])
    rng.shuffle(ids)
    ids = ids[:m]
    t0 = time.perf_counter()
    cases, contacts = [], []
    day0 = dt.date(2022, 11, 1)
    for i in range(0, len(ids), 5):
        pid, path = ids[i]
        d = day0 + dt.timedelta(days=i % 8)
        cases.append(Case(person_id=pid, sampled_date=d, isolated_date=d, area_path=path, source="manual"))
    Case.objects.bulk_create(cases, batch_size=5000)
    for ci, i in enumerate(range(0, len(ids), 5)):
        case = cases[ci]
        for pid, path in ids[i + 1:i + 5]:
            contacts.append(Contact(case_id=case.pk, person_id=pid, category="close_contact",
                                    contact_date=case.sampled_date, area_path=path, confirmed_by=epi))
    Contact.objects.bulk_create(contacts, batch_size=5000)
    return time.perf_counter() - t0


def _assist_csv(county, rows, rng):
    from fangkong.core.scoping import path_range
    from fangkong.residents.models import Person

    lo, hi = path_range(county.path)
    sample = list(Person.objects.filter(area_path__gte=lo, area_path__lt=hi).order_by("?" if False else "id")
                  .values_list("name", "id_number", "phone", "area_path")[: rows * 20 : 20])
    out = io.StringIO()
    out.write("姓名,手机号,身份证号,地址,备注\n")
    kinds = {"id": 0, "phone": 0, "masked": 0, "unknown": 0}
    for i in range(rows):
        name, idn, phone, _ = sample[i % len(sample)]
        r = i % 10
        if r < 4:
            out.write(f"{name},,{idn.lower()},,\n")
            kinds["id"] += 1
        elif r < 7:
            out.write(f"{name},+86 {phone[:3]} {phone[3:7]} {phone[7:]},,,\n")
            kinds["phone"] += 1
        elif r < 9:
            out.write(f"{name},,{idn[:4]}**********{idn[-4:]},,\n")
            kinds["masked"] += 1
        else:
            out.write(f"查无{i},1{rng.randint(3000000000, 3999999999)},,外地,\n")
            kinds["unknown"] += 1
    return io.BytesIO(out.getvalue().encode()), kinds


def _handle(options, stdout):
    from django.conf import settings
    from django.db import connection
    from django.utils import timezone

    from fangkong.areas.models import Area
    from fangkong.areas.services import divisions_load
    from fangkong.epi import selectors, services
    from fangkong.epi.models import ControlStatus, RulesetOverride
    from fangkong.residents.models import Person

    # DEBUG=1 (needed outside tests without a SECRET_KEY) makes Django log every query's SQL: not what
    # production pays, so the measurement switches it off.
    settings.DEBUG = False
    rng = random.Random(options["seed"])
    if not Area.objects.filter(code="611002000000").exists():
        divisions_load()
    city, county = Area.objects.get(code="611000000000"), Area.objects.get(code="611002000000")
    hq = _user("bench_hq", "hq", city)
    epi1, epi2 = _user("bench_epi1", "epi", county), _user("bench_epi2", "epi", county)
    units = _tree(county, hq)
    out: dict = {"database": connection.vendor}
    out["insert_persons_s"] = round(_persons(units, options["persons"], rng), 2)
    out["persons"] = Person.objects.count()
    out["insert_controlled_s"] = round(_controlled(county, epi1, options["controlled"], rng), 2)
    t0 = time.perf_counter()
    first = services.status_recompute_area(county.path, actor=epi1, reason="bench: initial")
    out["initial_recompute"] = {"seconds": round(time.perf_counter() - t0, 2), **first.as_dict()}
    out["statuses"] = ControlStatus.objects.count()
    out["persons_under_control"] = ControlStatus.objects.values("person_id").distinct().count()

    # 1. a rule-set change: an approved county override, then the county's statuses recomputed
    # (re-runs: the new value differs from the one the stored statuses were built with, so 40,000 change)
    active = RulesetOverride.objects.filter(area_path=county.path, active=True, path="close_contact.phases.1.days")
    previous = active.values_list("value", flat=True).first()
    value = 4 if previous == 5 else 5
    o = services.override_propose(actor=epi1, county=county, ruleset_id="di9ban",
                                  path="close_contact.phases.1.days", value=value, reason="bench")
    t0 = time.perf_counter()
    res = services.override_approve(actor=epi2, override=o)
    out["recompute_after_ruleset_change"] = {"seconds": round(time.perf_counter() - t0, 2), **res.as_dict(),
                                             "target_s": 10}

    # 2. one person's statuses with reasons
    pids = list(ControlStatus.objects.values_list("person_id", flat=True).distinct()[:5000])
    times = []
    for pid in rng.sample(pids, min(options["samples"], len(pids))):
        t0 = time.perf_counter()
        person = selectors.status_person_get(epi1, pid)
        lines = selectors.person_status_summary(epi1, person)
        assert lines
        times.append((time.perf_counter() - t0) * 1000)
    times.sort()
    out["person_status_ms"] = {"p50": round(statistics.median(times), 2),
                               "p95": round(times[int(len(times) * 0.95) - 1], 2), "max": round(times[-1], 2),
                               "samples": len(times), "target_ms": 50}

    # 3. a 10,000-row 协查 list
    f, kinds = _assist_csv(county, options["assist_rows"], rng)
    t0 = time.perf_counter()
    lst = services.assist_list_upload(actor=epi1, area=county, title="bench", reason="bench",
                                      deadline=timezone.now() + dt.timedelta(days=1), file=f, filename="bench.csv")
    methods = {}
    for m in lst.items.values_list("method", flat=True):
        methods[m] = methods.get(m, 0) + 1
    out["assist_match"] = {"seconds": round(time.perf_counter() - t0, 2), "rows": lst.rows_total,
                           "matched": lst.rows_matched, "by_method": methods, "generated": kinds, "target_s": 10}
    stdout.write(json.dumps(out, ensure_ascii=False, indent=2) + "\n")


BENCH = {"epi": Subcommand(_args, _handle, "病例/管控状态/协查的性能基准（输出 JSON）")}
