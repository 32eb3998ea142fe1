"""The demo scenario: a small piece of 商洛's August–September 2022, replayed through the real services.

`fangkong demo` builds an empty city (divisions, demo tree, synthetic residents, one user per role);
this fills the modules with a story, each step through the app's own service (never an ORM write of
domain data), acting as the demo user who would do it:

* 2022-08-28 — 市指挥部 designates a high-risk area (a compound of 城关街道) and a medium-risk area
  (a building of another compound);
* 2022-09-01 — a round over 城关街道 in 10混1 (the high-risk compound 单管单检), one site per community,
  a few hundred bindings by the sampler; that evening the lab reports every tube, one pool positive →
  its members are 混管可疑阳性 and recalled;
* 2022-09-02 — single-tube re-sampling of the recalled: one positive → a case (epi), its
  investigation, close contacts confirmed from the suggestions (statuses derived from 第九版), a
  secondary contact, some suggestions left pending and one dismissed;
* a 协查 list of 20 rows (exact IDs, phones, masked IDs, name + address, duplicates, unknown people),
  some rows handled by the grid worker;
* a door-knocking campaign in the first community with visits by the grid worker;
* 2022-09-04 — notice 第31号 of 商洛市疫情防控应急指挥部 (drafted and submitted by `hq`, approved by
  `hq2`) downgrades the two areas from 20:00.

Idempotent: the round's name is the marker; when it exists the scenario is skipped. Everything runs
in one transaction, so a failure leaves nothing half-done and the next run starts again.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

from django.apps import apps
from django.db import transaction
from django.utils import timezone

ROUND_NAME = "2022年9月1日城关街道区域核酸筛查"
STREET_CODE = "611002001000"  # 商州区城关街道
COUNTY_CODE = "611002000000"  # 商州区
ISSUER_NAME = "商洛市疫情防控应急指挥部"
ASSIST_TITLE = "省指挥部转来协查名单（2022年9月1日第7批）"
CAMPAIGN_NAME = "敲门行动：摸清底数（病例所在社区）"
UNTESTED_EVERY = 20  # one person in 20 misses the round (the untested list is not empty)


def at(y: int, m: int, d: int, hh: int = 0, mm: int = 0, ss: int = 0) -> dt.datetime:
    return dt.datetime(y, m, d, hh, mm, ss, tzinfo=timezone.get_default_timezone())


@dataclass
class Result:
    skipped: bool = False
    counts: dict[str, int] = field(default_factory=dict)


def installed() -> bool:
    return all(apps.is_installed(f"fangkong.{a}") for a in ("residents", "testing", "epi", "risk_areas"))


def demo_scenario_run(*, users: dict, say=None) -> Result:
    """Replay the scenario with the demo users (`users`: username → User; needs hq, hq2, street,
    community, grid, epi, sampler, lab). Skipped when the round already exists."""
    from fangkong.testing.models import Round

    say = say or (lambda _m: None)
    if Round.objects.filter(name=ROUND_NAME).exists():
        say("    演示场景已存在，跳过")
        return Result(skipped=True)
    with transaction.atomic():
        s = _Scenario(users, say)
        s.run()
    return Result(counts=s.counts)


class _Scenario:
    def __init__(self, users: dict, say):
        from fangkong.areas.models import Area

        self.u = users
        self.say = say
        self.counts: dict[str, int] = {}
        from django.conf import settings

        self.city = Area.objects.get(code=settings.FANGKONG_CITY_CODE)
        self.county = Area.objects.get(code=COUNTY_CODE)
        self.street = Area.objects.get(code=STREET_CODE)
        self.communities = list(Area.objects.filter(parent=self.street, retired_at__isnull=True).order_by("code"))
        if not self.communities:
            raise RuntimeError("城关街道下没有社区：先运行 demo_city。")
        self.community_x = self.communities[0]
        grids = list(Area.objects.filter(parent=self.community_x, level="grid").order_by("code"))
        self.grid_x = grids[0]
        compounds = list(Area.objects.filter(path__startswith=self.community_x.path, level="compound")
                         .order_by("code"))
        others = [c for c in compounds if not c.path.startswith(self.grid_x.path)] or compounds[1:] or compounds
        self.high_compound = others[0]
        medium_compound = (others[1:] or [c for c in compounds if c != self.high_compound] or [self.high_compound])[0]
        self.medium_building = (Area.objects.filter(parent=medium_compound, level="building").order_by("code").first()
                                or medium_compound)

    def run(self) -> None:
        self.risk_areas_designate()
        self.testing_round()
        self.case_and_contacts()
        self.assist_list()
        self.door_knocking()
        self.notice_31()

    # --- 2022-08-28: risk areas -------------------------------------------------------------------

    def risk_areas_designate(self) -> None:
        from fangkong.risk_areas import services as ra

        hq = self.u["hq"]
        self.ra_high = ra.risk_area_create(actor=hq, level="high", on=dt.date(2022, 8, 28),
                                           members=[{"kind": "node", "area": self.high_compound}],
                                           notes="8月27日晚该小区发现1例外省返商人员核酸阳性。")
        self.ra_high = ra.risk_area_designate(actor=hq, risk_area=self.ra_high, effective_at=at(2022, 8, 28, 20),
                               note="市指挥部8月28日划定")
        self.ra_medium = ra.risk_area_create(actor=hq, level="medium", on=dt.date(2022, 8, 28),
                                             members=[{"kind": "node", "area": self.medium_building}],
                                             notes="病例活动轨迹涉及。")
        self.ra_medium = ra.risk_area_designate(actor=hq, risk_area=self.ra_medium, effective_at=at(2022, 8, 28, 20),
                               note="市指挥部8月28日划定")
        self.counts["risk_areas"] = 2
        self.say(f"    风险区：{self.high_compound.name}（高）、{self.medium_building.name}（中），8月28日20时划定")

    # --- 2022-09-01: the round ------------------------------------------------------------------------

    def testing_round(self) -> None:
        from fangkong.residents.models import Person
        from fangkong.testing import services as ts
        from fangkong.testing.models import Site, Table

        street_admin, sampler, lab = self.u["street"], self.u["sampler"], self.u["lab"]
        specs = [ts.AreaSpec(area=c, mode="pool", capacity=10) for c in self.communities]
        specs.append(ts.AreaSpec(area=self.high_compound, mode="single", capacity=1))
        self.round = ts.round_create(actor=street_admin, name=ROUND_NAME, area=self.street,
                                     starts_at=at(2022, 9, 1, 6), ends_at=at(2022, 9, 3, 22), areas=specs)
        tables: dict[int, list[Table]] = {}
        for c in self.communities:
            site = ts.site_create(actor=street_admin, area=c, name=f"{c.name}核酸采样点", address=f"{c.name}广场",
                                  hours="7:00-12:00，14:30-18:00", tables=2)
            tables[c.pk] = list(Table.objects.filter(site=site).order_by("id"))
            for t in tables[c.pk]:
                ts.table_assign_samplers(actor=street_admin, table=t, samplers=[sampler])
        door = ts.site_create(actor=street_admin, area=self.high_compound, kind=Site.Kind.DOOR_TO_DOOR,
                              name=f"{self.high_compound.name}入户采样队", hours="高风险区，单管单检，上门采样", tables=1)
        door_table = Table.objects.filter(site=door).get()
        ts.table_assign_samplers(actor=street_admin, table=door_table, samplers=[sampler])
        adult = dt.date(2019, 1, 1)  # under-3s are exempt from the round
        high_lo = self.high_compound.path

        def sampled(qs) -> list[Person]:
            people = list(qs.filter(birth_date__lte=adult).order_by("area_path", "household_id", "id"))
            return [p for i, p in enumerate(people) if i % UNTESTED_EVERY != UNTESTED_EVERY - 7]

        items: list[dict] = []
        self.pools: list[tuple[str, list[Person]]] = []
        singles: list[str] = []
        for c in self.communities:
            people = sampled(Person.objects.filter(area_path__startswith=c.path).exclude(area_path__startswith=high_lo))
            for ti in range(0, len(people), 10):
                barcode = f"SL0901P{len(self.pools) + 1:05d}"
                tube_on_table, table = divmod(ti // 10, 2)
                start = at(2022, 9, 1, 7) + dt.timedelta(seconds=200 * tube_on_table)
                members = people[ti:ti + 10]
                self.pools.append((barcode, members))
                for k, p in enumerate(members):
                    items.append(self._binding(f"demo-0901-{barcode}-{k}", barcode, 10, tables[c.pk][table], p,
                                               start + dt.timedelta(seconds=20 * k)))
        for k, p in enumerate(sampled(Person.objects.filter(area_path__startswith=high_lo))):
            barcode = f"SL0901S{k + 1:05d}"
            singles.append(barcode)
            items.append(self._binding(f"demo-0901-{barcode}", barcode, 1, door_table, p,
                                       at(2022, 9, 1, 8) + dt.timedelta(seconds=40 * k)))
        for start in range(0, len(items), 2000):  # the terminals upload in batches
            self._all_accepted(ts.bindings_ingest(actor=sampler, items=items[start:start + 2000],
                                                  now=at(2022, 9, 1, 14)), "bindings")
        self.counts["bindings"] = len(items)
        # The lab, that evening: one pool positive (the third of the first community), the rest negative.
        self.positive_pool, self.pool_members = self.pools[min(2, len(self.pools) - 1)]
        results = [{"tube": b, "result": "positive" if b == self.positive_pool else "negative"}
                   for b, _m in self.pools] + [{"tube": b, "result": "negative"} for b in singles]
        self._all_accepted(ts.results_ingest(actor=lab, items=results, now=at(2022, 9, 1, 21, 40)), "results")
        # 2022-09-02: the recalled are re-sampled one per tube; one of them is positive.
        self.case_person = self._case_person(self.pool_members)
        table = tables[self.community_x.pk][0]
        recall_items, recall_results = [], []
        for k, p in enumerate(self.pool_members):
            barcode = f"SL0902R{k + 1:04d}"
            recall_items.append(self._binding(f"demo-0902-{barcode}", barcode, 1, table, p,
                                              at(2022, 9, 2, 7, 10) + dt.timedelta(minutes=2 * k)))
            recall_results.append({"tube": barcode, "result": "positive" if p.pk == self.case_person.pk
                                   else "negative"})
            if p.pk == self.case_person.pk:
                self.case_tube = barcode
        self._all_accepted(ts.bindings_ingest(actor=sampler, items=recall_items, now=at(2022, 9, 2, 9)), "recall")
        self._all_accepted(ts.results_ingest(actor=lab, items=recall_results, now=at(2022, 9, 2, 13, 20)),
                           "recall results")
        ts.round_close(actor=street_admin, round_=self.round)
        self.counts["tubes"] = len(self.pools) + len(singles) + len(recall_items)
        self.say(f"    核酸轮次“{ROUND_NAME}”：{len(items) + len(recall_items)} 条采样绑定，"
                 f"混管 {self.positive_pool} 阳性 → 召回 {len(self.pool_members)} 人 → 单管阳性 1 人")

    def _binding(self, client_id: str, barcode: str, capacity: int, table, person, when: dt.datetime) -> dict:
        return {"client_id": client_id, "round": self.round.pk, "tube": barcode, "capacity": capacity,
                "table": table.pk, "id_type": person.id_type, "id_number": person.id_number,
                "sampled_at": when}

    @staticmethod
    def _all_accepted(answers: list[dict], what: str) -> None:
        bad = [a for a in answers if a.get("status") != "accepted"]
        if bad:
            raise RuntimeError(f"演示场景 {what} 未被接受：{bad[:3]}")

    @staticmethod
    def _case_person(members):
        """The member with the most household mates (so the case has contacts to confirm)."""
        from fangkong.residents.models import Person

        def size(p) -> int:
            return Person.objects.filter(household_id=p.household_id).count() if p.household_id else 0

        return max(members, key=lambda p: (size(p), -p.pk))

    # --- the case -----------------------------------------------------------------------------------

    def case_and_contacts(self) -> None:
        from fangkong.epi import services as es
        from fangkong.epi.models import Case, ContactCategory, SuggestionSource, SuggestionState

        epi = self.u["epi"]
        case = Case.objects.get(source_ref=f"tube:{self.case_tube}")
        case = es.case_update(actor=epi, case=case, isolated_date=dt.date(2022, 9, 2), reason="9月2日14时转运至定点医院",
                              investigation="9月1日混管阳性，居家等待复核；9月2日单管复核阳性，当日闭环转运至市定点医院。"
                                            "近4日主要在本小区及周边活动，8月31日晚到城关街道某超市购物。")
        es.investigation_add(actor=epi, case=case, place="城关街道北新街某超市", started_at=at(2022, 8, 31, 18, 10),
                             ended_at=at(2022, 8, 31, 18, 45), note="购物，全程佩戴口罩")
        es.investigation_add(actor=epi, case=case, place=f"{self.community_x.name}核酸采样点",
                             started_at=at(2022, 9, 1, 7, 30), ended_at=at(2022, 9, 1, 7, 50), note="参加区域核酸筛查")
        es.investigation_add(actor=epi, case=case, place="居家", started_at=at(2022, 9, 1, 21, 40),
                             ended_at=at(2022, 9, 2, 14), note="混管可疑阳性后居家等待复核")
        # the suggestions were generated when the positive tube opened the case
        pending = list(case.suggestions.filter(state=SuggestionState.PENDING).select_related("person", "case")
                       .order_by("source", "person_id"))
        contacts = []
        household = [s for s in pending if s.source == SuggestionSource.HOUSEHOLD]
        for s in household:
            contacts.append(es.suggestion_confirm(actor=epi, suggestion=s, category=ContactCategory.CLOSE,
                                                  contact_date=dt.date(2022, 9, 2), situation="co_resident"))
        others = [s for s in pending if s.source != SuggestionSource.HOUSEHOLD]
        for s in others[:max(0, 3 - len(contacts))]:
            contacts.append(es.suggestion_confirm(actor=epi, suggestion=s, category=ContactCategory.CLOSE,
                                                  contact_date=dt.date(2022, 9, 1),
                                                  situation="investigator_judgement"))
        rest = [s for s in others if s.state == SuggestionState.PENDING and not
                case.contacts.filter(person_id=s.person_id).exists()]
        if rest:
            es.suggestion_dismiss(actor=epi, suggestion=rest[-1], reason="经核实采样时间间隔较长，无近距离接触")
        # A secondary contact: a colleague of the first close contact (someone outside the case's unit).
        if contacts:
            from fangkong.residents.models import Person

            taken = set(case.suggestions.values_list("person_id", flat=True)) | {case.person_id}
            colleague = (Person.objects.filter(area_path__startswith=self.community_x.path)
                         .exclude(pk__in=taken).exclude(household_id=case.person.household_id)
                         .order_by("-area_path", "id").first())
            if colleague is not None:
                es.contact_register(actor=epi, case=case, person=colleague, category=ContactCategory.SECONDARY,
                                    contact_date=dt.date(2022, 9, 2), via=contacts[0], situation="workplace_close",
                                    note="与密接同一办公室")
        case = es.case_update(actor=epi, case=case, released_date=dt.date(2022, 9, 13),
                              reason="连续两次核酸Ct值≥35，9月13日出院，转居家健康监测")
        self.case = case
        self.counts["contacts"] = case.contacts.count()
        self.counts["suggestions_pending"] = case.suggestions.filter(state=SuggestionState.PENDING).count()
        self.say(f"    病例 {case.pk}：密接 {self.counts['contacts']} 人（第九版判定管控），"
                 f"待研判建议 {self.counts['suggestions_pending']} 条")

    # --- 协查 -----------------------------------------------------------------------------------------

    def assist_list(self) -> None:
        from fangkong.epi import services as es
        from fangkong.epi.models import AssistOutcome
        from fangkong.residents.idnumbers import make_citizen_id
        from fangkong.residents.models import Person

        epi, grid = self.u["epi"], self.u["grid"]
        base = Person.objects.filter(birth_date__lte=dt.date(2004, 1, 1)).select_related("area", "area__parent",
                                                                                      "area__parent__parent")
        mine = list(base.filter(area_path__startswith=self.grid_x.path).exclude(phone="")
                    .order_by("area_path", "id")[20:60:3])  # the demo grid worker's people
        elsewhere = list(base.filter(area_path__startswith=self.county.path).exclude(phone="")
                         .exclude(area_path__startswith=self.grid_x.path).order_by("-area_path", "id")[:5])
        rows: list[list[str]] = []
        note = "8月30日与确诊病例时空交集"
        for p in mine[:5]:  # exact ID
            rows.append([p.name, "", p.id_number, "", note])
        for p in mine[5:8]:  # phone, formatted as the list came
            ph = p.phone
            rows.append([p.name, f"+86 {ph[:3]} {ph[3:7]} {ph[7:]}", "", "", "同行程"])
        for p in elsewhere[:3]:  # phone only
            ph = p.phone
            rows.append(["", f"{ph[:3]}-{ph[3:7]}-{ph[7:]}", "", "", "只有手机号"])
        for p in mine[8:10]:  # masked ID + name
            rows.append([p.name, "", p.id_number[:4] + "**********" + p.id_number[-4:], "", "身份证号脱敏"])
        for p in mine[10:12]:  # name + address naming the compound and building
            unit = p.area
            building = unit.parent if unit.level == "unit" else unit
            compound = building.parent if building.level == "building" else building
            rows.append([p.name, "", "", f"城关街道{compound.name}{building.name}", "仅有住址"])
        if mine:  # duplicates of earlier rows
            rows.append([mine[0].name, "", mine[0].id_number.lower(), "", "重复上报"])
        if len(mine) > 5:
            ph = mine[5].phone
            rows.append([mine[5].name, ph, "", "", "重复上报"])
        for i, (name, region) in enumerate([("赵建国", "410102"), ("钱晓梅", "610113"), ("孙立新", "140105")]):
            rows.append([name, f"1990000{i:04d}", make_citizen_id(region, dt.date(1980 + i, 3, 12), 71 + 2 * i),
                         "西安市雁塔区", "外地人员，本地未登记"])
        header = "姓名,手机号,身份证号,地址,备注\n"
        text = header + "\n".join(",".join(r) for r in rows) + "\n"
        lst = es.assist_list_upload(actor=epi, area=self.county, title=ASSIST_TITLE, reason=note,
                                    deadline=at(2022, 9, 2, 12), file=io.BytesIO(text.encode("utf-8")),
                                    filename="协查名单第7批.csv")
        done = 0
        for item in lst.items.filter(assigned_to=grid, outcome="").order_by("row_number")[:4]:
            outcome = AssistOutcome.CONTROLLED if done < 3 else AssistOutcome.NOT_IN_AREA
            es.assist_item_outcome(actor=grid, item=item, outcome=outcome,
                                   note="已电话联系并上门核实，落实居家健康监测" if done < 3 else "本人在西安出差，已推送当地")
            done += 1
        self.counts["assist_rows"] = lst.rows_total
        self.counts["assist_matched"] = lst.rows_matched
        self.say(f"    协查名单：{lst.rows_total} 行，匹配 {lst.rows_matched} 行，网格员已处置 {done} 行")

    # --- 敲门行动 ----------------------------------------------------------------------------------------

    def door_knocking(self) -> None:
        from fangkong.residents import services as rs
        from fangkong.residents.models import Household

        campaign = rs.campaign_open(actor=self.u["community"], area=self.community_x, name=CAMPAIGN_NAME)
        grid = self.u["grid"]
        households = list(Household.objects.filter(area_path__startswith=self.grid_x.path).order_by("address", "id")[:40])
        visits = 0
        for i, hh in enumerate(households):
            if i % 9 == 4:
                outcome, note = "nobody_home", "白天无人，已留联系卡"
            elif i == 17:
                outcome, note = "refused", "住户不愿开门，已报社区"
            elif i == 23:
                outcome, note = "new_people", "发现1名借住亲属未登记"
            else:
                outcome, note = "visited", ""
            rs.visit_record(actor=grid, campaign=campaign, household=hh, outcome=outcome, note=note)
            visits += 1
            if outcome == "nobody_home" and i < 20:  # revisited in the evening
                rs.visit_record(actor=grid, campaign=campaign, household=hh, outcome="visited", note="晚间回访")
                visits += 1
        self.counts["visits"] = visits
        self.say(f"    敲门行动“{CAMPAIGN_NAME}”：{visits} 次入户记录")

    # --- 2022-09-04: notice 第31号 -----------------------------------------------------------------------

    def notice_31(self) -> None:
        from fangkong.risk_areas import services as ra
        from fangkong.risk_areas.models import Issuer

        hq, hq2 = self.u["hq"], self.u["hq2"]
        issuer = Issuer.objects.filter(name=ISSUER_NAME).first() or ra.issuer_create(
            actor=hq, name=ISSUER_NAME, area=self.city, next_number=31)
        notice = ra.notice_create(actor=hq, issuer=issuer, effective_at=at(2022, 9, 4, 20), changes=[
            {"risk_area": self.ra_high, "kind": "downgrade", "to_level": "medium"},
            {"risk_area": self.ra_medium, "kind": "downgrade", "to_level": "low"},
        ])
        notice = ra.notice_update(actor=hq, notice=notice, effective_at=notice.effective_at, basis=notice.basis,
                                  group_measures={("downgrade", "high", "medium"): "足不出户、错峰取物"})
        ra.notice_submit(actor=hq, notice=notice)
        notice = ra.notice_approve(actor=hq2, notice=notice, now=at(2022, 9, 4, 18))
        ra.notices_apply_due(now=at(2022, 9, 4, 20))
        self.counts["notice_number"] = notice.number
        self.say(f"    通告：{issuer.name}第{notice.number}号（hq 提交，hq2 审批），9月4日20时起降级")
