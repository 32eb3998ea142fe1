import datetime as dt
import os

import pytest

from fangkong.audit.models import Access, Event
from fangkong.core.errors import NotFound, ServiceError
from fangkong.residents import selectors, services
from fangkong.residents.idnumbers import make_citizen_id
from fangkong.residents.models import Household, Person, PersonMove

pytestmark = pytest.mark.django_db
CID = make_citizen_id("611002", dt.date(1985, 2, 3), 17)


def hh(world, unit, room="301"):
    return services.household_create(actor=world.hq, area=unit, room=room)


def test_register_derives_and_checks(world):
    h = hh(world, world.unit_x)
    assert h.floor == 3 and h.address.endswith("301室")
    p = services.person_register(actor=world.worker_x, area=h.area, household=h, name="张三", id_type="citizen_id",
                                 id_number=" " + CID.lower(), phone="138-0000-0000", care_tags=["disabled"])
    assert p.birth_date == dt.date(1985, 2, 3) and p.sex == "M" and p.name_initials == "zs"
    with pytest.raises(ServiceError) as exc:
        services.person_register(actor=world.worker_x, area=h.area, household=h, name="张三", id_type="citizen_id",
                                 id_number=make_citizen_id("611002", dt.date(1985, 2, 3), 19),
                                 birth_date=dt.date(1985, 2, 4))
    assert exc.value.code == "birth_date_mismatch"
    with pytest.raises(NotFound):
        services.person_register(actor=world.worker_y, area=h.area, household=h, name="x", id_type="citizen_id",
                                 id_number=CID)


def test_duplicate_then_move_keeps_one_record_and_history(world):
    hx, hy = hh(world, world.unit_x), hh(world, world.unit_y)
    p = services.person_register(actor=world.hq, area=hx.area, household=hx, name="张三", id_type="citizen_id",
                                 id_number=CID)
    with pytest.raises(services.DuplicatePerson) as exc:
        services.person_register(actor=world.worker_y, area=hy.area, household=hy, name="张三",
                                 id_type="citizen_id", id_number=CID)
    assert exc.value.existing.pk == p.pk
    services.person_move(actor=world.worker_y, person=exc.value.existing, household=hy, reason="搬家")
    p.refresh_from_db()
    assert p.household == hy and p.area_path == world.unit_y.path
    assert Person.objects.filter(id_number=CID).count() == 1
    move = PersonMove.objects.get(person=p)
    assert move.from_household == hx and move.to_household == hy
    assert Event.objects.filter(action="person.move").count() == 1


def test_update_and_search(world):
    h = hh(world, world.unit_x)
    p = services.person_register(actor=world.hq, area=h.area, household=h, name="张三", id_type="citizen_id",
                                 id_number=CID, phone="13800000000")
    services.person_update(actor=world.worker_x, person=p, workplace="商洛学院", care_tags=["pregnant"])
    assert list(p.care_tags.values_list("tag", flat=True)) == ["pregnant"]
    for q in ("张", "zs", CID[-6:], "13800000000", h.address[:6]):
        assert list(selectors.person_search(world.worker_x, q)) == [p], q
    assert list(selectors.person_search(world.worker_y, "zs")) == []


def test_reveal_is_logged(world, client):
    h = hh(world, world.unit_x)
    p = services.person_register(actor=world.hq, area=h.area, household=h, name="张三", id_type="citizen_id",
                                 id_number=CID, phone="13800000000")
    client.force_login(world.worker_x)
    r = client.get(f"/residents/persons/{p.pk}/")
    assert CID not in r.content.decode() and Access.objects.filter(kind="read").count() == 1
    r = client.post(f"/residents/persons/{p.pk}/reveal/")
    assert CID in r.content.decode() and Access.objects.filter(kind="reveal").count() == 1


def test_visit_and_campaign_progress(world):
    h = hh(world, world.unit_x)
    c = services.campaign_open(actor=world.street_admin, area=world.x, name="敲门")
    assert selectors.campaign_progress(world.worker_x, c)["done"] == 0
    services.visit_record(actor=world.worker_x, campaign=c, household=h, outcome="nobody_home")
    assert selectors.campaign_progress(world.worker_x, c)["done"] == 0
    services.visit_record(actor=world.worker_x, campaign=c, household=h, outcome="visited")
    prog = selectors.campaign_progress(world.worker_x, c)
    assert prog["done"] == 1 and prog["pending"] == []


def test_seed_city_is_deterministic_and_valid(world):
    from fangkong.residents.idnumbers import normalize_citizen_id
    from fangkong.residents.normalize import pinyin_initials
    from fangkong.residents.seed import seed_city

    res = seed_city(persons=30, seed=5)
    assert res["persons"] == 30 and Household.objects.count() == res["households"]
    first = list(Person.objects.order_by("id").values_list("name", "id_number")[:50])
    for p in Person.objects.all()[:200]:
        assert normalize_citizen_id(p.id_number, today=dt.date(2022, 6, 1)) == p.id_number
        assert p.name_initials == pinyin_initials(p.name)
        assert p.household_id and p.area_path == p.household.area_path
    Person.objects.all().delete()
    from fangkong.residents.models import CareTag

    CareTag.objects.all().delete()
    Household.objects.all().delete()
    seed_city(persons=30, seed=5)
    assert list(Person.objects.order_by("id").values_list("name", "id_number")[:50]) == first


def test_seed_city_copy_path_on_postgresql(world):
    """The PostgreSQL bulk path (psycopg 3 COPY): rows land with native types, sequences follow, ORM writes go on."""
    from django.db import connection

    if connection.vendor != "postgresql":
        pytest.skip("COPY is the PostgreSQL path; SQLite uses executemany (covered above)")
    from fangkong.residents.models import CareTag
    from fangkong.residents.seed import seed_city

    res = seed_city(persons=600, seed=11)
    assert Person.objects.count() == 600 == res["persons"]
    assert Household.objects.count() == res["households"]
    assert CareTag.objects.count() == res["care_tags"]
    p = Person.objects.order_by("id").first()
    assert isinstance(p.birth_date, dt.date) and p.created_at.tzinfo is not None
    assert p.household.area_path == p.area_path and len(p.id_number) == 18
    assert Event.objects.filter(action="person.seed_city").count() == 1
    # sequences were moved past the copied ids: the ORM can write right after a seed
    h = hh(world, world.unit_x, room="9901")
    assert h.pk > Household.objects.exclude(pk=h.pk).order_by("-pk").values_list("pk", flat=True).first()
    q = services.person_register(actor=world.hq, area=world.unit_x, household=h, name="李四", id_type="citizen_id",
                                 id_number=CID, relationship="head")
    assert q.pk > 600
    tag = CareTag.objects.create(person=q, tag="pregnant", area_path=q.area_path)
    assert tag.pk > res["care_tags"]
    # the search and the building view read the copied rows
    assert selectors.person_search(world.hq, p.name).filter(pk=p.pk).exists()


def test_edit_form_shows_the_birth_date_in_the_date_input(world, client):
    """<input type=date> only accepts ISO dates: the edit page must not render an empty date."""
    h = hh(world, world.unit_x)
    p = services.person_register(actor=world.hq, area=world.unit_x, household=h, name="张三", id_type="citizen_id",
                                 id_number=CID, relationship="head")
    client.force_login(world.hq)
    body = client.get(f"/residents/persons/{p.pk}/edit/").content.decode()
    assert 'value="1985-02-03"' in body


def test_seed_city_same_people_whatever_the_number_of_workers(world, monkeypatch):
    """Chunks are generated apart (forked processes) with their own generators and shares of the
    citizen-ID sequence numbers: the city depends on the seed and the size only, and no ID repeats."""
    from fangkong.residents import seed as seed_module
    from fangkong.residents.idnumbers import normalize_citizen_id
    from fangkong.residents.models import CareTag

    monkeypatch.setattr(seed_module, "CHUNK", 5)  # households per chunk: many chunks from a small city

    def city():
        people = list(Person.objects.order_by("id").values_list(
            "id", "household_id", "area_path", "name", "name_initials", "id_number", "sex", "birth_date", "phone",
            "residence_type", "relationship", "workplace"))
        homes = list(Household.objects.order_by("id").values_list("id", "area_path", "floor", "room", "address"))
        tags = sorted(CareTag.objects.values_list("person_id", "tag", "note"))
        return people, homes, tags

    def clear():
        CareTag.objects.all().delete()
        Person.objects.all().delete()
        Household.objects.all().delete()

    seed_module.seed_city(persons=200, seed=9, workers=0)  # the tree may grow to hold the city the first time
    clear()
    res1 = seed_module.seed_city(persons=200, seed=9, workers=0)
    one = city()
    ids = [p[5] for p in one[0]]
    assert len(ids) == len(set(ids)) == 200 == res1["persons"]
    for cid in ids:
        assert normalize_citizen_id(cid, today=dt.date(2022, 6, 1)) == cid
    clear()
    res2 = seed_module.seed_city(persons=200, seed=9, workers=1)
    two = city()
    # household ids continue after the deleted ones: compare positions, not the surrogate keys
    shift = two[1][0][0] - one[1][0][0]
    assert [h[1:] for h in two[1]] == [h[1:] for h in one[1]]
    assert [(p[0], p[1] - shift, *p[2:]) for p in two[0]] == one[0]
    assert two[2] == one[2] and res2["care_tags"] == res1["care_tags"] == len(one[2])
    # the counters the load added itself are those a recount from the tables gives
    from fangkong.residents import counters
    from fangkong.residents.models import AreaCount

    counters.fold()
    added = sorted(AreaCount.objects.exclude(n=0).values_list("area_path", "kind", "n"))
    assert sum(n for _p, kind, n in added if kind == "persons") == 200
    counters.recount()
    assert sorted(AreaCount.objects.exclude(n=0).values_list("area_path", "kind", "n")) == added


@pytest.mark.django_db(transaction=True)
def test_seed_city_outside_a_transaction_loads_in_bulk_mode_and_leaves_the_database_as_it_was():
    """Outside a transaction the seed loads with a rollback journal and no per-row foreign-key probe on
    SQLite (a WAL file): afterwards every reference holds and the journal and foreign keys are as before."""
    from django.core.management import call_command
    from django.db import connection

    from fangkong.residents.seed import seed_city

    call_command("load_divisions", stdout=open(os.devnull, "w"))
    journal = None
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA journal_mode")
            journal = cur.fetchone()[0]  # "memory" for the test database in memory, "wal" for a file
    res = seed_city(persons=300, seed=4)
    assert Person.objects.count() == res["persons"] == 300
    if connection.vendor == "sqlite":
        with connection.cursor() as cur:
            cur.execute("PRAGMA foreign_key_check")
            assert cur.fetchall() == []
            cur.execute("PRAGMA foreign_keys")
            assert cur.fetchone()[0] == 1
            cur.execute("PRAGMA journal_mode")
            assert cur.fetchone()[0] == journal
            cur.execute("PRAGMA temp_store")
            assert cur.fetchone()[0] == 2  # MEMORY, as the settings open every connection
