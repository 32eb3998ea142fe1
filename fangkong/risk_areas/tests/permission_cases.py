from __future__ import annotations

from fangkong.core.testing.matrix import Case
from fangkong.risk_areas.models import Notice, RiskArea


def _ra(w) -> RiskArea:
    """An active high-risk area on compound X (翠屏小区)."""
    from fangkong.risk_areas.tests.factories import area, at

    found = RiskArea.objects.filter(area_path=w.compound_x.path, status="active").first()
    return found or area(w, "high", [{"kind": "node", "area": w.compound_x}], designated=at(2022, 9, 1, 8))


def _proposed(w) -> RiskArea:
    from fangkong.risk_areas.tests.factories import area

    found = RiskArea.objects.filter(area_path=w.building_x.path, status="proposed").first()
    return found or area(w, "high", [{"kind": "node", "area": w.building_x}])


def _boundary(w) -> RiskArea:
    """A proposed area on a written boundary inside 翠屏社区 (no outline yet)."""
    from fangkong.risk_areas.tests.factories import area

    found = RiskArea.objects.filter(members__kind="boundary").first()
    return found or area(w, "high", [{"kind": "boundary", "area": w.x, "boundary_text": "东至优贝幼儿园西墙、西至吴家巷口西50米"}])


def _boundary_url(w, api: bool = False) -> str:
    ra = _boundary(w)
    member = ra.members.get()
    return (f"/api/v1/risk-areas/{ra.pk}/members/{member.pk}/outline" if api
            else f"/risk-areas/{ra.pk}/members/{member.pk}/outline/")


OUTLINE = "109.94,33.87\n109.95,33.87\n109.95,33.88"


def _notice(w, status: str = "draft") -> Notice:
    from fangkong.risk_areas import services
    from fangkong.risk_areas.tests.factories import at, issuer

    found = Notice.objects.filter(status=status).first()
    if found:
        return found
    n = services.notice_create(actor=w.hq, issuer=issuer(w), effective_at=at(2022, 9, 8, 20),
                               changes=[{"risk_area": _ra(w), "kind": "downgrade", "to_level": "medium"}])
    if status in ("pending_approval", "published"):
        n = services.notice_submit(actor=w.hq, notice=n)
    if status == "published":
        from fangkong.risk_areas.tests.factories import second_hq

        n = services.notice_approve(actor=second_hq(w), notice=n, now=at(2022, 9, 8, 18))
    return n


def _pending_by_other(w) -> Notice:
    """A notice submitted by a second HQ user, so that `hq` may approve it."""
    from fangkong.risk_areas import services
    from fangkong.risk_areas.tests.factories import at, issuer, second_hq

    found = Notice.objects.filter(status="pending_approval", requested_by__username="hq2").first()
    if found:
        return found
    n = services.notice_create(actor=w.hq, issuer=issuer(w), effective_at=at(2022, 9, 8, 20),
                               changes=[{"risk_area": _ra(w), "kind": "downgrade", "to_level": "medium"}])
    return services.notice_submit(actor=second_hq(w), notice=n)


VIEWERS = {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200, "epi": 200, "sampler": 403,
           "norole": 403}
IN_X = {"hq": 200, "street_admin": 200, "worker_x": 200, "epi": 200}
MANAGERS = {"hq": 200, "epi": 200, "street_admin": 403, "worker_x": 403, "worker_y": 403, "sampler": 403,
            "norole": 403}
NOTICE_VIEW = {"hq": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200, "epi": 200}
PUBLIC = {p: 200 for p in ("hq", "street_admin", "worker_x", "worker_y", "sampler", "epi", "norole", "anonymous")}

CASES = [
    Case("risk_areas:index", lambda w: "/risk-areas/", VIEWERS),
    Case("risk_areas:map", lambda w: "/risk-areas/map/", VIEWERS),
    Case("risk_areas:downgrades", lambda w: "/risk-areas/downgrades/", VIEWERS),
    Case("risk_areas:notice_list", lambda w: "/risk-areas/notices/", VIEWERS),
    Case("risk_areas:create", lambda w: "/risk-areas/new/", MANAGERS),
    Case("risk_areas:create", lambda w: "/risk-areas/new/", {"hq": 302, "epi": 302}, default=403, method="POST",
         data=lambda w: {"ruleset_id": "di9ban", "level": "high", "kind": "node", "area_code": w.unit_x.code},
         label="post"),
    Case("risk_areas:detail", lambda w: f"/risk-areas/{_ra(w).pk}/", IN_X, default=404),
    Case("risk_areas:edit", lambda w: f"/risk-areas/{_ra(w).pk}/edit/", {"hq": 200, "epi": 200}, default=404),
    Case("risk_areas:edit", lambda w: f"/risk-areas/{_ra(w).pk}/edit/", {"hq": 302, "epi": 302}, default=404,
         method="POST", data=lambda w: {"name": "", "measures": "足不出户、上门服务"}, label="post"),
    Case("risk_areas:member_add", lambda w: f"/risk-areas/{_ra(w).pk}/members/", {"hq": 302, "epi": 302},
         default=404, method="POST", data=lambda w: {"kind": "floor", "area_code": w.unit_x.code, "floor": 3}),
    Case("risk_areas:member_outline", lambda w: _boundary_url(w), {"hq": 200, "epi": 200}, default=404),
    Case("risk_areas:member_outline", lambda w: _boundary_url(w), {"hq": 302, "epi": 302}, default=404,
         method="POST", data=lambda w: {"outline": OUTLINE}, label="post"),
    Case("risk_areas:designate", lambda w: f"/risk-areas/{_proposed(w).pk}/designate/", {"hq": 200, "epi": 200},
         default=404),
    Case("risk_areas:designate", lambda w: f"/risk-areas/{_proposed(w).pk}/designate/", {"hq": 302, "epi": 302},
         default=404, method="POST", data=lambda w: {"effective_date": "2022-09-01", "effective_hour": "8"},
         label="post"),
    Case("risk_areas:notice_new", lambda w: f"/risk-areas/notices/new/?change={_ra(w).pk}:downgrade:medium",
         MANAGERS),
    Case("risk_areas:notice_new", lambda w: (_notice(w), "/risk-areas/notices/new/")[1], {"hq": 302, "epi": 302},
         default=403,
         method="POST", data=lambda w: {"confirm": "1", "change": f"{_ra(w).pk}:downgrade:medium",
                                        "issuer": _notice(w).issuer_id, "effective_date": "2022-09-08",
                                        "effective_hour": "20"}, label="post"),
    Case("risk_areas:issuer_create", lambda w: "/risk-areas/notices/issuers/new/", {"hq": 200}, default=403),
    Case("risk_areas:issuer_create", lambda w: "/risk-areas/notices/issuers/new/", {"hq": 302}, default=403,
         method="POST", data=lambda w: {"name": "山阳县疫情防控指挥部", "area_code": w.county2.code,
                                        "title": "关于调整风险区域的通告", "next_number": 1}, label="post"),
    Case("risk_areas:notice_detail", lambda w: f"/risk-areas/notices/{_notice(w).pk}/", NOTICE_VIEW, default=404),
    Case("risk_areas:notice_download", lambda w: f"/risk-areas/notices/{_notice(w).pk}/docx/", NOTICE_VIEW,
         default=404),
    Case("risk_areas:notice_edit", lambda w: f"/risk-areas/notices/{_notice(w).pk}/edit/", {"hq": 302, "epi": 302},
         default=404, method="POST", data=lambda w: {"effective_date": "2022-09-08", "effective_hour": "20",
                                                     "basis": "《新型冠状病毒肺炎防控方案（第九版）》"}),
    # Refusals by the service (not HQ) come back as a message and a redirect: the notice is unchanged.
    Case("risk_areas:notice_submit", lambda w: f"/risk-areas/notices/{_notice(w).pk}/submit/",
         {"hq": 302, "street_admin": 404, "worker_x": 404, "worker_y": 404, "epi": 404}, default=404,
         method="POST"),
    Case("risk_areas:notice_approve", lambda w: f"/risk-areas/notices/{_pending_by_other(w).pk}/approve/",
         {"hq": 302}, default=404, method="POST"),
    Case("risk_areas:notice_reject", lambda w: f"/risk-areas/notices/{_notice(w, 'pending_approval').pk}/reject/",
         {"hq": 302}, default=404, method="POST", data=lambda w: {"reason": "措施有误"}),
    # Public (no login)
    Case("public:index", lambda w: "/public/", PUBLIC),
    Case("public:notices", lambda w: "/public/notices/", PUBLIC),
    Case("public:notice_detail", lambda w: f"/public/notices/{_notice(w, 'published').pk}/", PUBLIC),
    Case("public:notice_detail", lambda w: f"/public/notices/{_notice(w).pk}/", {"anonymous": 404}, default=404,
         label="draft"),
    Case("public:notice_download", lambda w: f"/public/notices/{_notice(w, 'published').pk}/docx/", PUBLIC),
    # API
    Case("api:risk_area_list", lambda w: "/api/v1/risk-areas/", {**VIEWERS}, api=True),
    Case("api:risk_area_create", lambda w: "/api/v1/risk-areas/", {"hq": 201, "epi": 201}, default=403, api=True,
         method="POST", json=True, data=lambda w: {
             "level": "high", "ruleset_id": "di9ban", "members": [
                 {"kind": "boundary", "area_code": w.x.code, "boundary_text": "东至优贝幼儿园西墙",
                  "outline": {"type": "Polygon", "coordinates": [[[109.94, 33.87], [109.95, 33.87],
                                                                  [109.95, 33.88], [109.94, 33.87]]]}}]}),
    Case("api:risk_area_designate", lambda w: f"/api/v1/risk-areas/{_proposed(w).pk}/designate", {"hq": 200, "epi": 200},
         default=404, api=True, method="POST", json=True, data=lambda w: {"effective_at": "2022-09-01T08:00:00+08:00"}),
    Case("api:risk_area_member_add", lambda w: f"/api/v1/risk-areas/{_proposed(w).pk}/members", {"hq": 201, "epi": 201},
         default=404, api=True, method="POST", json=True,
         data=lambda w: {"kind": "floor", "area_code": w.unit_x.code, "floor": 3}),
    Case("api:risk_area_member_outline", lambda w: _boundary_url(w, api=True), {"hq": 200, "epi": 200},
         default=404, api=True, method="PUT", json=True, data=lambda w: {"outline": OUTLINE}),
    Case("api:risk_area_get", lambda w: f"/api/v1/risk-areas/{_ra(w).pk}", IN_X, default=404, api=True),
    Case("api:risk_area_downgrade", lambda w: f"/api/v1/risk-areas/{_ra(w).pk}/downgrade", IN_X, default=404,
         api=True),
    Case("api:notice_list", lambda w: "/api/v1/risk-areas/notices", {**VIEWERS}, api=True),
]
