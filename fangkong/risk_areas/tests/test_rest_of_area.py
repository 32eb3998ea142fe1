""" "The rest of X" (城关街道其他区域, 山阳县除高风险区以外区域): a member that covers node X minus the
excluded risk areas while they are not lifted; its people, its derived statuses and its notice text."""

from __future__ import annotations

import datetime as dt

import pytest

from fangkong.core.errors import ServiceError
from fangkong.epi.models import ControlStatus
from fangkong.risk_areas import documents, selectors, services
from fangkong.risk_areas.models import RiskArea
from fangkong.risk_areas.tests.factories import area, at, issuer, second_hq
from fangkong.testing.tests import factories as f

pytestmark = pytest.mark.django_db


def _publish(world, changes, effective_at):
    n = services.notice_create(
        actor=world.hq, issuer=issuer(world), effective_at=effective_at, changes=changes
    )
    services.notice_submit(actor=world.hq, notice=n)
    return services.notice_approve(actor=second_hq(world), notice=n, now=effective_at + dt.timedelta(hours=1))


def _rest(world, node, excluded, level="medium"):
    return area(world, level, [{"kind": "rest", "area": node, "excluded": excluded}])


def test_rest_of_a_street_people_statuses_and_notice(world, django_capture_on_commit_callbacks):
    in_high = [f.person(world.unit_x, name=f"高{i}") for i in range(2)]
    elsewhere_in_street = f.person(world.unit_y, name="街道其他")
    other_street = f.person(world.z, name="外街道")
    high = area(world, "high", [{"kind": "node", "area": world.building_x}])
    rest = _rest(world, world.street, [high])

    street = world.street.name
    assert selectors.risk_area_display_name(rest) == f"{street}其他区域"
    assert set(selectors.persons_in_risk_area(rest)) == {elsewhere_in_street}
    assert selectors.households_in_risk_area(rest).filter(pk=in_high[0].household_id).count() == 0

    with django_capture_on_commit_callbacks(execute=True):
        n31 = _publish(
            world,
            [{"risk_area": high, "kind": "designate"}, {"risk_area": rest, "kind": "designate"}],
            at(2022, 9, 1, 8),
        )
    text = documents.notice_text(n31)
    assert "一、新增高风险区（1个）\n商州区翠屏小区1号楼。实行“足不出户、上门服务”等管控措施。" in text
    assert f"二、新增中风险区（1个）\n商州区{street}其他区域。实行“人不出区、错峰取物”等管控措施。" in text

    # effects: the excluded area's residents stay at home, the rest of the street stays in the area
    assert {s.kind for s in ControlStatus.objects.filter(person__in=in_high)} == {"stay_at_home"}
    rest_status = ControlStatus.objects.get(person=elsewhere_in_street)
    assert (rest_status.kind, rest_status.start, rest_status.end) == (
        "stay_in_area",
        dt.date(2022, 9, 1),
        None,
    )
    assert rest_status.evidence_id == str(rest.pk)
    assert not ControlStatus.objects.filter(person=other_street).exists()
    m = selectors.risk_area_memberships_for_persons([p.pk for p in in_high] + [elsewhere_in_street.pk])
    assert [ra.pk for ra, _lv, _s in m[in_high[0].pk]] == [high.pk]
    assert [ra.pk for ra, _lv, _s in m[elsewhere_in_street.pk]] == [rest.pk]

    # the high area is lifted on 9-10 at 20:00: its residents are now in the rest of the street (medium)
    high.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        n32 = _publish(world, [{"risk_area": high, "kind": "lift"}], at(2022, 9, 10, 20))
    assert "解除高风险区（1个）\n商州区翠屏小区1号楼。" in documents.notice_text(n32)
    stay_home = ControlStatus.objects.get(person=in_high[0], kind="stay_at_home")
    assert stay_home.end == dt.date(2022, 9, 10)
    joined = ControlStatus.objects.get(person=in_high[0], evidence_id=str(rest.pk))
    assert (joined.kind, joined.start, joined.end) == ("stay_in_area", dt.date(2022, 9, 10), None)
    assert set(selectors.persons_in_risk_area(rest)) == {elsewhere_in_street, *in_high}
    # the published notice keeps its words
    assert f"商州区{street}其他区域。" in documents.notice_text(n31)

    # the county recompute reads the same facts: nothing changes
    from fangkong.epi import services as epi_services

    res = epi_services.status_recompute_area(world.county.path, actor=world.epi, reason="test")
    assert (res.created, res.updated, res.deleted) == (0, 0, 0)

    # then the rest is lifted too: every status has ended
    rest.refresh_from_db()
    with django_capture_on_commit_callbacks(execute=True):
        n33 = _publish(world, [{"risk_area": rest, "kind": "lift"}], at(2022, 9, 15, 0))
    assert f"解除中风险区（1个）\n商州区{street}其他区域。" in documents.notice_text(n33)
    assert not ControlStatus.objects.filter(
        person__in=[*in_high, elsewhere_in_street], end__isnull=True
    ).exists()


def test_names_of_the_rest_of_a_county_and_of_a_community(world):
    yangdi_high = area(world, "high", [{"kind": "node", "area": world.z}])
    county_rest = _rest(world, world.county2, [yangdi_high], level="low")
    assert selectors.risk_area_display_name(county_rest) == "除高风险区以外区域"
    assert county_rest.county == world.county2
    high = area(world, "high", [{"kind": "node", "area": world.building_x}])
    medium = area(world, "medium", [{"kind": "floor", "area": world.unit_x, "floor": 3}])
    community_rest = _rest(world, world.x, [high, medium], level="low")
    assert selectors.risk_area_display_name(community_rest) == (
        f"{world.street.name}翠屏社区除高风险区、中风险区外的其他区域"
    )
    n = services.notice_create(
        actor=world.hq,
        issuer=issuer(world),
        effective_at=at(2022, 9, 1, 8),
        changes=[{"risk_area": county_rest, "kind": "designate"}],
    )
    assert "山阳县除高风险区以外区域。" in documents.notice_text(n)


def test_rest_members_are_checked(world):
    high = area(world, "high", [{"kind": "node", "area": world.building_x}])
    with pytest.raises(ServiceError, match="须选定要除外的风险区域"):
        _rest(world, world.street, [])
    with pytest.raises(ServiceError, match="不在“西关社区”内"):
        _rest(world, world.y, [high])
    with pytest.raises(ServiceError, match="整县或整市"):
        _rest(world, world.city, [high])
    rest = _rest(world, world.street, [high])
    with pytest.raises(ServiceError, match="本身是“其他区域”"):
        _rest(world, world.county, [rest])
    with pytest.raises(ServiceError, match="不能除外它自己"):
        services.risk_area_member_add(
            actor=world.hq, risk_area=rest, member={"kind": "rest", "area": world.street, "excluded": [rest]}
        )
    lifted = area(world, "high", [{"kind": "node", "area": world.unit_y}], designated=at(2022, 9, 1, 8))
    _publish(world, [{"risk_area": lifted, "kind": "lift"}], at(2022, 9, 3, 8))
    lifted.refresh_from_db()
    with pytest.raises(ServiceError, match="已解除，不能除外"):
        _rest(world, world.street, [lifted])


def test_rest_through_the_pages(client, world):
    high = area(world, "high", [{"kind": "node", "area": world.building_x}])
    client.force_login(world.hq)
    page = client.get("/risk-areas/new/").content.decode()
    assert 'name="excluded"' in page and "翠屏小区1号楼（高风险区，拟划定）" in page
    data = {"ruleset_id": "di9ban", "level": "medium", "kind": "rest", "area_code": world.street.code}
    response = client.post("/risk-areas/new/", data)
    assert "须选定要除外的风险区域" in response.content.decode()
    response = client.post("/risk-areas/new/", {**data, "excluded": [high.pk]})
    assert response.status_code == 302
    rest = RiskArea.objects.get(proposed_level="medium")
    detail = client.get(response["Location"]).content.decode()
    assert f"{world.street.name}其他区域" in detail and "除外" in detail and "翠屏小区1号楼" in detail
    assert list(rest.members.get().excluded.all()) == [high]


def test_rest_through_the_api(client, world):
    import json

    high = area(world, "high", [{"kind": "node", "area": world.building_x}])
    auth = {"HTTP_AUTHORIZATION": f"Bearer {world.token('hq')}"}
    payload = {
        "level": "medium",
        "ruleset_id": "di9ban",
        "members": [{"kind": "rest", "area_code": world.street.code, "excluded": [high.pk]}],
    }
    r = client.post("/api/v1/risk-areas/", json.dumps(payload), content_type="application/json", **auth)
    assert r.status_code == 201, r.content
    assert r.json()["name"] == f"{world.street.name}其他区域"
    assert r.json()["members"][0]["excluded"] == [high.pk]
    payload["members"][0]["excluded"] = []
    r = client.post("/api/v1/risk-areas/", json.dumps(payload), content_type="application/json", **auth)
    assert r.status_code == 400 and r.json()["field"] == "excluded"
