"""Writes to the residents ledger. The web form, the API, the importer, the door-knocking page and
the sampling terminals all register people through `person_register`."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import IntegrityError, transaction

from fangkong.areas.models import Area
from fangkong.audit.services import event_record, snapshot
from fangkong.core.errors import ServiceError
from fangkong.core.scoping import authorize
from fangkong.residents.choices import CareTagKind, ResidenceType, Sex
from fangkong.residents.idnumbers import (
    IdNumberError,
    IdType,
    citizen_id_birth_date,
    citizen_id_sex,
    normalize_id,
)
from fangkong.residents.models import CareTag, Household, Person
from fangkong.residents.normalize import PhoneError, normalize_name, normalize_phone, pinyin_initials

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
    name = normalize_name(name or "")
    if not name and not walk_in:
        raise ServiceError("请填写姓名。", code="required", field="name")
    id_type, id_number = clean_document(id_type, id_number)
    existing = Person.objects.filter(id_type=id_type, id_number=id_number).first()
    if existing is not None:
        raise DuplicatePerson(existing)
    birth_date, sex = derive_birth_and_sex(id_type, id_number, birth_date, sex)
    try:
        phone = normalize_phone(phone) if phone else ""
    except PhoneError as exc:
        raise ServiceError(exc.message, code=exc.code, field="phone") from None
    person = Person(
        household=household, area=area, area_path=area.path, name=name, name_initials=pinyin_initials(name),
        id_type=id_type, id_number=id_number, id_tail=id_number[-6:], sex=sex or Sex.UNKNOWN,
        birth_date=birth_date, phone=phone, residence_type=residence_type, relationship=relationship,
        workplace=workplace, notes=notes, walk_in=walk_in, needs_review=walk_in,
    )
    try:
        with transaction.atomic():
            person.save()
    except IntegrityError:
        # Two registrations of one document raced: the other one won.
        raise DuplicatePerson(Person.objects.get(id_type=id_type, id_number=id_number)) from None
    tags = sorted(set(care_tags))
    for tag in tags:
        if tag not in CareTagKind.values:
            raise ServiceError(f"未知的关爱标签：{tag}", code="bad_tag", field="care_tags")
    CareTag.objects.bulk_create([CareTag(person=person, tag=t, area_path=person.area_path) for t in tags])
    event_record(actor=actor, action="person.register", obj=person, after={**snapshot(person, PERSON_FIELDS),
                 "care_tags": tags}, reason=reason)
    return person


def person_register_walk_in(*, actor, area: Area, id_type: str, id_number: str, name: str = "",
                            phone: str = "", reason: str = "") -> Person:
    """A person unknown to the ledger met at a sampling table: minimum data, flagged for the grid worker."""
    return person_register(actor=actor, area=area, name=name, id_type=id_type, id_number=id_number, phone=phone,
                           residence_type=ResidenceType.FLOATING, walk_in=True,
                           action="residents.register_walk_in", reason=reason or "采样点临时登记")
