import pytest
from django.db import connection, transaction

from fangkong.areas.services import area_create
from fangkong.audit.models import AppendOnlyError, Event
from fangkong.audit.selectors import event_list
from fangkong.core import context


def test_every_write_is_an_event_with_actor_ip_and_after(world):
    with context.bound(ip="10.1.2.3", rid="r1"):
        grid = area_create(actor=world.hq, parent=world.x, name="第5网格", reason="新网格")
    event = Event.objects.get(action="area.create", object_id=str(grid.pk))
    assert event.actor_name == "hq" and event.client_ip == "10.1.2.3" and event.reason == "新网格"
    assert event.after["name"] == "第5网格" and event.area_path == grid.path


def test_events_cannot_be_changed_or_deleted_through_the_orm(world):
    event = Event.objects.first()
    event.reason = "篡改"
    with pytest.raises(AppendOnlyError):
        event.save()
    with pytest.raises(AppendOnlyError):
        event.delete()
    with pytest.raises(AppendOnlyError):
        Event.objects.all().update(reason="x")
    with pytest.raises(AppendOnlyError):
        Event.objects.all().delete()


def test_database_triggers_refuse_update_and_delete(world):
    from importlib import import_module

    migration = import_module("fangkong.audit.migrations.0002_append_only_triggers")
    event = Event.objects.first()

    class Editor:  # the two things the migration uses of a schema editor
        def __init__(self):
            self.connection = connection

        def execute(self, sql, params=()):
            with connection.cursor() as cursor:
                cursor.execute(sql, params)

    editor = Editor()
    migration.create_triggers(None, editor, force=True)
    try:
        for sql in (f"UPDATE audit_event SET reason = 'x' WHERE id = {event.pk}",
                    f"DELETE FROM audit_event WHERE id = {event.pk}"):
            with pytest.raises(Exception, match="append-only"):
                with transaction.atomic(), connection.cursor() as cursor:
                    cursor.execute(sql)
    finally:
        migration.drop_triggers(None, editor)


def test_event_log_is_scoped_by_area(world):
    area_create(actor=world.hq, parent=world.x, name="X的网格")
    area_create(actor=world.hq, parent=world.z, name="Z的网格")
    inspector_events = event_list(world.hq, action="area.create")
    assert inspector_events.filter(after__name="Z的网格").exists()
    assert not event_list(world.street_admin).exists()  # street admins have no audit.view


def test_audit_pages_filter_by_area(client, world):
    area_create(actor=world.hq, parent=world.z, name="Z的网格")
    client.force_login(world.hq)
    page = client.get("/audit/events/", {"area": world.street.code})
    assert "Z的网格" not in page.content.decode()
    page = client.get("/audit/events/", {"area": world.street2.code})
    assert "Z的网格" in page.content.decode()


@pytest.mark.django_db
@pytest.mark.parametrize("n", [3, 600])
def test_bulk_events_are_stored_as_built(world, n):
    """events_record_bulk (COPY on PostgreSQL from COPY_FROM events) stores exactly what was built,
    JSON, addresses and request ids included."""
    import datetime as dt

    from django.utils import timezone

    from fangkong.audit.services import COPY_FROM, event_build, events_record_bulk

    assert 3 < COPY_FROM <= 600  # the two cases fall on both sides of the threshold
    at = timezone.now() - dt.timedelta(minutes=1)
    with context.bound(ip="10.1.2.3", rid="bulk-rid"):
        built = [event_build(actor=world.hq, action="bulk.test", object_type="testing.tube", object_id=i,
                             object_repr=f"T{i}", area_path=world.unit_x.path, after={"i": i, "text": "阴性"},
                             reason="批量", at=at) for i in range(n)]
    events_record_bulk(built)
    stored = list(Event.objects.filter(action="bulk.test").order_by("id"))
    assert len(stored) == n
    for e, b in zip(stored, built, strict=True):
        assert (e.actor_id, e.object_id, e.object_repr, e.area_path, e.after, e.reason, e.at) == (
            b.actor_id, str(b.object_id), b.object_repr, b.area_path, b.after, b.reason, b.at)
        assert (e.client_ip, e.request_id) == ("10.1.2.3", "bulk-rid")
