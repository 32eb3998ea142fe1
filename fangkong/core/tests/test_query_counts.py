"""Query-count baselines for list pages: the count must not grow with the number of rows."""

from fangkong.accounts.services import user_create
from fangkong.areas.services import area_create


def _count(client, url, django_assert_max_num_queries, limit):
    with django_assert_max_num_queries(limit):
        response = client.get(url)
    assert response.status_code == 200


def test_area_detail_does_not_grow_with_children(client, world, django_assert_max_num_queries):
    client.force_login(world.hq)
    for i in range(30):
        area_create(actor=world.hq, parent=world.x, name=f"第{i + 10}网格")
    _count(client, f"/areas/{world.x.code}/", django_assert_max_num_queries, 16)
    _count(client, f"/api/v1/areas/{world.x.code}/children", django_assert_max_num_queries, 12)


def test_user_list_does_not_grow_with_users(client, world, django_assert_max_num_queries):
    client.force_login(world.hq)
    for i in range(25):
        user_create(actor=world.hq, username=f"u{i}", password="Zx-98765-qw", role="volunteer", area=world.x)
    _count(client, "/accounts/users/", django_assert_max_num_queries, 14)


def test_audit_list_does_not_grow_with_events(client, world, django_assert_max_num_queries):
    client.force_login(world.hq)
    _count(client, "/audit/events/", django_assert_max_num_queries, 12)
