"""The WSGI fast path for POST /api/v1/testing/bindings answers exactly like the ninja endpoint.

Each scenario runs twice from the same database state (the first run is rolled back): once through
`fastpath.FastBindings` and once with it disabled (Django's middleware, ninja, pydantic). The status
lines, headers, bodies (byte for byte) and the rows written must be identical."""

from __future__ import annotations

import datetime as dt
import io
import json
from collections import defaultdict

import pytest
from django.core.handlers.wsgi import WSGIHandler
from django.db import close_old_connections, transaction

from fangkong.accounts.services import token_create, token_revoke
from fangkong.audit.models import Event
from fangkong.residents.models import Person
from fangkong.testing import fastpath
from fangkong.testing.models import Binding, CoverageDelta, RoundSample, Tube
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db


class _Rollback(Exception):
    pass


@pytest.fixture
def app():
    """The fast path in front of a Django WSGI handler; like Django's test client, without closing the
    test's connection at the end of each request."""
    from django.core import signals

    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    try:
        yield fastpath.FastBindings(WSGIHandler())
    finally:
        signals.request_started.connect(close_old_connections)
        signals.request_finished.connect(close_old_connections)


@pytest.fixture
def setup(world):
    people = [f.person(world.unit_x, name=f"居民{i}") for i in range(14)]
    r = f.round_(world)
    site = f.site(world)
    t1, _t2 = list(site.tables.order_by("name"))
    _tok, token = token_create(actor=None, user=world.sampler, name="终端1")
    return world, r, t1, people, token


def call(app, body, token, *, fast=True, rid="req-1"):
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    environ = {
        "REQUEST_METHOD": "POST",
        "PATH_INFO": fastpath.PATH,
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "HTTP_HOST": "testserver",
        "wsgi.url_scheme": "http",
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "CONTENT_TYPE": "application/json",
        "CONTENT_LENGTH": str(len(data)),
        "REMOTE_ADDR": "10.1.2.3",
        "HTTP_X_REQUEST_ID": rid,
        "wsgi.input": io.BytesIO(data),
        "wsgi.errors": io.StringIO(),
    }
    if token:
        environ["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    app.enabled = fast
    seen = []
    chunks = app(environ, lambda status, headers, *a: seen.append((status, headers)))
    payload = b"".join(chunks)
    if hasattr(chunks, "close"):
        chunks.close()
    status, headers = seen[0]
    return status, sorted((k, v) for k, v in headers if k not in ("Vary",)), payload


def snapshot(r):
    """The rows the ingest writes, without surrogate keys, batch ids or receipt times."""
    tubes = dict(Tube.objects.values_list("pk", "barcode"))
    bindings = sorted(
        (
            b.client_id,
            tubes[b.tube_id],
            b.table_id,
            Person.objects.get(pk=b.person_id).id_number,
            b.sampled_at,
            b.repeat,
            b.walk_in,
        )
        for b in Binding.objects.all()
    )
    tube_rows = sorted(
        Tube.objects.values_list("barcode", "capacity", "count", "status", "round_id", "area_path")
    )
    samples = sorted(
        (s.person.id_number, tubes[s.tube_id], s.state, s.counted, s.area_path, s.sampled_at)
        for s in RoundSample.objects.filter(round=r).select_related("person")
    )
    deltas: dict = defaultdict(lambda: defaultdict(int))
    for d in CoverageDelta.objects.filter(round=r).values():
        for k, v in d.items():
            if k not in ("id", "round_id", "area_path"):
                deltas[d["area_path"]][k] += v
    walk_ins = sorted(
        Person.objects.filter(walk_in=True).values_list("id_number", "area_path", "needs_review", "name")
    )
    events = sorted(
        (
            e.action,
            e.object_type,
            e.object_id,
            e.object_repr,
            e.area_path,
            e.actor_id,
            e.client_ip,
            e.request_id,
            json.dumps({k: v for k, v in (e.after or {}).items() if k != "batch"}, sort_keys=True),
        )
        for e in Event.objects.filter(
            action__in=("bindings.ingest", "person.walk_in", "person.register_walk_in")
        )
    )
    return {
        "bindings": bindings,
        "tubes": tube_rows,
        "samples": samples,
        "deltas": {k: dict(v) for k, v in deltas.items()},
        "walk_ins": walk_ins,
        "events": events,
    }


def run_both(app, r, scenario):
    """Run `scenario(send)` through Django (rolled back), then through the fast path; return both."""
    outcomes = {}
    for fast in (False, True):
        answers = []

        def send(body, token, _fast=fast, _answers=answers):
            out = call(app, body, token, fast=_fast, rid=f"req-{len(_answers)}")
            _answers.append(out)
            return out

        try:
            with transaction.atomic():
                scenario(send)
                outcomes[fast] = (answers, snapshot(r))
                if not fast:
                    raise _Rollback
        except _Rollback:
            pass
    return outcomes[False], outcomes[True]


def test_wsgi_application_has_the_fast_path():
    from fangkong.wsgi import application

    assert isinstance(application, fastpath.FastBindings)


def test_same_answers_and_rows_as_the_ninja_endpoint(app, setup):
    world, r, t1, people, token = setup
    late = f.START + dt.timedelta(hours=3)

    full = [f.item(r, "FP0001", t1, p, cid=f"a-{i}") for i, p in enumerate(people[:10])]
    walk_in = f.citizen_id(dt.date(1990, 1, 2))
    mixed = {
        "items": [
            f.item(r, "FP0001", t1, people[10], cid="b-full"),  # tube full / closed
            f.item(r, "FP0002", t1, people[11], cid="b-bad-id", id_number="61100219800517001X"),  # malformed
            f.item(r, "FP0002", t1, people[0], cid="b-repeat", at=late),  # already sampled: repeat flag
            f.item(r, "FP0002", t1, None, cid="b-walk", id_number=walk_in),  # walk-in
            {**f.item(r, "FP0002", t1, people[12], cid="b-time"), "sampled_at": "yesterday"},
            {**f.item(r, "FP0002", t1, people[12], cid="b-table"), "table": 999999},
            {**f.item(r, "FP0002", t1, people[12], cid="b-cap"), "capacity": 7},
            {**f.item(r, "FP0002", t1, people[12], cid="b-round"), "round": 999999},
            {**f.item(r, "FP0002", t1, people[12], cid="b-none"), "client_id": ""},
            f.item(r, "FP0002", t1, people[12], cid="b-ok", at=late),
            f.item(r, "FP0002", t1, people[12], cid="b-ok", at=late),  # the same client_id twice in a batch
            f.item(r, "FP0003", t1, people[13], cid="b-5", capacity=5),
        ]
    }

    def scenario(send):
        send({"items": full}, token)  # accepted ×10, the tube closes
        send({"items": full}, token)  # a retried batch: duplicate ×10
        send(mixed, token)
        send({"items": []}, token)

    (slow, slow_rows), (fast, fast_rows) = run_both(app, r, scenario)
    assert [a[0] for a in fast] == ["200 OK"] * 4
    for a, b in zip(fast, slow, strict=True):
        assert a[0] == b[0] and a[1] == b[1]
        for x, y in zip(json.loads(a[2])["results"], json.loads(b[2])["results"], strict=True):
            assert x == y
        assert a[2] == b[2]
    assert fast_rows == slow_rows
    results = json.loads(fast[2][2])["results"]
    assert [x["status"] for x in results] == [
        "rejected",
        "rejected",
        "accepted",
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
        "duplicate",
        "accepted",
    ]
    assert results[2]["flags"] == ["repeat"] and results[3]["flags"] == ["walk_in"]
    assert len(fast_rows["bindings"]) == 14 and fast_rows["events"]


def test_refusals_are_left_to_django(app, setup, world):
    _world, r, t1, people, token = setup
    body = {"items": [f.item(r, "FP0009", t1, people[0])]}
    for bad in (
        b"{not json",
        b'{"items": {"a": 1}}',
        b'{"items": [1, 2]}',
        b"[]",
        json.dumps({"items": [{}] * 1001}).encode(),
    ):
        assert call(app, bad, token, fast=True)[:2] == call(app, bad, token, fast=False)[:2]
        assert call(app, bad, token, fast=True)[0][:3] in ("400", "422")
    assert (
        call(app, body, None, fast=True)[:2] == call(app, body, None, fast=False)[:2]
    )  # session auth: ninja
    assert call(app, body, "fk_nope_nope", fast=True)[0][:3] in ("401", "403")
    _tok, lab_token = (
        token_create(actor=None, user=world.lab, name="实验室") if hasattr(world, "lab") else (None, None)
    )
    if lab_token:
        assert call(app, body, lab_token, fast=True)[:2] == call(app, body, lab_token, fast=False)[:2]
    assert not Binding.objects.exists()


def test_revoked_token_is_refused_at_once(app, setup):
    world, r, t1, people, _token = setup
    tok, token = token_create(actor=None, user=world.sampler, name="终端2")
    ok = call(app, {"items": [f.item(r, "FP0010", t1, people[0])]}, token)
    assert ok[0] == "200 OK" and json.loads(ok[2])["results"][0]["status"] == "accepted"
    token_revoke(actor=None, token=tok)  # clears the in-process token cache
    refused = call(app, {"items": [f.item(r, "FP0010", t1, people[1])]}, token)
    assert refused[0][:3] in ("401", "403")
    assert Binding.objects.count() == 1


def test_role_revoked_is_refused_at_once(app, setup):
    from fangkong.accounts.models import RoleAssignment
    from fangkong.accounts.services import role_revoke

    world, r, t1, people, token = setup
    assert call(app, {"items": [f.item(r, "FP0011", t1, people[0])]}, token)[0] == "200 OK"
    for a in RoleAssignment.objects.filter(user=world.sampler):
        role_revoke(actor=None, assignment=a)
    refused = call(app, {"items": [f.item(r, "FP0011", t1, people[1])]}, token)
    assert refused[0].startswith("403")
    assert Binding.objects.count() == 1
