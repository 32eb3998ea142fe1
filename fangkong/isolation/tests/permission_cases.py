"""Every isolation page as every persona. Fixtures are made lazily inside the URL lambdas."""

from __future__ import annotations

import datetime as dt

from fangkong.core.testing.matrix import Case


def _once(w, key, make):
    c = w.__dict__.setdefault("_isolation", {})
    if key not in c:
        c[key] = make()
    return c[key]


def _site(w):
    from fangkong.isolation import services

    return _once(w, "site", lambda: services.site_create(actor=w.hq, area=w.street, name="城关隔离点",
                                                         rooms=["101", "102"]))


def _episode(w):
    """A home isolation of a person in unit X, guarded by worker_x."""
    def make():
        from django.utils import timezone

        from fangkong.isolation import services
        from fangkong.residents.idnumbers import make_citizen_id
        from fangkong.residents.services import person_register

        p = person_register(actor=w.hq, area=w.unit_x, name="隔离甲", id_type="citizen_id",
                            id_number=make_citizen_id("611002", dt.date(1980, 1, 1), 501), phone="")
        return services.episode_admit(actor=w.hq, person=p, mode="home", ruleset_id="di9ban",
                                      category="secondary_contact", last_exposure=timezone.localdate(),
                                      guardians=[(w.worker_x, "网格员")])
    return _once(w, "episode", make)


def _task(w):
    return _once(w, "task", lambda: _episode(w).tasks.filter(kind="follow_up").first())


def _need(w):
    from fangkong.isolation.models import Need

    return _once(w, "need", lambda: Need.objects.create(episode=_episode(w), kind="medicine", text="药",
                                                        raised_by=w.hq, area_path=_episode(w).area_path))


def _escalation(w):
    from fangkong.isolation.models import Escalation

    return _once(w, "esc", lambda: Escalation.objects.create(episode=_episode(w), reason="随访逾期",
                                                             area_path=_episode(w).area_path))


def _person(w, key="p_admit", name="登记乙", seq=601):
    def make():
        from fangkong.residents.idnumbers import make_citizen_id
        from fangkong.residents.services import person_register

        return person_register(actor=w.hq, area=w.unit_x, name=name, id_type="citizen_id",
                               id_number=make_citizen_id("611002", dt.date(1981, 2, 2), seq), phone="")
    return _once(w, key, make)


def _site_episode(w):
    """A centralized isolation at _site, in transfer (not yet arrived)."""
    def make():
        from django.utils import timezone

        from fangkong.isolation import services

        return services.episode_admit(actor=w.hq, person=_person(w, "p_site", "集中丙", 602), mode="centralized",
                                      site=_site(w), ruleset_id="di9ban", category="close_contact",
                                      last_exposure=timezone.localdate(),
                                      transfer=services.TransferIn("城关街道", timezone.now(), "陕H·12345", "李医生"))
    return _once(w, "site_episode", make)


def _check_task(w):
    return _once(w, "check_task", lambda: _site_episode(w).tasks.filter(kind="follow_up").first())


def _test_task(w):
    return _once(w, "test_task", lambda: _episode(w).tasks.filter(kind="test").first())


def _proposed(w):
    """_episode with a release proposed by hq (forced: the period is not served in the matrix world)."""
    from fangkong.isolation.models import Episode

    ep = _episode(w)
    Episode.objects.filter(pk=ep.pk).update(state="release_proposed", release_proposed_by=w.hq)
    return ep


VIEWERS = {"hq": 200, "street_admin": 200, "epi": 200}
POSTERS = {"hq": 302, "street_admin": 302, "epi": 302}
CASES = [
    Case("isolation:index", lambda w: "/isolation/", VIEWERS, default=403),
    Case("isolation:capacity", lambda w: "/isolation/capacity/", VIEWERS, default=403),
    Case("isolation:site_new", lambda w: "/isolation/sites/new/", VIEWERS, default=403),
    Case("isolation:site_new", lambda w: "/isolation/sites/new/", POSTERS, default=403, method="POST",
         data=lambda w: {"name": "新隔离点", "area": w.street.code, "rooms": "101-105"}, label="post"),
    Case("isolation:site_detail", lambda w: f"/isolation/sites/{_site(w).pk}/", VIEWERS, default=404),
    Case("isolation:site_staff_add", lambda w: f"/isolation/sites/{_site(w).pk}/staff/", POSTERS, default=404,
         method="POST", data=lambda w: {"username": "worker_x", "group": _site(w).groups.first().pk}),
    Case("isolation:site_rooms_add", lambda w: f"/isolation/sites/{_site(w).pk}/rooms/", POSTERS, default=404,
         method="POST", data=lambda w: {"rooms": "201-203"}),
    Case("isolation:call_list", lambda w: f"/isolation/sites/{_site(w).pk}/calls/", VIEWERS, default=404),
    Case("isolation:call_list", lambda w: (_site_episode(w), f"/isolation/sites/{_site(w).pk}/calls/")[1], POSTERS,
         default=404,
         method="POST", data=lambda w: {"episode": _site_episode(w).pk, "slot": "am", "reached": "1",
                                        "need_medicine": "1", "need_text": "降压药"}, label="post"),
    Case("isolation:calls_missing", lambda w: f"/isolation/sites/{_site(w).pk}/calls/missing/", VIEWERS,
         default=404),
    Case("isolation:site_work", lambda w: "/isolation/work/", {}, default=403),
    Case("isolation:episodes", lambda w: "/isolation/episodes/", VIEWERS, default=403),
    Case("isolation:episode_detail", lambda w: f"/isolation/episodes/{_episode(w).pk}/",
         {**VIEWERS, "worker_x": 200}, default=404),
    Case("isolation:episode_action", lambda w: f"/isolation/episodes/{_episode(w).pk}/need/",
         {**POSTERS, "worker_x": 302}, default=404, method="POST",
         data=lambda w: {"kind": "supplies", "text": "米面油"}),
    Case("isolation:admit", lambda w: "/isolation/admit/", VIEWERS, default=403),
    Case("isolation:task_record", lambda w: f"/isolation/tasks/{_task(w).pk}/", {**POSTERS, "worker_x": 302},
         default=404, method="POST", data=lambda w: {"outcome": "seen_well", "temperature": "36.5"}),
    Case("isolation:need_done", lambda w: f"/isolation/needs/{_need(w).pk}/done/", {**POSTERS, "worker_x": 302},
         default=404, method="POST", data=lambda w: {"note": "已送"}),
    Case("isolation:escalations", lambda w: "/isolation/escalations/", VIEWERS, default=403),
    Case("isolation:escalation_resolve", lambda w: f"/isolation/escalations/{_escalation(w).pk}/resolve/", POSTERS,
         default=404, method="POST", data=lambda w: {"note": "已处理"}),
    Case("isolation:episode_action", lambda w: f"/isolation/episodes/{_episode(w).pk}/guardian/", POSTERS,
         default=404, method="POST", data=lambda w: {"team_role": "志愿者", "username": "worker_y"}, label="guardian"),
    Case("isolation:guardian_templates", lambda w: "/isolation/guardian-templates/", VIEWERS, default=403),
    Case("isolation:guardian_templates", lambda w: "/isolation/guardian-templates/", POSTERS, default=403,
         method="POST", data=lambda w: {"area": w.street.code, "name": "四包一", "roles": "社区干部,网格员,医务人员,民警"},
         label="post"),
    Case("isolation:my", lambda w: "/isolation/my/", {"worker_x": 200, "worker_y": 200, "street_admin": 200},
         default=403),
]

# -- the JSON API --------------------------------------------------------------------------------
A = "/api/v1/isolation"


def _today() -> str:
    from django.utils import timezone

    return timezone.localdate().isoformat()


P = "POST"
GUARD = {**VIEWERS, "worker_x": 200}
FOLLOWERS = {**GUARD, "worker_y": 200}
CASES += [
    Case("api:isolation_sites", lambda w: (_site(w), f"{A}/sites")[1], VIEWERS, default=403, api=True),
    Case("api:isolation_site", lambda w: f"{A}/sites/{_site(w).pk}", VIEWERS, default=404, api=True),
    Case("api:isolation_site_worklist", lambda w: f"{A}/sites/{_site(w).pk}/worklist", VIEWERS, default=404,
         api=True),
    Case("api:isolation_area_worklist", lambda w: (_episode(w), f"{A}/areas/{w.x.code}/worklist")[1], VIEWERS,
         default=403, api=True),
    Case("api:isolation_area_worklist", lambda w: f"{A}/areas/{w.z.code}/worklist",
         {"hq": 200, "street_admin": 404, "epi": 404}, default=403, api=True, label="other_county"),
    Case("api:isolation_episodes", lambda w: (_episode(w), f"{A}/episodes")[1], FOLLOWERS, default=403, api=True),
    Case("api:isolation_episode", lambda w: f"{A}/episodes/{_episode(w).pk}", GUARD, default=404, api=True),
    Case("api:isolation_episode_tasks", lambda w: f"{A}/episodes/{_episode(w).pk}/tasks", GUARD, default=404,
         api=True),
    Case("api:isolation_admit", lambda w: (_person(w), _episode(w), f"{A}/episodes")[2], {"hq": 201, "street_admin": 201,
                                                                              "epi": 201}, default=403, api=True,
         method=P, json=True, data=lambda w: {"person_id": _person(w).pk, "mode": "home", "ruleset_id": "di9ban",
                                              "category": "secondary_contact",
                                              "last_exposure": _today(),
                                              "guardians": [{"username": "worker_x", "team_role": "网格员"}]}),
    Case("api:isolation_arrive", lambda w: f"{A}/episodes/{_site_episode(w).pk}/arrive", VIEWERS, default=404,
         api=True, method=P, json=True, data=lambda w: {}),
    Case("api:isolation_my_tasks", lambda w: (_episode(w), f"{A}/tasks/today")[1],
         {"street_admin": 200, "worker_x": 200, "worker_y": 200}, default=403, api=True),
    Case("api:isolation_check", lambda w: f"{A}/tasks/{_check_task(w).pk}/check", VIEWERS, default=404, api=True,
         method=P, json=True, data=lambda w: {"client_id": "m-check-1", "temperature": "36.6"}),
    Case("api:isolation_follow_up", lambda w: f"{A}/tasks/{_task(w).pk}/follow-up", GUARD, default=404, api=True,
         method=P, json=True, data=lambda w: {"client_id": "m-fu-1", "outcome": "seen_well", "temperature": "36.5"}),
    Case("api:isolation_test_result", lambda w: f"{A}/tasks/{_test_task(w).pk}/test-result", GUARD, default=404,
         api=True, method=P, json=True, data=lambda w: {"client_id": "m-test-1", "result": "negative"}),
    Case("api:isolation_release_propose", lambda w: f"{A}/episodes/{_episode(w).pk}/release/propose",
         {"hq": 400, "street_admin": 400, "epi": 400, "worker_x": 400}, default=404, api=True, method=P, json=True,
         data=lambda w: {}),
    Case("api:isolation_release_approve", lambda w: f"{A}/episodes/{_episode(w).pk}/release/approve",
         {"hq": 400, "epi": 400}, default=404, api=True, method=P, json=True, data=lambda w: {}),
    Case("api:isolation_release_approve", lambda w: f"{A}/episodes/{_proposed(w).pk}/release/approve",
         {"hq": 400, "epi": 400}, default=404, api=True, method=P, json=True, data=lambda w: {}, label="proposed"),
    Case("api:isolation_needs", lambda w: (_need(w), f"{A}/needs")[1], FOLLOWERS, default=403, api=True),
    Case("api:isolation_need_raise", lambda w: f"{A}/episodes/{_episode(w).pk}/needs",
         {"hq": 201, "street_admin": 201, "epi": 201, "worker_x": 201}, default=404, api=True, method=P, json=True,
         data=lambda w: {"client_id": "m-need-1", "kind": "phone_credit", "text": "话费50元"}),
    Case("api:isolation_need_done", lambda w: f"{A}/needs/{_need(w).pk}/done", GUARD, default=404, api=True,
         method=P, json=True, data=lambda w: {"note": "已送达"}),
    Case("api:isolation_call_sheet", lambda w: f"{A}/sites/{_site(w).pk}/calls", VIEWERS, default=404, api=True),
    Case("api:isolation_calls_missing", lambda w: (_site_episode(w), f"{A}/sites/{_site(w).pk}/calls/missing")[1],
         VIEWERS, default=404, api=True),
    Case("api:isolation_call_record", lambda w: (_episode(w), f"{A}/calls")[1], {"hq": 201, "street_admin": 201, "epi": 201,
                                                               "worker_x": 201}, default=404, api=True, method=P,
         json=True, data=lambda w: {"client_id": "m-call-1", "episode_id": _episode(w).pk, "slot": "am",
                                    "reached": True, "needs": [{"kind": "anxiety", "text": "睡不好"}]}),
]
