"""Every epi page and endpoint as every persona. Fixtures are made lazily inside the URL lambdas."""

from __future__ import annotations

import datetime as dt
import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from fangkong.core.testing.matrix import Case

D = dt.date(2022, 11, 1)


def _cache(w) -> dict:
    return w.__dict__.setdefault("_epi", {})


def _once(w, key, make):
    c = _cache(w)
    if key not in c:
        c[key] = make()
    return c[key]


def _epi2(w):
    def make():
        from fangkong.accounts.models import User
        from fangkong.accounts.services import role_assign

        u = User.objects.create(username="epi2", display_name="epi2")
        role_assign(actor=None, user=u, role="epi", area=w.county)
        return u
    return _once(w, "epi2", make)


def _person(w, key="px", area="unit_x", name="张三"):
    def make():
        from fangkong.residents.idnumbers import make_citizen_id
        from fangkong.residents.services import person_register

        n = len(_cache(w))
        return person_register(actor=w.hq, area=getattr(w, area), name=name, id_type="citizen_id",
                               id_number=make_citizen_id("611002", dt.date(1980, 1, 1), 100 + n), phone="")
    return _once(w, key, make)


def _case(w):
    from fangkong.epi import services

    return _once(w, "case", lambda: services.case_register(actor=w.epi, person=_person(w), sampled_date=D,
                                                           isolated_date=D))


def _contact(w):
    from fangkong.epi import services

    return _once(w, "contact", lambda: services.contact_register(
        actor=w.epi, case=_case(w), person=_person(w, "px2", name="李四"), category="close_contact", contact_date=D))


def _suggestion(w):
    from fangkong.epi.models import ContactSuggestion

    case = _case(w)
    p = _person(w, "ps", name="王五")
    return _once(w, "sugg", lambda: ContactSuggestion.objects.create(case=case, person=p, source="household",
                                                                     area_path=p.area_path))


def _request(w, by="epi2"):
    from fangkong.epi import services

    actor = _epi2(w) if by == "epi2" else w.epi
    return _once(w, f"req-{by}", lambda: services.manual_request_create(
        actor=actor, person=_person(w), kind="home_isolation", start=D, end=D + dt.timedelta(days=6),
        reason="外地推送的密接，待正式名单"))


def _override(w):
    from fangkong.epi import services

    return _once(w, "ovr", lambda: services.override_propose(
        actor=_epi2(w), county=w.county, ruleset_id="di9ban", path="close_contact.phases.1.days", value=5,
        reason="县指挥部决定"))


CSV = "姓名,手机号,身份证号,地址\n{name},,{idn},\n查无此人,13511112222,,某地\n"


def _assist(w):
    from fangkong.epi import services

    p = _person(w)
    return _once(w, "assist", lambda: services.assist_list_upload(
        actor=w.epi, area=w.county, title="协查", reason="时空交集", deadline=timezone.now() + dt.timedelta(days=1),
        file=io.BytesIO(CSV.format(name=p.name, idn=p.id_number).encode()), filename="a.csv"))


def _item(w, matched=True):
    lst = _assist(w)
    return lst.items.exclude(person=None).first() if matched else lst.items.filter(person=None).first()


EPI = {"epi": 200}
VIEWERS = {"hq": 200, "epi": 200}
STATUS_VIEWERS = {"hq": 200, "epi": 200, "street_admin": 200, "worker_x": 200, "worker_y": 200}
OUTCOME = {"hq": 200, "epi": 200, "worker_x": 200, "worker_y": 200}
P = "POST"

CASES = [
    Case("epi:index", lambda w: "/epi/", {**VIEWERS}, default=403),
    Case("epi:case_new", lambda w: "/epi/cases/new/", {**EPI}, default=403),
    Case("epi:case_new", lambda w: (_person(w), "/epi/cases/new/")[1], {"epi": 302}, default=403, method=P, label="post",
         data=lambda w: {"id_number": _person(w).id_number, "kind": "asymptomatic", "sampled_date": "2022-11-01"}),
    Case("epi:case_detail", lambda w: f"/epi/cases/{_case(w).pk}/", {**VIEWERS}, default=404),
    Case("epi:case_edit", lambda w: f"/epi/cases/{_case(w).pk}/edit/", {**EPI}, default=404),
    Case("epi:case_edit", lambda w: f"/epi/cases/{_case(w).pk}/edit/", {"epi": 302}, default=404, method=P,
         label="post", data=lambda w: {"kind": "confirmed", "sampled_date": "2022-11-01", "isolated_date": "2022-11-01",
                                       "released_date": "2022-11-12", "reason": "出院"}),
    Case("epi:case_entry", lambda w: f"/epi/cases/{_case(w).pk}/entries/", {"epi": 302}, default=404, method=P,
         data=lambda w: {"place": "超市", "started_at": "2022-10-30T10:00"}),
    Case("epi:contact_new", lambda w: f"/epi/cases/{_case(w).pk}/contacts/new/", {**EPI}, default=404),
    Case("epi:contact_new", lambda w: (_person(w, "py", "unit_y", "孙八"), f"/epi/cases/{_case(w).pk}/contacts/new/")[1],
         {"epi": 302}, default=404,
         method=P, label="post", data=lambda w: {"id_number": _person(w, "py", "unit_y", "孙八").id_number,
                                                 "category": "close_contact", "contact_date": "2022-11-01"}),
    Case("epi:suggest", lambda w: f"/epi/cases/{_case(w).pk}/suggest/", {"epi": 302}, default=404, method=P),
    Case("epi:chain", lambda w: f"/epi/cases/{_contact(w).case_id}/chain/", {**VIEWERS}, default=404),
    Case("epi:chain_export", lambda w: f"/epi/cases/{_contact(w).case_id}/chain.xlsx", {**VIEWERS}, default=404),
    Case("epi:suggestion_decide", lambda w: f"/epi/suggestions/{_suggestion(w).pk}/decide/", {"epi": 302},
         default=404, method=P, data=lambda w: {"decision": "dismiss"}),
    Case("epi:statuses", lambda w: "/epi/statuses/?current=0", {**STATUS_VIEWERS}, default=403),
    Case("epi:unsupported", lambda w: "/epi/statuses/unsupported/", {**STATUS_VIEWERS}, default=403),
    Case("epi:person", lambda w: f"/epi/persons/{_contact(w).person_id}/",
         {"hq": 200, "epi": 200, "street_admin": 200, "worker_x": 200}, default=404),
    Case("epi:request_new", lambda w: f"/epi/persons/{_person(w).pk}/request/", {**EPI}, default=404),
    Case("epi:request_new", lambda w: f"/epi/persons/{_person(w).pk}/request/", {"epi": 302}, default=404, method=P,
         label="post", data=lambda w: {"kind": "home_isolation", "start": "2022-11-01", "end": "2022-11-07",
                                       "reason": "外地推送密接"}),
    Case("epi:requests", lambda w: "/epi/requests/", {**EPI}, default=403),
    Case("epi:request_decide", lambda w: f"/epi/requests/{_request(w).pk}/decide/", {"epi": 302}, default=404,
         method=P, data=lambda w: {"decision": "approve"}),
    Case("epi:rulesets", lambda w: "/epi/rulesets/", {**STATUS_VIEWERS}, default=403),
    Case("epi:override_new", lambda w: "/epi/rulesets/overrides/new/", {**VIEWERS}, default=403),
    Case("epi:override_new", lambda w: "/epi/rulesets/overrides/new/", {"hq": 302, "epi": 302}, default=403,
         method=P, label="post", data=lambda w: {"county": w.county.code, "ruleset_id": "di9ban",
                                                 "path": "contact.lookback_days", "value": "5", "reason": "研判"}),
    Case("epi:override_decide", lambda w: f"/epi/rulesets/overrides/{_override(w).pk}/decide/",
         {"hq": 302, "epi": 302}, default=404, method=P, data=lambda w: {"decision": "approve"}),
    Case("epi:assist_index", lambda w: "/epi/assist/", {**VIEWERS}, default=403),
    Case("epi:assist_upload", lambda w: "/epi/assist/upload/", {**VIEWERS}, default=403),
    Case("epi:assist_upload", lambda w: "/epi/assist/upload/", {"hq": 302, "epi": 302}, default=403, method=P,
         label="post", data=lambda w: {
             "area": w.county.code, "title": "名单", "reason": "时空交集", "deadline": "2030-01-01T10:00",
             "file": SimpleUploadedFile("a.csv", "姓名,手机号\n张三,13800000001\n".encode())}),
    Case("epi:assist_mine", lambda w: "/epi/assist/mine/", {**OUTCOME}, default=403),
    Case("epi:assist_detail", lambda w: f"/epi/assist/{_assist(w).pk}/", {**VIEWERS}, default=404),
    Case("epi:assist_return", lambda w: f"/epi/assist/{_assist(w).pk}/return.xlsx", {**VIEWERS}, default=404),
    Case("epi:assist_outcome", lambda w: f"/epi/assist/items/{_item(w).pk}/outcome/",
         {"hq": 302, "epi": 302, "worker_x": 302}, default=404, method=P,
         data=lambda w: {"outcome": "controlled", "note": "已转运"}),
    Case("epi:assist_resolve", lambda w: f"/epi/assist/items/{_item(w, False).pk}/resolve/", {"hq": 302, "epi": 302},
         default=404, method=P, data=lambda w: {"person_id": _person(w).pk}),
    # API
    Case("api:epi_cases", lambda w: "/api/v1/epi/cases", {**VIEWERS}, default=403, api=True),
    Case("api:epi_case_create", lambda w: (_person(w), "/api/v1/epi/cases")[1], {"epi": 201}, default=403, api=True, method=P,
         json=True, data=lambda w: {"person_id": _person(w).pk, "sampled_date": "2022-11-01"}),
    Case("api:epi_case_detail", lambda w: f"/api/v1/epi/cases/{_case(w).pk}", {**VIEWERS}, default=404, api=True),
    Case("api:epi_contact_create",
         lambda w: (_person(w, "px2", name="李四"), f"/api/v1/epi/cases/{_case(w).pk}/contacts")[1], {"epi": 201}, default=404,
         api=True, method=P, json=True, data=lambda w: {"person_id": _person(w, "px2", name="李四").pk,
                                                        "category": "close_contact", "contact_date": "2022-11-01"}),
    Case("api:epi_suggestions", lambda w: f"/api/v1/epi/cases/{_suggestion(w).case_id}/suggestions", {**VIEWERS},
         default=404, api=True),
    Case("api:epi_suggestion_decide", lambda w: f"/api/v1/epi/suggestions/{_suggestion(w).pk}/decide", {"epi": 200},
         default=404, api=True, method=P, json=True, data=lambda w: {"decision": "dismiss"}),
    Case("api:epi_chain", lambda w: f"/api/v1/epi/cases/{_contact(w).case_id}/chain", {**VIEWERS}, default=404,
         api=True),
    Case("api:epi_person_statuses", lambda w: f"/api/v1/epi/persons/{_contact(w).person_id}/statuses",
         {"hq": 200, "epi": 200, "street_admin": 200, "worker_x": 200}, default=404, api=True),
    Case("api:epi_request_create", lambda w: (_person(w), "/api/v1/epi/manual-requests")[1], {"epi": 201}, default=403, api=True,
         method=P, json=True, data=lambda w: {"person_id": _person(w).pk, "kind": "home_isolation",
                                              "start": "2022-11-01", "end": "2022-11-07", "reason": "外地推送密接"}),
    Case("api:epi_request_create", lambda w: (_person(w), "/api/v1/epi/manual-requests")[1], {"epi": 400}, default=403, api=True,
         method=P, json=True, label="no-end", data=lambda w: {"person_id": _person(w).pk, "kind": "home_isolation",
                                                              "start": "2022-11-01", "reason": "外地推送密接"}),
    Case("api:epi_requests_pending", lambda w: "/api/v1/epi/manual-requests", {**EPI}, default=403, api=True),
    Case("api:epi_request_approve", lambda w: f"/api/v1/epi/manual-requests/{_request(w).pk}/approve", {"epi": 200},
         default=404, api=True, method=P, json=True, data=lambda w: {}),
    Case("api:epi_request_approve", lambda w: f"/api/v1/epi/manual-requests/{_request(w, 'epi').pk}/approve",
         {"epi": 400}, default=404, api=True, method=P, json=True, data=lambda w: {}, label="self"),
    Case("api:epi_request_reject", lambda w: f"/api/v1/epi/manual-requests/{_request(w).pk}/reject", {"epi": 200},
         default=404, api=True, method=P, json=True, data=lambda w: {"note": "依据不足"}),
    Case("api:epi_unsupported", lambda w: "/api/v1/epi/reports/unsupported-statuses", {**STATUS_VIEWERS},
         default=403, api=True),
    Case("api:epi_assist_lists", lambda w: "/api/v1/epi/assist-lists", {**VIEWERS}, default=403, api=True),
    Case("api:epi_assist_list_items", lambda w: f"/api/v1/epi/assist-lists/{_assist(w).pk}/items", {**VIEWERS},
         default=404, api=True),
    Case("api:epi_assist_mine", lambda w: "/api/v1/epi/assist-items/mine", {**OUTCOME}, default=403, api=True),
    Case("api:epi_assist_outcome", lambda w: f"/api/v1/epi/assist-items/{_item(w).pk}/outcome",
         {"hq": 200, "epi": 200, "worker_x": 200}, default=404, api=True, method=P, json=True,
         data=lambda w: {"outcome": "controlled"}),
]
