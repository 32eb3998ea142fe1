"""Acceptance: "an epidemiologist cannot give anyone a status without evidence or a second approver, by
page or API". Without a written reason and an end date there is no request; the requester's own approval
is refused; no page or endpoint writes a status directly. Nothing is left in the 无依据状态 report."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from fangkong.epi import selectors
from fangkong.epi.models import ControlStatus, ManualStatusRequest
from fangkong.epi.tests.conftest import make_person

pytestmark = pytest.mark.django_db
D = dt.date


def _api(client, world, method, url, body=None, persona="epi"):
    headers = {"HTTP_AUTHORIZATION": f"Bearer {world.token(persona)}"}
    if method == "get":
        return client.get(url, **headers)
    return client.post(url, data=json.dumps(body or {}), content_type="application/json", **headers)


def _nothing_given(world, person):
    assert not ControlStatus.objects.filter(person=person).exists()
    assert not selectors.unsupported_statuses(world.hq).exists()


def test_api_refuses_a_status_without_evidence_or_a_second_approver(client, world):
    p = make_person(world, "王五", area=world.unit_x)
    base = {"person_id": p.pk, "kind": "home_isolation", "start": "2022-11-01", "end": "2022-11-07"}
    # no written reason: refused, nothing stored
    r = _api(client, world, "post", "/api/v1/epi/manual-requests", {**base, "reason": ""})
    assert r.status_code == 400 and r.json()["field"] == "reason"
    # no end date: refused
    r = _api(client, world, "post", "/api/v1/epi/manual-requests", {**base, "end": None, "reason": "流调研判需要"})
    assert r.status_code == 400 and r.json()["code"] == "end_required"
    assert not ManualStatusRequest.objects.exists()
    # a proper request is only a request
    r = _api(client, world, "post", "/api/v1/epi/manual-requests", {**base, "reason": "流调研判需要居家隔离"})
    assert r.status_code == 201
    req_id = r.json()["id"]
    _nothing_given(world, p)
    # the requester approving their own request: refused with the reason
    r = _api(client, world, "post", f"/api/v1/epi/manual-requests/{req_id}/approve", {"note": ""})
    assert r.status_code == 400 and r.json()["code"] == "self_approval"
    assert "不能审批自己提交的申请" in r.json()["detail"]
    _nothing_given(world, p)
    # there is no endpoint that writes a status directly
    r = _api(client, world, "post", f"/api/v1/epi/persons/{p.pk}/statuses",
             {"kind": "home_isolation", "start": "2022-11-01"})
    assert r.status_code in (404, 405)
    _nothing_given(world, p)
    assert ManualStatusRequest.objects.get(pk=req_id).state == "pending"


def test_pages_refuse_a_status_without_evidence_or_a_second_approver(client, world):
    p = make_person(world, "王五", area=world.unit_x)
    client.force_login(world.epi)
    url = f"/epi/persons/{p.pk}/request/"
    form = {"kind": "home_isolation", "start": "2022-11-01", "end": "2022-11-07"}
    # no reason, then no end date: the form comes back with the error, nothing stored
    r = client.post(url, {**form, "reason": ""})
    assert r.status_code == 200 and "理由" in r.content.decode()
    r = client.post(url, {**form, "end": "", "reason": "流调研判需要"})
    assert r.status_code == 200 and "结束日期" in r.content.decode()
    assert not ManualStatusRequest.objects.exists()
    r = client.post(url, {**form, "reason": "流调研判需要居家隔离"})
    assert r.status_code == 302
    req = ManualStatusRequest.objects.get()
    # the approvals page does not offer the requester a button, and a forged POST is refused with a message
    page = client.get("/epi/requests/").content.decode()
    assert "这是您本人提交的申请，须由另一位人员审批。" in page
    r = client.post(f"/epi/requests/{req.pk}/decide/", {"decision": "approve", "note": ""}, follow=True)
    assert "不能审批自己提交的申请" in r.content.decode()
    _nothing_given(world, p)
    req.refresh_from_db()
    assert req.state == "pending"
