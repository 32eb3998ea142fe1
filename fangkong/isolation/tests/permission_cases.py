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
