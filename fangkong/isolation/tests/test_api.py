"""The isolation JSON API: every endpoint through a device token, idempotent retries by client id, the
second-approver refusal, scoping (out of scope → 404) and the separate call logs."""

import datetime as dt
import json

import pytest
from django.utils import timezone

from fangkong.accounts.services import token_create
from fangkong.audit.models import Event
from fangkong.isolation import services
from fangkong.isolation.models import CallLog, Episode, Escalation, Need, Task
from fangkong.isolation.tests.conftest import make_household, make_person, make_user

pytestmark = pytest.mark.django_db
A = "/api/v1/isolation"


class Api:
    def __init__(self, client, user):
        _t, self.token = token_create(actor=None, user=user, name=f"device {user.username}")
        self.client = client

    def get(self, url, **params):
        return self.client.get(A + url, params, HTTP_AUTHORIZATION=f"Bearer {self.token}")

    def post(self, url, data=None):
        return self.client.post(
            A + url,
            json.dumps(data or {}),
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.token}",
        )


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def home(world, today):
    person = make_person(world, "居家甲", make_household(world.unit_x, "201"))
    return services.episode_admit(
        actor=world.hq,
        person=person,
        mode="home",
        ruleset_id="di9ban",
        category="secondary_contact",
        last_exposure=today,
        start=today,
        guardians=[(world.worker_x, "网格员")],
    )


@pytest.fixture
def at_site(world, site, staff, today):
    person = make_person(world, "集中乙", make_household(world.unit_x, "202"))
    return services.episode_admit(
        actor=world.hq,
        person=person,
        mode="centralized",
        site=site,
        ruleset_id="di9ban",
        category="close_contact",
        last_exposure=today,
        start=today,
    )


def test_sites_with_capacity_and_site_worklist(client, world, site, staff, at_site):
    api = Api(client, staff)
    r = api.get("/sites")
    assert r.status_code == 200
    assert [(s["name"], s["rooms"], s["occupied"], s["persons"], s["free"]) for s in r.json()] == [
        ("城关街道集中隔离点", 3, 1, 1, 2)
    ]
    r = api.get(f"/sites/{site.pk}/worklist")
    body = r.json()
    assert r.status_code == 200 and body["counts"]["follow_ups_due"] == 2
    assert {t["person_name"] for t in body["follow_ups_due"]} == {"集中乙"}
    assert body["capacity"]["free"] == 2
    other = services.site_create(actor=world.hq, area=world.street2, name="山阳隔离点", rooms=["1"])
    assert api.get(f"/sites/{other.pk}").status_code == 404  # not a member: as if it did not exist
    assert Api(client, world.worker_x).get(f"/sites/{site.pk}").status_code == 404


def test_admission_with_transfer_then_arrive(client, world, site, staff, today):
    person = make_person(world, "转运丙", make_household(world.unit_x, "203"))
    api = Api(client, world.street_admin)
    r = api.post(
        "/episodes",
        {
            "person_id": person.pk,
            "mode": "centralized",
            "site_id": site.pk,
            "ruleset_id": "di9ban",
            "category": "close_contact",
            "last_exposure": today.isoformat(),
            "transfer": {
                "pickup_place": "翠屏社区东门",
                "pickup_at": timezone.now().isoformat(),
                "vehicle": "陕H·12345",
                "escort": "李医生",
            },
        },
    )
    assert r.status_code == 201, r.content
    ep = r.json()
    assert ep["state"] == "transfer" and ep["room"] == "101" and ep["caller"] == "iso_staff"
    assert ep["transfer"]["vehicle"] == "陕H·12345" and ep["transfer"]["arrived_at"] is None
    r = Api(client, staff).post(f"/episodes/{ep['id']}/arrive")
    assert r.status_code == 200 and r.json()["state"] == "active" and r.json()["transfer"]["arrived_at"]
    # a second admission of the same person is refused with the service's message
    r = api.post(
        "/episodes",
        {
            "person_id": person.pk,
            "mode": "home",
            "ruleset_id": "di9ban",
            "category": "close_contact",
            "last_exposure": today.isoformat(),
        },
    )
    assert r.status_code == 400 and r.json()["code"] == "already_open"
    # a person outside the actor's area: 404
    far = make_person(world, "山阳丁", area=world.z)
    r = api.post(
        "/episodes",
        {
            "person_id": far.pk,
            "mode": "home",
            "ruleset_id": "di9ban",
            "category": "secondary_contact",
            "last_exposure": today.isoformat(),
        },
    )
    assert r.status_code == 404


def test_daily_check_is_idempotent_by_client_id(client, world, staff, at_site):
    api = Api(client, staff)
    task = at_site.tasks.filter(kind="follow_up", slot="am").get()
    body = {
        "client_id": "dev1-0001",
        "temperature": "37.8",
        "symptoms": "咳嗽",
        "needs": [{"kind": "medicine", "text": "止咳药"}],
    }
    r = api.post(f"/tasks/{task.pk}/check", body)
    assert r.status_code == 200, r.content
    first = r.json()
    assert first["state"] == "done" and first["outcome"] == "seen_unwell" and first["temperature"] == 37.8
    assert first["replayed"] is False
    events = Event.objects.count()
    r = api.post(f"/tasks/{task.pk}/check", body)  # the device retries after a lost answer
    assert r.status_code == 200 and r.json()["replayed"] is True and r.json()["outcome"] == "seen_unwell"
    assert Event.objects.count() == events
    assert Need.objects.filter(episode=at_site).count() == 1
    assert Escalation.objects.filter(task=task).count() == 1
    # the same client id for another task is refused
    pm = at_site.tasks.filter(kind="follow_up", slot="pm").get()
    r = api.post(f"/tasks/{pm.pk}/check", body)
    assert r.status_code == 400 and r.json()["code"] == "client_id_reused"
    # a fever alone is unwell; a normal temperature without symptoms is well
    r = api.post(f"/tasks/{pm.pk}/check", {"client_id": "dev1-0002", "temperature": "36.4"})
    assert r.json()["outcome"] == "seen_well"


def test_home_follow_up_is_idempotent_and_scoped(client, world, home):
    api = Api(client, world.worker_x)
    task = home.tasks.filter(kind="follow_up", slot="am").get()
    body = {"client_id": "gx-77", "outcome": "not_reached"}
    r = api.post(f"/tasks/{task.pk}/follow-up", body)
    assert r.status_code == 200 and r.json()["outcome"] == "not_reached" and r.json()["replayed"] is False
    r = api.post(f"/tasks/{task.pk}/follow-up", body)
    assert r.status_code == 200 and r.json()["replayed"] is True
    assert Escalation.objects.filter(task=task).count() == 1
    r = api.post(f"/tasks/{task.pk}/follow-up", {"outcome": "seen_well"})
    assert r.status_code == 400 and r.json()["field"] == "temperature"
    assert api.post(f"/tasks/{task.pk}/check", {"temperature": "36.5"}).json()["code"] == "wrong_mode"
    # worker_y does not guard this person: 404, nothing written
    other = Api(client, world.worker_y)
    events = Event.objects.count()
    r = other.post(f"/tasks/{task.pk}/follow-up", {"client_id": "gy-1", "outcome": "not_done"})
    assert r.status_code == 404 and Event.objects.count() == events


def test_my_tasks_today_and_test_results(client, world, home, at_site, staff):
    r = Api(client, world.worker_x).get("/tasks/today")
    assert r.status_code == 200
    assert {(t["person_name"], t["kind"], t["slot"]) for t in r.json()} >= {
        ("居家甲", "follow_up", "am"),
        ("居家甲", "follow_up", "pm"),
    }
    assert {t["person_name"] for t in r.json()} == {"居家甲"}
    mine = Api(client, staff).get("/tasks/today").json()
    assert {t["person_name"] for t in mine} == {"集中乙"}
    test = home.tasks.filter(kind="test").order_by("due_date").first()
    assert test is not None
    api = Api(client, world.worker_x)
    r = api.post(f"/tasks/{test.pk}/test-result", {"client_id": "lab-1", "result": "negative"})
    assert (
        r.status_code == 200
        and r.json()["result"] == "negative"
        and r.json()["sampled_on"] == str(test.due_date)
    )
    r = api.post(f"/tasks/{test.pk}/test-result", {"client_id": "lab-1", "result": "negative"})
    assert r.json()["replayed"] is True
    tasks = api.get(f"/episodes/{home.pk}/tasks").json()
    assert any(t["id"] == test.pk and t["result"] == "negative" for t in tasks)


def test_release_needs_a_second_person(client, world, today):
    start = today - dt.timedelta(days=6)  # 第九版 次密接: 7 days at home, tests on days 1, 4, 7
    person = make_person(world, "解除戊", make_household(world.unit_x, "204"))
    ep = services.episode_admit(
        actor=world.hq,
        person=person,
        mode="home",
        ruleset_id="di9ban",
        category="secondary_contact",
        last_exposure=start,
        start=start,
        guardians=[(world.worker_x, "网格员")],
    )
    d = start
    while d <= today:
        services.tasks_generate(day=d)
        d += dt.timedelta(days=1)
    worker, epi = Api(client, world.worker_x), Api(client, world.epi)
    r = worker.post(f"/episodes/{ep.pk}/release/propose")
    assert r.status_code == 400 and r.json()["code"] == "release_refused"  # tests missing
    for i, t in enumerate(ep.tasks.filter(kind="test")):
        assert (
            worker.post(
                f"/tasks/{t.pk}/test-result", {"client_id": f"t{i}", "result": "negative"}
            ).status_code
            == 200
        )
    r = epi.post(f"/episodes/{ep.pk}/release/propose")
    assert (
        r.status_code == 200 and r.json()["state"] == "release_proposed" and r.json()["proposed_by"] == "epi"
    )
    r = epi.post(f"/episodes/{ep.pk}/release/approve")  # the proposer cannot approve
    assert r.status_code == 400 and r.json()["code"] == "four_eyes"
    assert Episode.objects.get(pk=ep.pk).state == "release_proposed"
    assert worker.post(f"/episodes/{ep.pk}/release/approve").status_code == 404  # no isolation.release
    r = Api(client, world.hq).post(f"/episodes/{ep.pk}/release/approve")
    assert r.status_code == 200, r.content
    assert r.json()["state"] == "released" and r.json()["released_by"] == "hq"
    assert r.json()["released_on"] == today.isoformat()


def test_needs_raised_and_closed(client, world, home):
    api = Api(client, world.worker_x)
    r = api.post(f"/episodes/{home.pk}/needs", {"client_id": "n-1", "kind": "supplies", "text": "米面油"})
    assert r.status_code == 201 and r.json()["replayed"] is False
    r2 = api.post(f"/episodes/{home.pk}/needs", {"client_id": "n-1", "kind": "supplies", "text": "米面油"})
    assert r2.status_code == 200 and r2.json()["id"] == r.json()["id"] and r2.json()["replayed"] is True
    assert [n["text"] for n in api.get("/needs").json()] == ["米面油"]
    assert Api(client, world.worker_y).get("/needs").json() == []
    r = api.post(f"/needs/{r.json()['id']}/done", {"note": "已送到门口"})
    assert r.status_code == 200 and r.json()["done"] is True
    assert api.get("/needs").json() == [] and len(api.get("/needs", done=True).json()) == 1
    assert api.post(f"/episodes/{home.pk}/needs", {"kind": "nonsense"}).status_code == 400


def test_call_log_rows_sheet_and_missing_calls(client, world, site, staff, at_site, today):
    other_staff = make_user("iso_staff2", "isolation_staff", world.street)
    services.staff_add(actor=world.hq, site=site, user=other_staff, group=site.groups.get(name="信息联络组"))
    second = services.episode_admit(
        actor=world.hq,
        person=make_person(world, "集中己", make_household(world.unit_x, "205")),
        mode="centralized",
        site=site,
        ruleset_id="di9ban",
        category="close_contact",
        last_exposure=today,
        start=today,
    )
    assert at_site.caller == staff and second.caller == other_staff
    api = Api(client, staff)
    body = {"client_id": "call-1", "episode_id": at_site.pk, "slot": "am", "reached": False}
    r = api.post("/calls", body)
    assert r.status_code == 201 and r.json()["reached"] is False and r.json()["caller"] == "iso_staff"
    assert api.post("/calls", body).status_code == 200  # retry: the same row
    r = api.post(
        "/calls",
        {
            "client_id": "call-2",
            "episode_id": at_site.pk,
            "slot": "am",
            "reached": True,
            "needs": [
                {"kind": "medicine", "text": "降压药"},
                {"kind": "phone_credit"},
                {"kind": "anxiety", "text": "担心家里老人"},
            ],
        },
    )
    assert r.status_code == 201
    assert sorted(n["kind"] for n in r.json()["needs"]) == ["anxiety", "medicine", "phone_credit"]
    assert CallLog.objects.filter(episode=at_site).count() == 2  # each call is its own row
    assert Need.objects.get(call_id=r.json()["id"], kind="phone_credit").text == "话费充值"
    sheet = api.get(f"/sites/{site.pk}/calls").json()
    assert sheet["counts"] == {"am": {"done": 1, "not_done": 0}, "pm": {"done": 0, "not_done": 1}}
    assert sheet["rows"][0]["am"]["reached"] is True and sheet["rows"][0]["am_count"] == 2
    missing = {m["caller"]: m for m in api.get(f"/sites/{site.pk}/calls/missing").json()}
    assert missing["iso_staff"]["missing"] == {"am": 0, "pm": 1}
    assert missing["iso_staff2"]["missing"] == {"am": 1, "pm": 1}
    assert missing["iso_staff2"]["people"][0]["person_name"] == "集中己"
    # a call for a person at another site: 404
    other = services.site_create(actor=world.hq, area=world.street, name="第二隔离点", rooms=["1"])
    far = services.episode_admit(
        actor=world.hq,
        person=make_person(world, "别处庚", make_household(world.unit_y, "206")),
        mode="centralized",
        site=other,
        ruleset_id="di9ban",
        category="close_contact",
        last_exposure=today,
        start=today,
    )
    assert api.post("/calls", {"episode_id": far.pk, "slot": "pm", "reached": True}).status_code == 404
    assert api.post("/calls", {"episode_id": at_site.pk, "slot": "noon", "reached": True}).status_code == 400


def test_call_list_page_logs_a_call(client, world, site, staff, at_site):
    client.force_login(staff)
    r = client.get(f"/isolation/sites/{site.pk}/calls/")
    assert r.status_code == 200 and "集中乙" in r.content.decode()
    r = client.post(
        f"/isolation/sites/{site.pk}/calls/",
        {
            "episode": at_site.pk,
            "slot": "pm",
            "reached": "1",
            "need_medicine": "1",
            "need_other": "1",
            "need_text": "想要书",
        },
    )
    assert r.status_code == 302
    call = CallLog.objects.get(episode=at_site)
    assert (call.slot, call.reached, call.caller) == ("pm", True, staff)
    assert sorted(call.needs.values_list("kind", "text")) == [("medicine", "药品"), ("other", "想要书")]
    page = client.get(f"/isolation/sites/{site.pk}/calls/").content.decode()
    assert "未打" in page and "已接通" in page
    client.force_login(world.hq)
    page = client.get(f"/isolation/sites/{site.pk}/calls/missing/").content.decode()
    assert "iso_staff" in page and "集中乙" in page
    page = client.get(f"/isolation/episodes/{at_site.pk}/").content.decode()
    assert "电话随访记录" in page and "已接通" in page


def test_openapi_lists_the_isolation_endpoints(client, world):
    doc = client.get("/api/v1/openapi.json").json()
    paths = [p for p in doc["paths"] if p.startswith(A)]
    for p in (
        "/sites",
        "/episodes",
        "/tasks/today",
        "/tasks/{task_id}/check",
        "/calls",
        "/needs",
        "/episodes/{episode_id}/release/approve",
        "/sites/{site_id}/calls/missing",
    ):
        assert A + p in paths, p


def test_task_rows_unchanged_by_a_denied_recording(client, world, home):
    task = home.tasks.filter(kind="follow_up").first()
    Api(client, world.norole).post(f"/tasks/{task.pk}/follow-up", {"outcome": "not_done"})
    assert Task.objects.get(pk=task.pk).state == "open"


@pytest.fixture
def restore_language():
    from django.utils import translation

    lang = translation.get_language()
    yield
    translation.activate(lang)  # the locale middleware leaves the last request's language active


def test_english_catalogue_for_pages_and_api(client, world, site, staff, at_site, restore_language):
    """The isolation app's English catalogue: a page and an API refusal in English."""
    client.force_login(staff)
    page = client.get(f"/isolation/sites/{site.pk}/calls/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    assert "My call list" in page and "Not called" in page
    client.logout()
    api = Api(client, world.epi)
    ep = services.episode_admit(
        actor=world.hq,
        person=make_person(world, "英文", make_household(world.unit_x, "207")),
        mode="home",
        ruleset_id="di9ban",
        category="secondary_contact",
        last_exposure=timezone.localdate(),
    )
    r = client.post(
        f"{A}/episodes/{ep.pk}/release/propose",
        "{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {api.token}",
        HTTP_ACCEPT_LANGUAGE="en",
    )
    assert r.status_code == 400 and r.json()["detail"].startswith("Cannot release:")


def test_device_token_revoked_is_refused(client, world, home):
    from fangkong.accounts.models import ApiToken
    from fangkong.accounts.services import token_revoke

    api = Api(client, world.worker_x)
    assert api.get("/tasks/today").status_code == 200
    token_revoke(actor=world.hq, token=ApiToken.objects.get(user=world.worker_x))
    assert api.get("/tasks/today").status_code == 401
