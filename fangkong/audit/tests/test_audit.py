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
