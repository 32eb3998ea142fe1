"""Writes to the residents ledger. The web form, the API, the importer, the door-knocking page and
the sampling terminals all register people through `person_register`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.utils import timezone

from fangkong.areas.models import Area
from fangkong.audit.services import diff, event_record, snapshot
from fangkong.core.errors import ServiceError
from fangkong.core.scoping import authorize
from fangkong.residents.choices import CareTagKind, Relationship, ResidenceType, Sex
from fangkong.residents.idnumbers import (
    IdNumberError,
    IdType,
    citizen_id_birth_date,
    citizen_id_sex,
    normalize_id,
)
from fangkong.residents.models import CareTag, Household, Person, PersonMove
from fangkong.residents.normalize import PhoneError, normalize_name, normalize_phone, pinyin_initials

if TYPE_CHECKING:
    from fangkong.residents.models import Campaign, Visit

PERSON_FIELDS = ["name", "id_type", "id_number", "sex", "birth_date", "phone", "residence_type", "relationship",
                 "workplace", "notes", "household_id", "area_id", "walk_in", "needs_review"]


class DuplicatePerson(ServiceError):
    """The ID document is already registered: the user decides between a move and a merge."""

    code = "duplicate_person"

    def __init__(self, existing: Person):
        super().__init__("该证件号码已登记在其他住户，请选择迁入或合并。", field="id_number")
        self.existing = existing


def clean_document(id_type: str, id_number: str) -> tuple[str, str]:
    """Normalise an ID document or raise ServiceError with the validator's Chinese message."""
    id_type = id_type or IdType.CITIZEN_ID.value
    try:
        return id_type, normalize_id(id_type, id_number)
    except IdNumberError as exc:
        raise ServiceError(exc.message, code=exc.code, field="id_number") from None


def derive_birth_and_sex(id_type: str, id_number: str, birth_date: dt.date | None, sex: str | None):
    """Birth date and sex come from a citizen ID; what was typed must agree with it."""
    if id_type != IdType.CITIZEN_ID.value:
        return birth_date, sex or Sex.UNKNOWN
    derived_birth, derived_sex = citizen_id_birth_date(id_number), citizen_id_sex(id_number)
    if birth_date and birth_date != derived_birth:
        raise ServiceError(
            f"出生日期 {birth_date:%Y-%m-%d} 与身份证号中的 {derived_birth:%Y-%m-%d} 不一致。",
            code="birth_date_mismatch", field="birth_date",
        )
    if sex and sex != Sex.UNKNOWN and sex != derived_sex:
        raise ServiceError("性别与身份证号不一致。", code="sex_mismatch", field="sex")
    return derived_birth, derived_sex


RELATIONSHIPS = set(Relationship.values)
RESIDENCE_TYPES = set(ResidenceType.values)
_SEX_WORDS = {"男": Sex.MALE, "女": Sex.FEMALE, "m": Sex.MALE, "f": Sex.FEMALE, "男性": Sex.MALE, "女性": Sex.FEMALE}


def clean_sex(value) -> str | None:
    if value in (None, ""):
        return None
    v = str(value).strip()
    if v in Sex.values:
        return v
    found = _SEX_WORDS.get(v.lower())
    if found is None:
        raise ServiceError(f"无法识别的性别：{v}", code="bad_sex", field="sex")
    return found


def person_clean(
    *,
    name: str,
    id_type: str,
    id_number: str,
    phone: str = "",
    sex: str | None = None,
    birth_date: dt.date | None = None,
    residence_type: str = ResidenceType.RESIDENT,
    relationship: str = "",
    workplace: str = "",
    notes: str = "",
    care_tags: Iterable[str] = (),
    walk_in: bool = False,
) -> dict:
    """THE rules for a person's data, shared by the form, the API, the importer and the door-knocking page.

    Returns the clean field values (with the derived `name_initials` and `id_tail`) or raises ServiceError
    naming the field. Pure: no database access."""
    name = normalize_name(name or "")
    if not name and not walk_in:
        raise ServiceError("请填写姓名。", code="required", field="name")
    if name and name[0] in "=+-@":
        raise ServiceError("姓名格式错误（不能以 = + - @ 开头）。", code="bad_name", field="name")
    if len(name) > 60:
        raise ServiceError("姓名太长（最多60字）。", code="too_long", field="name")
    id_type, id_number = clean_document(id_type, id_number)
    birth_date, sex = derive_birth_and_sex(id_type, id_number, birth_date, clean_sex(sex))
    try:
        phone = normalize_phone(phone) if phone else ""
    except PhoneError as exc:
        raise ServiceError(exc.message, code=exc.code, field="phone") from None
    residence_type = residence_type or ResidenceType.RESIDENT
    if residence_type not in RESIDENCE_TYPES:
        raise ServiceError(f"未知的人口类型：{residence_type}", code="bad_residence_type", field="residence_type")
    relationship = relationship or ""
    if relationship and relationship not in RELATIONSHIPS:
        raise ServiceError(f"未知的与户主关系：{relationship}", code="bad_relationship", field="relationship")
    tags = sorted(set(care_tags or ()))
    for tag in tags:
        if tag not in CareTagKind.values:
            raise ServiceError(f"未知的关爱标签：{tag}", code="bad_tag", field="care_tags")
    workplace = (workplace or "").strip()
    if len(workplace) > 200:
        raise ServiceError("工作单位太长（最多200字）。", code="too_long", field="workplace")
    return {
        "name": name, "name_initials": pinyin_initials(name)[:30], "id_type": id_type, "id_number": id_number,
        "id_tail": id_number[-6:], "sex": sex or Sex.UNKNOWN, "birth_date": birth_date, "phone": phone,
        "residence_type": residence_type, "relationship": relationship, "workplace": workplace,
        "notes": (notes or "").strip(), "care_tags": tags,
    }


@transaction.atomic
def person_register(
    *,
    actor,
    area: Area,
    name: str,
    id_type: str,
    id_number: str,
    household: Household | None = None,
    phone: str = "",
    sex: str | None = None,
    birth_date: dt.date | None = None,
    residence_type: str = ResidenceType.RESIDENT,
    relationship: str = "",
    workplace: str = "",
    notes: str = "",
    care_tags: Iterable[str] = (),
    walk_in: bool = False,
    action: str = "residents.edit",
    reason: str = "",
) -> Person:
    """Register a person in `area` (or in `household`, whose area wins). Raises DuplicatePerson when the
    document is already in the ledger anywhere on the platform."""
    if household is not None:
        area = household.area
    authorize(actor, action, area.path)
    data = person_clean(name=name, id_type=id_type, id_number=id_number, phone=phone, sex=sex,
                        birth_date=birth_date, residence_type=residence_type, relationship=relationship,
                        workplace=workplace, notes=notes, care_tags=care_tags, walk_in=walk_in)
    tags = data.pop("care_tags")
    existing = Person.objects.filter(id_type=data["id_type"], id_number=data["id_number"]).first()
    if existing is not None:
        raise DuplicatePerson(existing)
    person = Person(household=household, area=area, area_path=area.path, walk_in=walk_in, needs_review=walk_in,
                    **data)
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two registrations of one document raced: the other one won.
        raise DuplicatePerson(Person.objects.get(id_type=data["id_type"], id_number=data["id_number"])) from None
    CareTag.objects.bulk_create([CareTag(person=person, tag=t, area_path=person.area_path) for t in tags])
    event_record(actor=actor, action="person.register", obj=person, after={**snapshot(person, PERSON_FIELDS),
                 "care_tags": tags}, reason=reason)
    return person


EDITABLE = ["name", "phone", "sex", "birth_date", "residence_type", "relationship", "workplace", "notes"]


@transaction.atomic
def person_update(*, actor, person: Person, reason: str = "", **changes) -> Person:
    """Edit a person's data (not the document, not the household: see person_move). Same rules as registration."""
    authorize(actor, "residents.edit", person.area_path)
    unknown = set(changes) - set(EDITABLE) - {"care_tags"}
    if unknown:
        raise ServiceError(f"不能修改：{', '.join(sorted(unknown))}", code="bad_field")
    current = {f: getattr(person, f) for f in EDITABLE}
    current["care_tags"] = sorted(person.care_tags.values_list("tag", flat=True))
    merged = {**current, **changes}
    data = person_clean(id_type=person.id_type, id_number=person.id_number, walk_in=person.walk_in, **merged)
    tags = data.pop("care_tags")
    before = {**snapshot(person, PERSON_FIELDS), "care_tags": current["care_tags"]}
    for field_name in (*EDITABLE, "name_initials"):
        setattr(person, field_name, data[field_name])
    if person.walk_in and person.name:
        person.needs_review = False
    person.save()
    care_tags_set(person=person, tags=tags)
    after = {**snapshot(person, PERSON_FIELDS), "care_tags": tags}
    b, a = diff(before, after)
    if a:
        event_record(actor=actor, action="person.update", obj=person, before=b, after=a, reason=reason)
    return person


def care_tags_set(*, person: Person, tags: Iterable[str]) -> None:
    """Replace a person's care tags (inside the caller's transaction and audit event)."""
    tags = set(tags)
    have = set(person.care_tags.values_list("tag", flat=True))
    if have - tags:
        person.care_tags.filter(tag__in=have - tags).delete()
    CareTag.objects.bulk_create([CareTag(person=person, tag=t, area_path=person.area_path) for t in sorted(tags - have)])


@transaction.atomic
def person_move(*, actor, person: Person, household: Household, reason: str = "") -> Person:
    """Move a person into `household` (迁入本户). The old address stays in PersonMove; one record per document.

    The actor must be allowed to edit the destination; the origin may lie outside their area (a person
    who moved in from elsewhere), which is why the caller found the person by document, not by scope."""
    authorize(actor, "residents.edit", household.area_path)
    person = Person.objects.select_for_update(of=("self",)).select_related("household").get(pk=person.pk)
    if person.household_id == household.pk:
        raise ServiceError("此人已在该住户。", code="same_household")
    old = person.household
    move = PersonMove.objects.create(
        person=person, from_household=old, to_household=household, from_address=old.address if old else "",
        to_address=household.address, moved_at=timezone.now(), actor=actor if getattr(actor, "pk", None) else None,
        reason=reason,
    )
    before = {"household_id": person.household_id, "area_id": person.area_id, "area_path": person.area_path}
    person.household, person.area_id, person.area_path = household, household.area_id, household.area_path
    if person.walk_in:
        person.needs_review = False
    person.save(update_fields=["household", "area", "area_path", "needs_review", "updated_at"])
    CareTag.objects.filter(person=person).update(area_path=household.area_path)
    event_record(actor=actor, action="person.move", obj=person, before=before,
                 after={"household_id": household.pk, "area_id": household.area_id, "area_path": household.area_path,
                        "move_id": move.pk}, reason=reason)
    return person


# ---- households ---------------------------------------------------------------------------------

def household_address(area: Area, *, room: str = "", house_number: str = "", names: list[str] | None = None) -> str:
    """The display address: compound/village group, building, unit, then the room or house number."""
    if names is None:
        from fangkong.areas.choices import Level

        names = []
        lo_levels = {Level.COMMUNITY, Level.COMPOUND, Level.BUILDING, Level.UNIT}
        codes = area.ancestor_codes
        rows = {a.code: a for a in Area.objects.filter(code__in=codes, level__in=lo_levels)}
        names = [rows[c].name for c in codes if c in rows]
    tail = room and f"{room}室" or house_number and (house_number if house_number.endswith("号") else f"{house_number}号")
    return "".join([*names, tail or ""])[:300]


def room_floor(room: str) -> int | None:
    """301 → 3, 1502 → 15, 2-301 → 3, B1 → None."""
    tail = room.rsplit("-", 1)[-1]
    if tail.isdigit() and len(tail) >= 3:
        return int(tail[:-2])
    return None


def clean_room(room: str) -> str:
    room = "".join(str(room or "").split()).replace("室", "").replace("号", "")
    if len(room) > 20:
        raise ServiceError("房号太长。", code="too_long", field="room")
    return room


@transaction.atomic
def household_create(*, actor, area: Area, room: str = "", house_number: str = "", floor: int | None = None,
                     notes: str = "", reason: str = "") -> Household:
    authorize(actor, "residents.edit", area.path)
    room, house_number = clean_room(room), "".join(str(house_number or "").split())[:40]
    if not room and not house_number:
        raise ServiceError("请填写房号或门牌号。", code="required", field="room")
    if Household.objects.filter(area=area, room=room, house_number=house_number).exists():
        raise ServiceError("该地址已有住户。", code="duplicate", field="room")
    household = Household.objects.create(
        area=area, area_path=area.path, room=room, house_number=house_number,
        floor=floor if floor is not None else room_floor(room), notes=notes,
        address=household_address(area, room=room, house_number=house_number),
    )
    event_record(actor=actor, action="household.create", obj=household,
                 after=snapshot(household, ["area_id", "room", "house_number", "floor", "address"]), reason=reason)
    return household


@transaction.atomic
def household_update(*, actor, household: Household, notes: str | None = None, vacant: bool | None = None,
                     reason: str = "") -> Household:
    authorize(actor, "residents.edit", household.area_path)
    before = snapshot(household, ["notes", "vacant"])
    if notes is not None:
        household.notes = notes
    if vacant is not None:
        household.vacant = vacant
    household.save()
    b, a = diff(before, snapshot(household, ["notes", "vacant"]))
    if a:
        event_record(actor=actor, action="household.update", obj=household, before=b, after=a, reason=reason)
    return household


def person_register_walk_in(*, actor, area: Area, id_type: str, id_number: str, name: str = "",
                            phone: str = "", reason: str = "") -> Person:
    """A person unknown to the ledger met at a sampling table: minimum data, flagged for the grid worker."""
    return person_register(actor=actor, area=area, name=name, id_type=id_type, id_number=id_number, phone=phone,
                           residence_type=ResidenceType.FLOATING, walk_in=True,
                           action="residents.register_walk_in", reason=reason or "采样点临时登记")


# ---- door-knocking (敲门行动) --------------------------------------------------------------------------

@transaction.atomic
def campaign_open(*, actor, area: Area, name: str) -> Campaign:
    from fangkong.residents.models import Campaign

    authorize(actor, "residents.campaign", area.path)
    name = (name or "").strip() or "敲门行动"
    campaign = Campaign.objects.create(name=name[:100], area=area, area_path=area.path, opened_at=timezone.now(),
                                       opened_by=actor if getattr(actor, "pk", None) else None)
    event_record(actor=actor, action="campaign.open", obj=campaign, after={"name": campaign.name, "area": area.code})
    return campaign


@transaction.atomic
def visit_record(*, actor, campaign, household: Household, outcome: str, note: str = "") -> Visit:
    """One knock: visited, nobody home (revisit), refused, vacant, moved out, new people found."""
    from fangkong.residents.models import Visit, VisitOutcome

    authorize(actor, "residents.visit", household.area_path)
    if not household.area_path.startswith(campaign.area_path):
        raise ServiceError("该住户不在本次行动的区域内。", code="outside_campaign")
    if campaign.closed_at is not None:
        raise ServiceError("本次行动已结束。", code="closed")
    if outcome not in VisitOutcome.values:
        raise ServiceError("请选择结果。", code="required", field="outcome")
    visit = Visit.objects.create(campaign=campaign, household=household, area_path=household.area_path,
                                 outcome=outcome, note=(note or "")[:300], at=timezone.now(),
                                 actor=actor if getattr(actor, "pk", None) else None)
    if outcome == VisitOutcome.VACANT and not household.vacant:
        Household.objects.filter(pk=household.pk).update(vacant=True)
    event_record(actor=actor, action="visit.record", obj=visit, object_repr=household.address,
                 after={"outcome": outcome, "household_id": household.pk, "campaign_id": campaign.pk})
    return visit
