"""What keeps the ledger fast at 2,000,000 persons: the export's keyset chunks, the maintained counters."""

import pytest
from django.db import connection

from fangkong.residents import jobs
from fangkong.residents.models import Person
from fangkong.residents.seed import seed_city

pytestmark = pytest.mark.django_db


def test_export_reads_keyset_chunks_in_area_path_order(world, tmp_path):
    seed_city(persons=120, seed=3)
    qs = Person.objects.all()
    cols = ["id", "name", "area_path"]
    chunks = list(jobs.export_chunks(qs, cols, chunk_size=7))
    assert all(len(c) == 7 for c in chunks[:-1]) and 0 < len(chunks[-1]) <= 7
    rows = [r for c in chunks for r in c]
    assert [r[0] for r in rows] == list(qs.order_by("area_path", "id").values_list("id", flat=True))
    path, n = jobs.persons_export(
        actor=world.hq, area=world.city, path=str(tmp_path / "x.xlsx"), chunk_size=11
    )
    assert n == Person.objects.count()


def test_export_query_needs_no_sort_of_every_row_on_sqlite(world, tmp_path):
    """Ordering the whole export by id made SQLite sort every matching row in memory (867 MB at 2M)."""
    if connection.vendor != "sqlite":
        pytest.skip("SQLite query plan")
    seed_city(persons=40, seed=3)
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        jobs.persons_export(actor=world.hq, area=world.city, path=str(tmp_path / "x.xlsx"), chunk_size=9)
    selects = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith('SELECT "residents_person"')]
    assert len(selects) >= 5
    for sql in selects:
        with connection.cursor() as cur:
            cur.execute("EXPLAIN QUERY PLAN " + sql)
            plan = " ".join(str(r) for r in cur.fetchall())
        assert "TEMP B-TREE" not in plan, plan


def _exact(world):
    """The counters' answer equals a scan of the tables, for every level from the city down to a unit."""
    from fangkong.residents.models import CareTag, Household
    from fangkong.residents.selectors import city_counts, in_area

    city = None
    for area in (world.city, world.county, world.street, world.x, world.unit_x, world.unit_y):
        got = city_counts(world.hq, area)
        city = city or got
        tags = {}
        for t in in_area(CareTag.objects.all(), area).values_list("tag", flat=True):
            tags[t] = tags.get(t, 0) + 1
        want = {
            "persons": in_area(Person.objects.all(), area).count(),
            "households": in_area(Household.objects.all(), area).count(),
            "care_tags": dict(sorted(tags.items())),
        }
        assert got == want, area
    return city


def test_counts_stay_exact_after_create_move_delete_import_and_seed(world, tmp_path):
    import datetime as dt

    from fangkong.residents import counters, services
    from fangkong.residents.idnumbers import make_citizen_id
    from fangkong.residents.importers import import_ledger
    from fangkong.residents.models import AreaCount, CareTag, Household
    from fangkong.residents.tests.test_import import write_xlsx

    seed_city(persons=200, seed=2)
    assert _exact(world)["persons"] == 200
    ux, uy = city_counts_of(world, world.unit_x), city_counts_of(world, world.unit_y)
    hx = services.household_create(actor=world.hq, area=world.unit_x, room="9901")
    hy = services.household_create(actor=world.hq, area=world.unit_y, room="9902")
    p = services.person_register(
        actor=world.hq,
        area=world.unit_x,
        household=hx,
        name="张三",
        id_type="citizen_id",
        id_number=make_citizen_id("611002", dt.date(1940, 2, 3), 17),
        care_tags=["disabled", "lives_alone_elderly"],
    )
    assert _exact(world)["persons"] == 201
    assert city_counts_of(world, world.unit_x)["persons"] == ux["persons"] + 1
    services.person_move(actor=world.hq, person=p, household=hy, reason="搬家")
    assert city_counts_of(world, world.unit_x)["persons"] == ux["persons"]
    tags_y = city_counts_of(world, world.unit_y)["care_tags"]
    assert tags_y.get("disabled", 0) == uy["care_tags"].get("disabled", 0) + 1
    _exact(world)
    services.person_update(actor=world.hq, person=p, care_tags=["pregnant"])
    _exact(world)
    comp, bld, unit = world.compound_x.name, world.building_x.name, world.unit_x.name
    rows = [["姓名", "公民身份号码", "小区", "楼号", "单元", "房号", "与户主关系", "特殊人群"]]
    rows += [
        [
            f"李{i}",
            make_citizen_id("611002", dt.date(1980, 1, 1 + i), 11 + 2 * i),
            comp,
            bld,
            unit,
            f"{5 + i // 3}01",
            "户主",
            "婴幼儿" if i % 4 == 0 else "",
        ]
        for i in range(12)
    ]
    res = import_ledger(
        actor=world.hq,
        area=world.x,
        path=write_xlsx(tmp_path / "l.xlsx", rows),
        filename="l.xlsx",
        dry_run=False,
    )
    assert res.created == 12, res.preview
    assert _exact(world)["persons"] == 213
    counters.fold()
    _exact(world)
    CareTag.objects.filter(person=p).delete()
    Person.objects.filter(pk=p.pk).delete()
    Household.objects.filter(pk=hx.pk).delete()
    assert _exact(world)["persons"] == 212
    # the rebuild gives the same counters
    counters.fold()
    before = sorted(AreaCount.objects.exclude(n=0).values_list("area_path", "kind", "n"))
    counters.recount()
    assert sorted(AreaCount.objects.exclude(n=0).values_list("area_path", "kind", "n")) == before
    _exact(world)


def city_counts_of(world, area):
    from fangkong.residents.selectors import city_counts

    return city_counts(world.hq, area)


def test_city_counts_read_counters_not_the_ledger(world):
    from django.test.utils import CaptureQueriesContext

    from fangkong.residents.selectors import city_counts

    seed_city(persons=50, seed=4)
    with CaptureQueriesContext(connection) as ctx:
        city_counts(world.hq, world.city)
    sql = " ".join(q["sql"] for q in ctx.captured_queries)
    assert "residents_areacount" in sql
    assert (
        "residents_person" not in sql and "residents_household" not in sql and "residents_caretag" not in sql
    )


def test_export_command_keeps_no_query_log(world, tmp_path, settings):
    """Under DEBUG the query log kept every chunk's SQL: 382 MB for a 2,100,000-row export on PostgreSQL."""
    import io

    from django.db import reset_queries

    from fangkong.residents.cli import export_handle

    seed_city(persons=30, seed=1)
    settings.DEBUG = True
    reset_queries()
    out = io.StringIO()
    export_handle(
        {"area": world.city.code, "as_user": world.hq.username, "output": str(tmp_path / "x.xlsx")}, out
    )
    assert '"rows": 30' in out.getvalue()
    logged = " ".join(q["sql"] for q in connection.queries_log)
    assert "residents_person" not in logged and "residents_caretag" not in logged
