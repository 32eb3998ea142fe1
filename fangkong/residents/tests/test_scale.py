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
