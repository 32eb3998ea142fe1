"""Every page and endpoint of the testing app as every persona (see fangkong/core/testing/matrix.py).

The data (a round over 城关街道 covering X and Y, a site in X with tables, a closed tube with two
people, a positive pool with its recall, a box in transit) is built once per test by `_d`."""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from types import SimpleNamespace

from django.core.files.uploadedfile import SimpleUploadedFile

from fangkong.core.testing.matrix import Case

VIEWERS = {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200, "epi": 200}
NOT_X = {**VIEWERS, "worker_y": 404}


def _d(w):
    cached = getattr(w, "_testing_data", None)
    if cached is not None:
        return cached
    from fangkong.testing import services
    from fangkong.testing.tests import factories as f

    people = [f.person(w.unit_x, name=f"甲{i}") for i in range(4)]
    r = f.round_(w, start=dt.datetime.now(dt.UTC) - dt.timedelta(hours=2))
    site = f.site(w)
    table = site.tables.first()
    at = r.starts_at + dt.timedelta(minutes=30)
    services.bindings_ingest(actor=w.sampler, items=[f.item(r, "PC0001", table, p, at=at) for p in people[:2]])
    services.bindings_ingest(actor=w.sampler, items=[f.item(r, "PC0002", table, p, at=at, capacity=5)
                                                     for p in people[2:]])
    services.tube_close(actor=w.sampler, barcode="PC0002")
    services.results_ingest(actor=w.hq, items=[{"tube": "PC0002", "result": "positive"}])
    services.bindings_ingest(actor=w.sampler, items=[f.item(r, "PC0003", table, people[0], at=at)])
    services.tube_close(actor=w.sampler, barcode="PC0003")
    services.bindings_ingest(actor=w.sampler, items=[f.item(r, "PC0004", table, people[1], at=at)])
    services.tube_close(actor=w.sampler, barcode="PC0004")
    services.box_pack(actor=w.sampler, barcode="BOX1", tubes=["PC0004"])
    d = SimpleNamespace(round=r, table=table, people=people, at=at)
    w._testing_data = d
    return d


def _round(w):
    return _d(w).round.pk


def _binding(w):
    d = _d(w)
    return {"items": [{"client_id": "perm-1", "round": d.round.pk, "tube": "PC0010", "capacity": 10,
                       "table": d.table.pk, "id_type": "citizen_id", "id_number": d.people[3].id_number,
                       "sampled_at": d.at.isoformat()}]}


def _round_form(w):
    start = dt.datetime.now() + dt.timedelta(hours=1)  # noqa: DTZ005 - a form's local time
    return {"name": "第2轮", "area": w.street.code, "starts_at": start.strftime("%Y-%m-%dT%H:%M"),
            "ends_at": (start + dt.timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M"), "infant_age_years": 3,
            "areas": f"{w.x.code} pool 10\n{w.building_x.code} single"}


def _round_json(w):
    start = dt.datetime.now(dt.UTC) + dt.timedelta(hours=1)
    return {"name": "第2轮", "area": w.street.code, "starts_at": start.isoformat(),
            "ends_at": (start + dt.timedelta(hours=12)).isoformat(),
            "areas": [{"area": w.x.code, "mode": "pool", "capacity": 10}]}


def _upload(w):
    _d(w)
    return {"file": SimpleUploadedFile("results.csv", "管码,检测结果\nPC0001,阴性\n".encode())}


def _tube_query(w):
    d = _d(w)
    return f"?round={d.round.pk}&table={d.table.pk}&tube=PC0020&capacity=10"


R = "/testing/rounds/"
CASES = [
    Case("testing:index", lambda w: "/testing/", {**VIEWERS, "sampler": 403, "norole": 403}),
    Case("testing:round_create", lambda w: f"{R}new/", {"hq": 200, "street_admin": 200}, default=403),
    Case("testing:round_create", lambda w: f"{R}new/", {"hq": 302, "street_admin": 302}, default=403,
         method="POST", data=_round_form, label="post"),
    Case("testing:round_detail", lambda w: f"{R}{_round(w)}/", VIEWERS, default=404),
    Case("testing:round_detail", lambda w: f"{R}{_round(w)}/?area={w.x.code}", NOT_X, default=404, label="x"),
    Case("testing:untested", lambda w: f"{R}{_round(w)}/untested/?area={w.building_x.code}", NOT_X, default=404),
    Case("testing:untested", lambda w: f"{R}{_round(w)}/untested/?door=1", VIEWERS, default=404, label="door"),
    Case("testing:recalls", lambda w: f"{R}{_round(w)}/recalls/?area={w.x.code}", NOT_X, default=404),
    Case("testing:export_report", lambda w: f"{R}{_round(w)}/export/report/", VIEWERS, default=404),
    Case("testing:export_untested", lambda w: f"{R}{_round(w)}/export/untested/?area={w.x.code}", NOT_X,
         default=404),
    Case("testing:export_recalls", lambda w: f"{R}{_round(w)}/export/recalls/?area={w.x.code}", NOT_X, default=404),
    Case("testing:sites", lambda w: "/testing/sites/", {**VIEWERS, "sampler": 200, "norole": 403}),
    Case("testing:site_create", lambda w: "/testing/sites/new/", {"hq": 200, "street_admin": 200}, default=403),
    Case("testing:site_create", lambda w: "/testing/sites/new/", {"hq": 302, "street_admin": 302}, default=403,
         method="POST", data=lambda w: {"name": "新采样点", "area": w.x.code, "kind": "fixed", "tables": 2},
         label="post"),
    Case("testing:sample", lambda w: "/testing/sample/", {"sampler": 200}, default=403),
    Case("testing:sample_tube", lambda w: "/testing/sample/tube/" + _tube_query(w), {"sampler": 200}, default=403),
    Case("testing:sample_tube", lambda w: "/testing/sample/tube/", {"sampler": 302}, default=403, method="POST",
         data=lambda w: {**_binding(w)["items"][0], "tube": "PC0020"}, label="post"),
    Case("testing:sample_close", lambda w: "/testing/sample/close/", {"sampler": 302}, default=403, method="POST",
         data=lambda w: (_d(w), {"tube": "PC0001"})[1]),
    Case("testing:results_upload", lambda w: "/testing/results/", {"hq": 200}, default=403),
    Case("testing:results_upload", lambda w: "/testing/results/", {"hq": 200}, default=403, method="POST",
         data=_upload, label="post"),
    # API
    Case("api:round_create", lambda w: "/api/v1/testing/rounds", {"hq": 201, "street_admin": 201}, default=403,
         method="POST", data=_round_json, api=True, json=True),
    Case("api:round_list", lambda w: "/api/v1/testing/rounds", {**VIEWERS, "sampler": 403, "norole": 403}, api=True),
    Case("api:bindings", lambda w: "/api/v1/testing/bindings", {"sampler": 200}, default=403, method="POST",
         data=_binding, api=True, json=True),
    Case("api:tube_close", lambda w: (_d(w), "/api/v1/testing/tubes/PC0001/close")[1], {"sampler": 200},
         default=403, method="POST", api=True),
    Case("api:box_pack", lambda w: (_d(w), "/api/v1/testing/boxes")[1], {"sampler": 200}, default=403,
         method="POST", data=lambda w: {"box": "BOX2", "tubes": ["PC0003"]}, api=True, json=True),
    Case("api:box_receive", lambda w: (_d(w), "/api/v1/testing/boxes/BOX1/receive")[1], {"hq": 200}, default=403,
         method="POST", api=True),
    Case("api:results", lambda w: (_d(w), "/api/v1/testing/results")[1], {"hq": 200}, default=403, method="POST",
         data=lambda w: {"items": [{"tube": "PC0001", "result": "negative"}]}, api=True, json=True),
    Case("api:coverage", lambda w: f"/api/v1/testing/rounds/{_round(w)}/coverage?area={w.x.code}&children=1",
         NOT_X, default=404, api=True),
    Case("api:untested", lambda w: f"/api/v1/testing/rounds/{_round(w)}/untested?area={w.x.code}", NOT_X,
         default=404, api=True),
    Case("api:recalls", lambda w: f"/api/v1/testing/rounds/{_round(w)}/recalls?area={w.x.code}", NOT_X,
         default=404, api=True),
]


def _with_data(url):
    def build(w):
        _d(w)  # the data exists before the matrix counts events
        return url(w)

    return build


CASES = [replace(c, url=_with_data(c.url)) for c in CASES]
