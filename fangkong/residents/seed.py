"""The synthetic city (`fangkong seed-city`): a realistic, deterministic population under the 商洛 divisions.

Bulk path: rows are built in Python and written in large batches inside one transaction (executemany on
SQLite with the secondary indexes dropped and rebuilt around the load; COPY on PostgreSQL). One audit
event summarises the run.

In parallel: the main process plans the city (household sizes, places, ids) with the seed's generator,
then the people are generated in chunks of `CHUNK` households, each with its own generator seeded from
(seed, chunk) and its own share of the citizen-ID sequence numbers, by `workers` forked processes while the
main process writes the chunks in order (one fewer than the cores: the writer needs a core of its own). The
output depends on the seed and the number of people, never on the number of workers (`workers=0` generates
the same chunks in-process).
"""

from __future__ import annotations

import datetime as dt
import gc
import math
import multiprocessing
import os
import random
from collections.abc import Callable, Iterator

from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from fangkong.areas.choices import LEVEL_DEPTH, Kind, Level
from fangkong.areas.models import Area
from fangkong.audit.services import event_record
from fangkong.core.errors import ServiceError
from fangkong.residents import counters
from fangkong.residents.choices import CareTagKind, Relationship, ResidenceType
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import CareTag, Household, Person
from fangkong.residents.normalize import InitialsMaker

REFERENCE_DATE = dt.date(2022, 6, 1)  # ages are computed against this day so a seed always gives the same city
BATCH = 20_000
CHUNK = 20_000  # households per generated chunk (fixed: the output must not depend on the number of workers)
SEQUENCES = 499  # citizen-ID sequence numbers per (region, birth date, sex): 001–999, odd men, even women

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严武戴孔向汤"
)
MALE_CHARS = "伟刚勇毅俊峰强军平保东文辉力明永健世广志义兴良海山仁波宁贵福生龙元全国胜学祥才发武新利清飞彬富顺信子杰涛昌成康星光天达安岩中茂进林有坚和彪博诚先敬震振壮会思群豪心邦承乐绍功松善厚庆磊民友裕河哲江超浩亮政谦亨奇固之轮翰朗伯宏言若鸣朋斌梁栋维启克伦翔旭鹏泽晨辰士以建家致树炎德行时泰盛雄琛钧冠策腾楠榕风航弘"
FEMALE_CHARS = "秀娟英华慧巧美娜静淑惠珠翠雅芝玉萍红娥玲芬芳燕彩春菊兰凤洁梅琳素云莲真环雪荣爱妹霞香月莺媛艳瑞凡佳嘉琼勤珍贞莉桂娣叶璧璐娅琦晶妍茜秋珊莎锦黛青倩婷姣婉娴瑾颖露瑶怡婵雁蓓纨仪荷丹蓉眉君琴蕊薇菁梦岚苑婕馨瑗琰韵融园艺咏卿聪澜纯毓悦昭冰爽琬茗羽希宁欣飘育滢馥筠柔竹霭凝晓欢霄枫芸菲寒伊亚宜可姬舒影荔枝思丽"
FLOATING_REGIONS = ("610102", "610113", "610502", "410102", "420102", "500101", "510104", "620102", "140105", "410302")
MOBILE_PREFIXES = ("138", "139", "158", "159", "187", "188", "135", "136", "137", "150", "151", "152", "182", "183",
                   "130", "131", "132", "155", "156", "185", "186", "133", "153", "180", "181", "189", "177", "199")
WORKPLACES = ("商洛市中心医院", "商州区城关小学", "商洛学院", "陕西商洛发电有限公司", "商洛市人民政府", "个体经营",
              "务农", "退休", "在外务工", "商洛职业技术学院", "中国邮政商洛分公司", "商州区人民医院", "")
# household size distribution (7th census-like, mean ≈ 2.8)
SIZE_WEIGHTS = ((1, 17), (2, 28), (3, 25), (4, 16), (5, 9), (6, 5))
VILLAGE_SHARE = 0.38

PERSON_COLUMNS = ("id", "household_id", "area_id", "area_path", "name", "name_initials", "id_type", "id_number",
                  "id_tail", "sex", "birth_date", "phone", "residence_type", "relationship", "workplace", "notes",
                  "walk_in", "needs_review", "created_at", "updated_at")
HOUSEHOLD_COLUMNS = ("id", "area_id", "area_path", "floor", "room", "house_number", "address", "notes", "vacant",
                     "created_at", "updated_at")
TAG_COLUMNS = ("person_id", "tag", "area_path", "note", "created_at")  # ids: the database's, in chunk order
TABLES = ("residents_person", "residents_household", "residents_caretag")


# ---- the writer: executemany (SQLite) or COPY (PostgreSQL) -------------------------------------------------

class BulkWriter:
    """Append rows to tables in large batches on the current connection."""

    def __init__(self):
        self.vendor = connection.vendor
        self.buffers: dict[str, list[tuple]] = {}
        self.columns: dict[str, tuple[str, ...]] = {}
        self.counts: dict[str, int] = {}
        connection.ensure_connection()
        self.raw = connection.connection

    def add(self, table: str, columns: tuple[str, ...], row: tuple) -> None:
        buf = self.buffers.get(table)
        if buf is None:
            buf = self.buffers[table] = []
            self.columns[table] = columns
        buf.append(row)
        if len(buf) >= BATCH:
            self.flush()  # every table, parents first (registration order): no pending FK violations

    def flush(self, table: str | None = None) -> None:
        for name in [table] if table else list(self.buffers):
            rows = self.buffers.get(name)
            if not rows:
                continue
            cols = self.columns[name]
            if self.vendor == "postgresql":
                with self.raw.cursor() as cur, cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                    for row in rows:
                        copy.write_row(row)
            else:
                sql = f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({', '.join('?' * len(cols))})"  # noqa: S608
                self.raw.executemany(sql, rows)
            self.counts[name] = self.counts.get(name, 0) + len(rows)
            rows.clear()

    def value(self, v):
        """Values as the backend stores them (SQLite: ISO text, 0/1; PostgreSQL: native)."""
        return v

    def extend(self, table: str, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Append many rows at once (a generated chunk); flushed when the batch is full."""
        buf = self.buffers.get(table)
        if buf is None:
            buf = self.buffers[table] = []
            self.columns[table] = columns
        buf.extend(rows)
        if len(buf) >= BATCH:
            self.flush()  # every table, parents first (registration order): no pending FK violations


def _sqlite_drop_indexes() -> list[str]:
    with connection.cursor() as cur:
        cur.execute(
            "SELECT name, sql FROM sqlite_master WHERE type='index' AND sql IS NOT NULL AND tbl_name IN (%s, %s, %s)",
            TABLES,
        )
        found = cur.fetchall()
        for name, _sql in found:
            cur.execute(f'DROP INDEX "{name}"')
    return [sql for _name, sql in found]


def _sqlite_restore_indexes(sqls: list[str]) -> None:
    with connection.cursor() as cur:
        for sql in sqls:
            cur.execute(sql)


def _sqlite_journal_mode(mode: str) -> str | None:
    """Switch the SQLite journal (outside a transaction, with no other connection open); the mode it had, or
    None when it could not switch. A load in rollback-journal mode writes the new pages once, into the file;
    in WAL mode they would be written to the log and copied again by the checkpoint after the commit."""
    if connection.in_atomic_block:
        return None
    try:
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            before = cur.fetchone()[0]
            cur.execute(f"PRAGMA journal_mode = {mode}")
            after = cur.fetchone()[0]
    except DatabaseError:
        return None
    return before if after == mode and before != mode else None


def _sqlite_foreign_keys(on: bool) -> bool:
    """Switch SQLite's foreign-key enforcement (outside a transaction only); whether it is now as asked."""
    with connection.cursor() as cur:
        cur.execute(f"PRAGMA foreign_keys = {'ON' if on else 'OFF'}")
        cur.execute("PRAGMA foreign_keys")
        return bool(cur.fetchone()[0]) == on


def _pg_reset_sequences() -> None:
    with connection.cursor() as cur:
        for table in TABLES:
            cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), COALESCE(MAX(id), 1)) FROM {table}")  # noqa: S608


# ---- people --------------------------------------------------------------------------------------

_INITIALS: InitialsMaker | None = None


def _initials_maker() -> InitialsMaker:
    """One per process: its per-character and per-given-name caches stay warm from chunk to chunk (its answers
    do not depend on what it has seen, so sharing it keeps the city deterministic)."""
    global _INITIALS
    if _INITIALS is None:
        _INITIALS = InitialsMaker()
    return _INITIALS


class NameMaker:
    def __init__(self, rng: random.Random):
        self.rng = rng
        weights = [max(1, 60 - i) for i in range(len(SURNAMES))]  # 王李张… are the commonest
        self.surnames = rng.choices(SURNAMES, weights=weights, k=4096)
        self.initials = _initials_maker()  # = pinyin_initials(name), without a cache of millions of names

    def make(self, sex: str) -> tuple[str, str]:
        rng = self.rng
        chars = MALE_CHARS if sex == "M" else FEMALE_CHARS
        r, n = rng.random, len(chars)
        given = chars[int(r() * n)] if r() < 0.3 else chars[int(r() * n)] + chars[int(r() * n)]
        surname = self.surnames[int(r() * 4096)]
        name = surname + given
        return name, self.initials(surname, given)[:30]


class IdMaker:
    """Unique citizen ids: one sequence counter per (region, birth date, sex), over this maker's share of
    the sequence numbers (`first` … `first + share - 1`): chunks generated apart never collide."""

    def __init__(self, first: int = 0, share: int = SEQUENCES):
        self.next: dict[tuple, int] = {}
        self.first, self.share = first, share

    def make(self, region: str, birth: dt.date, male: bool) -> tuple[str, dt.date]:
        while True:
            key = (region, birth, male)
            k = self.next.get(key, 0)
            if k < self.share:  # sequence 001-999: odd for men, even (002-998) for women
                self.next[key] = k + 1
                return make_citizen_id(region, birth, 2 * (self.first + k) + (1 if male else 2)), birth
            birth += dt.timedelta(days=1)


def _household_members(rng: random.Random, size: int) -> list[tuple[str, int, str]]:
    """(relationship, age, sex) of each member, head first. (Draws are `random()` scaled: `randint` and
    `choice` cost several times more, millions of times.)"""
    r = rng.random
    if size == 1:
        x = r()
        age = 20 + int(r() * 26) if x < 1 / 3 else 60 + int(r() * 33) if x < 2 / 3 else 30 + int(r() * 51)
        return [(Relationship.HEAD, age, "M" if r() < 0.5 else "F")]
    head_sex = "M" if r() < 0.78 else "F"
    head_age = 24 + int(r() * 55)
    out = [(Relationship.HEAD, head_age, head_sex)]
    other = "F" if head_sex == "M" else "M"
    out.append((Relationship.SPOUSE, max(20, head_age - 4 + int(r() * 8)), other))
    remaining = size - 2
    if remaining and head_age >= 45 and r() < 0.35:
        out.append((Relationship.PARENT, min(98, head_age + 22 + int(r() * 11)), "M" if r() < 0.5 else "F"))
        remaining -= 1
    for _ in range(remaining):
        if head_age >= 55 and r() < 0.5:
            out.append((Relationship.GRANDCHILD, int(r() * 17), "M" if r() < 0.5 else "F"))
        else:
            out.append((Relationship.CHILD, max(0, head_age - 22 - int(r() * 15)), "M" if r() < 0.5 else "F"))
    return out


def _care_tags(rng: random.Random, age: int, sex: str, alone: bool) -> list[str]:
    tags = []
    if alone and age >= 65:
        tags.append(CareTagKind.LIVES_ALONE_ELDERLY)
    if age < 3:
        tags.append(CareTagKind.INFANT)
    if sex == "F" and 20 <= age <= 40 and rng.random() < 0.04:
        tags.append(CareTagKind.PREGNANT)
    if age >= 45 and rng.random() < 0.05:
        tags.append(CareTagKind.CHRONIC_ILLNESS)
    if rng.random() < 0.012:
        tags.append(CareTagKind.DISABLED)
    if age >= 75 and rng.random() < 0.2:
        tags.append(CareTagKind.REDUCED_MOBILITY)
    return tags


# ---- places ------------------------------------------------------------------------------------

def _slots_for_unit(rng: random.Random, unit_index: int) -> list[tuple[int, str]]:
    floors = rng.choice((6, 6, 7, 11, 18, 26)) if unit_index % 5 else rng.randint(5, 33)
    per_floor = rng.choice((2, 2, 3, 4))
    return [(f, f"{f}{r:02d}") for f in range(1, floors + 1) for r in range(1, per_floor + 1)]


def _ensure_tree(rng: random.Random, seed: int) -> None:
    if not Area.objects.filter(level=Level.UNIT).exists():
        from fangkong.areas.services import demo_city_build

        demo_city_build(seed=seed)


def _add_buildings(compounds: list[dict], needed_units: int, names: dict[int, str]) -> list[dict]:
    """Create enough new buildings (2 units each) under urban compounds, round-robin (bulk)."""
    if needed_units <= 0 or not compounds:
        return []
    created: list[Area] = []
    per = math.ceil(needed_units / 2 / len(compounds))
    ids = {c["id"]: c for c in compounds}
    objs = {a.pk: a for a in Area.objects.filter(pk__in=ids)}
    buildings: list[Area] = []
    for comp in compounds:
        parent = objs[comp["id"]]
        start = parent.next_child_seq
        count = min(per, 999 - start)
        for i in range(count):
            seq = start + i + 1
            code = f"{parent.code}{seq:03d}"
            buildings.append(Area(code=code, name=f"{seq}号楼", level=Level.BUILDING, kind=Kind.BUILDING, parent=parent,
                                  path=parent.path + code + "/", depth=LEVEL_DEPTH[Level.BUILDING], sort_order=seq,
                                  next_child_seq=2))
        parent.next_child_seq = start + count
    Area.objects.bulk_create(buildings, batch_size=2000)
    Area.objects.bulk_update(list(objs.values()), ["next_child_seq"], batch_size=2000)
    buildings = list(Area.objects.filter(code__in=[b.code for b in buildings]))
    units = []
    for b in buildings:
        for u in (1, 2):
            code = f"{b.code}{u:03d}"
            units.append(Area(code=code, name=f"{u}单元", level=Level.UNIT, kind=Kind.UNIT, parent=b,
                              path=b.path + code + "/", depth=LEVEL_DEPTH[Level.UNIT], sort_order=u))
    Area.objects.bulk_create(units, batch_size=2000)
    created = units
    return [{"id": a.pk, "path": a.path, "name": a.name, "parent_id": a.parent_id} for a in
            Area.objects.filter(code__in=[u.code for u in created])]


# ---- the run -----------------------------------------------------------------------------------

def seed_city(*, persons: int, seed: int = 1, actor=None, progress: Callable[[str], None] | None = None,
              drop_indexes: bool = True, workers: int | None = None) -> dict:
    """Generate `persons` people in households under the demo tree. Deterministic for a seed (whatever
    `workers`: the processes that generate chunks while this one writes; default one fewer than the cores,
    0 = generate in this process)."""
    # Millions of tuples and no reference cycles: the cyclic collector would rescan the growing heap again
    # and again (here and in the forked generators, which inherit the switch) for nothing.
    collecting = gc.isenabled()
    gc.disable()
    try:
        return _seed_city(persons=persons, seed=seed, actor=actor, progress=progress, drop_indexes=drop_indexes,
                          workers=workers)
    finally:
        if collecting:
            gc.enable()


def _seed_city(*, persons: int, seed: int, actor, progress: Callable[[str], None] | None, drop_indexes: bool,
               workers: int | None) -> dict:
    if persons <= 0:
        return {"persons": 0, "households": 0, "care_tags": 0}
    if Person.objects.exists():
        raise ServiceError("台账中已有居民；合成城市只能生成到空台账中。", code="not_empty")
    rng = random.Random(seed)
    say = progress or (lambda _m: None)
    _ensure_tree(rng, seed)
    sizes: list[int] = []
    total = 0
    pop, wts = zip(*SIZE_WEIGHTS, strict=True)
    while total < persons:
        n = min(rng.choices(pop, weights=wts)[0], persons - total)
        sizes.append(n)
        total += n
    areas = list(Area.objects.active().filter(
        level__in=[Level.COMMUNITY, Level.GRID, Level.COMPOUND, Level.BUILDING, Level.UNIT])
        .values("id", "path", "name", "level", "kind", "parent_id").order_by("path"))
    names = {a["id"]: ("" if a["level"] == Level.GRID else a["name"]) for a in areas}
    parent = {a["id"]: a["parent_id"] for a in areas}
    compounds = [a for a in areas if a["level"] == Level.COMPOUND]
    villages = [a for a in compounds if a["kind"] == Kind.VILLAGE_GROUP]
    urban_compounds = [a for a in compounds if a["kind"] != Kind.VILLAGE_GROUP]
    urban_codes = {c["path"].split("/")[6] for c in urban_compounds}
    units = [a for a in areas if a["level"] == Level.UNIT and a["path"].split("/")[6] in urban_codes]
    n_village = int(len(sizes) * VILLAGE_SHARE) if villages else 0
    n_urban = len(sizes) - n_village
    # Urban slots: fill units at ~85 % occupancy; add buildings when the tree is too small.
    unit_slots = [_slots_for_unit(rng, i) for i in range(len(units))]
    capacity = sum(int(len(s) * 0.85) for s in unit_slots)
    avg = (capacity / len(units)) if units else 20
    if n_urban > capacity:
        new_units = _add_buildings(urban_compounds, math.ceil((n_urban - capacity) / max(avg, 1)) + 1, names)
        for u in new_units:
            names[u["id"]] = u["name"]
            parent[u["id"]] = u["parent_id"]
        bparents = {b.pk: (b.name, b.parent_id) for b in Area.objects.filter(pk__in={u["parent_id"] for u in new_units})}
        for bid, (bname, pid) in bparents.items():
            names[bid] = bname
            parent[bid] = pid
        units += new_units
        unit_slots += [_slots_for_unit(rng, i) for i in range(len(unit_slots), len(units))]
    say(f"    {len(sizes)} 户，城镇单元 {len(units)} 个，自然组 {len(villages)} 个")
    # demo street first (the demo users work there), then the rest in a seeded order by street
    def street_of(path: str) -> str:
        return path.split("/")[3]
    streets = sorted({street_of(u["path"]) for u in units} | {street_of(v["path"]) for v in villages})
    rng.shuffle(streets)
    if "611002001000" in streets:
        streets.remove("611002001000")
        streets.insert(0, "611002001000")
    rank = {s: i for i, s in enumerate(streets)}
    order = sorted(range(len(units)), key=lambda i: (rank[street_of(units[i]["path"])], units[i]["path"]))
    villages.sort(key=lambda v: (rank[street_of(v["path"])], v["path"]))

    def places() -> Iterator[tuple[dict, int | None, str, str]]:
        for i in order:
            u = units[i]
            slots = unit_slots[i]
            keep = rng.sample(slots, int(len(slots) * 0.85))
            keep.sort()
            for floor, room in keep:
                yield u, floor, room, ""

    # The plan, with the seed's generator: every household's place, in order.
    urban_places = places()
    village_iter = None
    plan: list[tuple] = []  # (area id, area path, floor, room, house number, size)
    for idx, size in enumerate(sizes):
        if idx < n_urban:
            place = next(urban_places, None)
        else:
            if village_iter is None:
                village_iter = _village_places(villages, n_village)
            place = next(village_iter)
        if place is None:
            raise ServiceError("区域容量不足。", code="capacity")
        area, floor, room, house = place
        plan.append((area["id"], area["path"], floor, room, house, size))
    say(f"    已规划 {len(plan)} 户的位置")
    now = timezone.now()
    pg = connection.vendor == "postgresql"
    now_db = now if pg else now.replace(tzinfo=None).isoformat(sep=" ")
    with connection.cursor() as cur:
        cur.execute("SELECT COALESCE(MAX(id), 0) FROM residents_household")
        hh_first = cur.fetchone()[0] + 1
    # Chunks of households, each with the ids it starts from (at most SEQUENCES chunks: each gets its own
    # share of the citizen-ID sequence numbers).
    chunk = max(CHUNK, math.ceil(len(plan) / SEQUENCES))
    chunks, person_first = [], 1
    for k, lo in enumerate(range(0, len(plan), chunk)):
        hi = min(len(plan), lo + chunk)
        chunks.append((k, lo, hi, hh_first + lo, person_first))
        person_first += sum(size for *_x, size in plan[lo:hi])
    global _JOB
    _JOB = {"plan": plan, "seed": seed, "pg": pg, "now_db": now_db, "names": names, "parent": parent,
            "share": SEQUENCES // len(chunks) if chunks else SEQUENCES}
    if workers is None:
        workers = max(0, (os.cpu_count() or 1) - 1)
    workers = min(workers, len(chunks))
    pool = None
    if workers > 0:  # forked: they inherit the plan (and this process's database socket, which they never use)
        pool = multiprocessing.get_context("fork").Pool(workers)
    n_tags = 0
    person_id = person_first - 1
    hh_id = hh_first + len(plan) - 1
    journal = None if pg else _sqlite_journal_mode("delete")
    # and, there too, without a foreign-key probe per row: the generator made every parent row it refers to
    # (PRAGMA foreign_key_check after a seed: tested)
    unchecked = journal is not None and _sqlite_foreign_keys(False)
    if journal is not None:
        with connection.cursor() as cur:
            # the index rebuild's sorter works in threads only with temporary files (SQLite gives it none with
            # temp_store MEMORY); in the OS cache they cost little. Settable only outside a transaction.
            cur.execute("PRAGMA temp_store = FILE")
    try:
        with transaction.atomic():
            dropped = _sqlite_drop_indexes() if (drop_indexes and not pg) else []
            if not pg:
                counters.drop_triggers()  # row triggers would double the load's writes: the load counts its own rows
            if not pg:
                with connection.cursor() as cur:
                    cur.execute("PRAGMA threads = 2")  # the index rebuild's sorter may use a second core
                    # the unique ID index is kept through the load (random keys): its pages stay in memory
                    cur.execute("PRAGMA cache_size = -262144")
            w = BulkWriter()
            generated = pool.imap(_chunk_rows, chunks) if pool else map(_chunk_rows, chunks)
            counts: dict[tuple[str, str], int] = {}  # (area path, counter kind) -> rows written
            for households, people, tags, chunk_counts in generated:
                w.extend("residents_household", HOUSEHOLD_COLUMNS, households)
                w.extend("residents_person", PERSON_COLUMNS, people)
                w.extend("residents_caretag", TAG_COLUMNS, tags)
                n_tags += len(tags)
                for key, n in chunk_counts.items():
                    counts[key] = counts.get(key, 0) + n
            w.flush()
            say(f"    已写入 {person_id} 人；重建索引 …")
            if dropped:
                _sqlite_restore_indexes(dropped)
            say("    统计计数 …")
            if pg:
                _pg_reset_sequences()
            else:
                counters.create_triggers()
            if pg:
                counters.fold()  # the statement triggers counted every COPY as pending deltas
            else:
                counters.add_counts(counts)  # the row triggers were off: add what was written, once
            result = {"persons": person_id, "households": hh_id and len(sizes), "care_tags": n_tags,
                      "units": len(units), "village_groups": len(villages)}
            event_record(actor=actor, action="person.seed_city", object_type="residents.person",
                         after=result, reason=f"seed={seed}")
            say("    提交 …")
    finally:
        if pool is not None:
            pool.terminate()
        if unchecked:
            _sqlite_foreign_keys(True)
        if journal is not None:
            with connection.cursor() as cur:
                cur.execute("PRAGMA temp_store = MEMORY")  # as the settings open every connection
        if journal:
            _sqlite_journal_mode(journal)
    say("    更新查询统计 …")
    if not pg:
        with connection.cursor() as cur:
            # the loaded tables only, in full (sampled statistics sent address searches down the wrong index)
            for t in (*TABLES, "areas_area"):
                cur.execute(f"ANALYZE {t}")
            cur.execute("PRAGMA cache_size = -64000")  # as the settings open every connection
    else:
        with connection.cursor() as cur:
            for t in TABLES:
                cur.execute(f"ANALYZE {t}")
    return result


_JOB: dict = {}  # the plan, set before the generators are forked (they read it, never write it)


def _chunk_rows(chunk: tuple[int, int, int, int, int]) -> tuple[list[tuple], list[tuple], list[tuple], dict]:
    """The households, people and care tags of the planned households lo…hi, with this chunk's own
    generator and share of citizen-ID sequence numbers (so the result does not depend on who runs it), and
    their counts per (area path, counter kind) as the counter triggers would have kept them."""
    k, lo, hi, hh_id, person_id = chunk
    job = _JOB
    rng = random.Random(job["seed"] * 1_000_003 + k)
    pg, now_db, names, parent = job["pg"], job["now_db"], job["names"], job["parent"]
    namer, ids = NameMaker(rng), IdMaker(first=k * job["share"], share=job["share"])
    r = rng.random
    n_floating, n_prefixes, n_work = len(FLOATING_REGIONS), len(MOBILE_PREFIXES), len(WORKPLACES)
    labels: dict[int, str] = {}
    households, people, tags = [], [], []
    counts: dict[tuple[str, str], int] = {}
    for area_id, area_path, floor, room, house, size in job["plan"][lo:hi]:
        label = labels.get(area_id)
        if label is None:
            parts, a = [], area_id
            while a in names and len(parts) < 5:
                parts.append(names[a])
                a = parent.get(a)
            label = labels[area_id] = "".join(reversed(parts))
        addr = label + (f"{room}室" if room else f"{house}号")
        households.append((hh_id, area_id, area_path, floor, room, house, addr[:300], "", False, now_db, now_db))
        counts[area_path, "households"] = counts.get((area_path, "households"), 0) + 1
        counts[area_path, "persons"] = counts.get((area_path, "persons"), 0) + size
        county = area_path.split("/")[2][:6]
        x = r()
        rtype = (ResidenceType.FLOATING if x < 0.12 else ResidenceType.REGISTERED if x < 0.30
                 else ResidenceType.RESIDENT)
        for rel, age, sex in _household_members(rng, size):
            birth = REFERENCE_DATE - dt.timedelta(days=age * 365 + 1 + int(r() * 364))
            region = county if rtype != ResidenceType.FLOATING else FLOATING_REGIONS[int(r() * n_floating)]
            id_number, birth = ids.make(region, birth, sex == "M")
            name, ini = namer.make(sex)
            phone = ""
            if age >= 14 and r() < 0.9:
                phone = MOBILE_PREFIXES[int(r() * n_prefixes)] + f"{int(r() * 100000000):08d}"
            work = WORKPLACES[int(r() * n_work)] if 18 <= age < 65 and r() < 0.4 else ""
            people.append((person_id, hh_id, area_id, area_path, name, ini, "citizen_id", id_number, id_number[-6:],
                           sex, birth if pg else birth.isoformat(), phone, rtype, rel, work, "", False, False, now_db,
                           now_db))
            for tag in _care_tags(rng, age, sex, size == 1):
                note = "每周透析" if tag == CareTagKind.CHRONIC_ILLNESS and r() < 0.2 else ""
                tags.append((person_id, tag, area_path, note, now_db))
                counts[area_path, "tag:" + tag] = counts.get((area_path, "tag:" + tag), 0) + 1
            person_id += 1
        hh_id += 1
    return households, people, tags, counts


def _village_places(villages: list[dict], n: int) -> Iterator[tuple[dict, None, str, str]]:
    per_group = max(120, math.ceil(n / len(villages)))
    for v in villages:
        for k in range(1, per_group + 1):
            yield v, None, "", str(k)


__all__ = ["seed_city", "BulkWriter", "CareTag", "Household"]
