"""Import of the ledgers communities already keep (《常住人口信息汇总表》).

One pipeline for the dry run and the import: read (core.excel.read_table), clean every row with
`services.person_clean` (the same rules as the form), resolve the address inside the importer's area
(小区/楼栋/单元/房号 → Area nodes and a Household; areas are never created), dedupe inside the file and
against the database, then upsert in batches — each batch one transaction with its audit events built
in bulk. A dry run runs the same code and writes nothing. Importing the same file twice changes nothing.
"""

from __future__ import annotations

import os
import re
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections, models, transaction
from django.utils import timezone

from fangkong.areas.choices import Level
from fangkong.areas.models import Area
from fangkong.audit.models import Event
from fangkong.audit.services import event_build, event_record
from fangkong.core.errors import ServiceError
from fangkong.core.excel import parse_date, read_table, template_workbook, write_error_workbook
from fangkong.core.scoping import authorize, can, path_range
from fangkong.residents.choices import CareTagKind, Relationship, ResidenceType
from fangkong.residents.idnumbers import resolve_id_type
from fangkong.residents.models import CareTag, Household, Person, PersonMove
from fangkong.residents.services import clean_room, person_clean, room_floor

ACTION = "residents.import"
CHUNK = 2000

FIELDS: dict[str, list[str]] = {
    "name": ["姓名", "居民姓名", "人员姓名", "名字"],
    "id_type": ["证件类型", "证件种类"],
    "id_number": ["身份证号", "身份证号码", "公民身份号码", "证件号码", "身份证", "证件号", "身份证件号码"],
    "sex": ["性别"],
    "birth_date": ["出生日期", "出生年月", "生日", "出生年月日"],
    "phone": ["联系电话", "手机号码", "电话", "手机号", "联系方式", "手机", "电话号码"],
    "address": ["住址", "现住址", "家庭住址", "居住地址", "现居住地址", "详细地址"],
    "compound": ["小区", "小区名称", "自然组", "村组", "小区/村组", "组别"],
    "building": ["楼栋", "楼号", "栋号", "楼栋号", "幢"],
    "unit": ["单元", "单元号"],
    "room": ["房号", "门牌号", "室号", "房间号", "户号"],
    "relationship": ["与户主关系", "户主关系", "关系"],
    "residence_type": ["人口类型", "居住类型", "人员类型", "户籍类型"],
    "workplace": ["工作单位", "单位", "工作单位及职务"],
    "care_tags": ["关爱标签", "特殊人群", "重点人群", "人群分类"],
    "notes": ["备注", "说明"],
}
REQUIRED = ("name", "id_number")
TEMPLATE_HEADERS = ["姓名", "证件类型", "身份证号码", "性别", "出生日期", "联系电话", "小区", "楼栋", "单元", "房号",
                    "与户主关系", "人口类型", "工作单位", "关爱标签", "备注"]
TEMPLATE_EXAMPLE = ["张三", "居民身份证", "11010519491231002X", "女", "1949-12-31", "13800000000", "龙潭小区",
                    "1号楼", "2单元", "301", "户主", "常住", "", "独居老人", ""]

RELATIONSHIP_WORDS = {
    "户主": Relationship.HEAD, "本人": Relationship.HEAD, "户主本人": Relationship.HEAD,
    "配偶": Relationship.SPOUSE, "妻": Relationship.SPOUSE, "妻子": Relationship.SPOUSE, "夫": Relationship.SPOUSE,
    "丈夫": Relationship.SPOUSE, "之妻": Relationship.SPOUSE, "之夫": Relationship.SPOUSE,
    "子": Relationship.CHILD, "女": Relationship.CHILD, "儿子": Relationship.CHILD, "女儿": Relationship.CHILD,
    "长子": Relationship.CHILD, "次子": Relationship.CHILD, "长女": Relationship.CHILD, "次女": Relationship.CHILD,
    "子女": Relationship.CHILD, "之子": Relationship.CHILD, "之女": Relationship.CHILD,
    "父亲": Relationship.PARENT, "母亲": Relationship.PARENT, "父母": Relationship.PARENT, "父": Relationship.PARENT,
    "母": Relationship.PARENT, "孙子": Relationship.GRANDCHILD, "孙女": Relationship.GRANDCHILD,
    "外孙": Relationship.GRANDCHILD, "外孙女": Relationship.GRANDCHILD, "孙子女": Relationship.GRANDCHILD,
    "祖父": Relationship.GRANDPARENT, "祖母": Relationship.GRANDPARENT, "祖父母": Relationship.GRANDPARENT,
    "兄": Relationship.SIBLING, "弟": Relationship.SIBLING, "姐": Relationship.SIBLING, "妹": Relationship.SIBLING,
    "哥哥": Relationship.SIBLING, "弟弟": Relationship.SIBLING, "姐姐": Relationship.SIBLING,
    "妹妹": Relationship.SIBLING, "兄弟姐妹": Relationship.SIBLING, "儿媳": Relationship.CHILD_IN_LAW,
    "女婿": Relationship.CHILD_IN_LAW, "租户": Relationship.TENANT, "租客": Relationship.TENANT,
    "其他亲属": Relationship.OTHER_RELATIVE, "其他": Relationship.OTHER,
}
RESIDENCE_WORDS = {"常住": ResidenceType.RESIDENT, "常住人口": ResidenceType.RESIDENT, "流动": ResidenceType.FLOATING,
                   "流动人口": ResidenceType.FLOATING, "暂住": ResidenceType.FLOATING, "外来": ResidenceType.FLOATING,
                   "户籍": ResidenceType.REGISTERED, "户籍人口": ResidenceType.REGISTERED}
TAG_WORDS = {"独居老人": CareTagKind.LIVES_ALONE_ELDERLY, "独居": CareTagKind.LIVES_ALONE_ELDERLY,
             "孕妇": CareTagKind.PREGNANT, "孕产妇": CareTagKind.PREGNANT, "婴幼儿": CareTagKind.INFANT,
             "慢病": CareTagKind.CHRONIC_ILLNESS, "慢病/定期就医": CareTagKind.CHRONIC_ILLNESS,
             "定期就医": CareTagKind.CHRONIC_ILLNESS, "透析": CareTagKind.CHRONIC_ILLNESS,
             "化疗": CareTagKind.CHRONIC_ILLNESS, "血透": CareTagKind.CHRONIC_ILLNESS, "残障": CareTagKind.DISABLED,
             "残疾": CareTagKind.DISABLED, "残疾人": CareTagKind.DISABLED, "行动不便": CareTagKind.REDUCED_MOBILITY}
for _k in CareTagKind:
    TAG_WORDS[str(_k.label)] = _k.value
    TAG_WORDS[_k.value] = _k.value

_SPLIT_RE = re.compile(r"[,，、;；/\s]+")
_ADDRESS_RE = re.compile(
    r"(?P<compound>[^\d\s]+?)(?:(?P<building>\d+)\s*(?:号楼|栋|幢|号)\s*)?(?:(?P<unit>\d+)\s*单元\s*)?"
    r"(?P<room>[\d-]+)\s*(?:室|号)?$"
)
_NUM_RE = re.compile(r"\d+")


_PLAIN_FIELDS = (models.CharField, models.TextField, models.IntegerField, models.BooleanField, models.ForeignKey)


def _insert_rows(model, objs: list, *, batch_size: int = 2000) -> None:
    """INSERT model instances with one prepared statement and `executemany` (COPY on PostgreSQL; no ids come back).

    Django's bulk_create spends most of its time in the SQL compiler (one expression per value); here each
    value goes through its field's own `get_db_prep_save` only where the backend needs it (dates, datetimes,
    JSON, IP addresses), so the cost is the driver's. Defaults and auto_now(_add) are applied as the ORM would.
    """
    if not objs:
        return
    conn = connections[DEFAULT_DB_ALIAS]
    now = timezone.now()
    fields = [f for f in model._meta.concrete_fields if not f.primary_key and not f.generated]
    quote = conn.ops.quote_name
    sql = (f"INSERT INTO {quote(model._meta.db_table)} ({', '.join(quote(f.column) for f in fields)}) "  # noqa: S608
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    getters = []
    for f in fields:
        if getattr(f, "auto_now", False) or getattr(f, "auto_now_add", False):
            value = f.get_db_prep_save(now, conn)  # one timestamp for the batch
            getters.append(lambda _o, v=value: v)
        elif isinstance(f, _PLAIN_FIELDS) and not isinstance(f, models.JSONField):
            default = None if f.null else f.get_default()
            getters.append(lambda o, a=f.attname, d=default: v if (v := getattr(o, a)) is not None else d)
        elif isinstance(f, models.JSONField):
            getters.append(lambda o, f=f: f.get_db_prep_save(getattr(o, f.attname), conn))
        else:  # dates, datetimes, IP addresses: the same values repeat, convert each once
            memo: dict = {}

            def get(o, f=f, memo=memo):
                v = getattr(o, f.attname)
                try:
                    return memo[v]
                except KeyError:
                    out = memo[v] = f.get_db_prep_save(v, conn)
                    return out
            getters.append(get)
    with conn.cursor() as cur:
        if conn.vendor == "postgresql":  # COPY: the cheapest bulk path for the server too
            cols = ", ".join(quote(f.column) for f in fields)
            with cur.cursor.copy(f"COPY {quote(model._meta.db_table)} ({cols}) FROM STDIN") as copy:
                for o in objs:
                    copy.write_row([g(o) for g in getters])
            return
        for i in range(0, len(objs), batch_size):
            cur.executemany(sql, [[g(o) for g in getters] for o in objs[i:i + batch_size]])


class RowError(Exception):
    pass


@dataclass
class ImportResult:
    total: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: int = 0
    households_created: int = 0
    skipped_empty: int = 0
    error_file: str = ""
    preview: dict[str, list] = field(default_factory=lambda: {"create": [], "update": [], "unchanged": [], "error": []})
    error_rows: list[tuple[int, list[Any], str]] = field(default_factory=list)
    headers: list[str] = field(default_factory=list)

    def summary(self) -> dict:
        return {"total": self.total, "created": self.created, "updated": self.updated, "unchanged": self.unchanged,
                "errors": self.errors, "households_created": self.households_created,
                "skipped_empty": self.skipped_empty, "error_file": self.error_file}


def template_path(path: str | None = None) -> str:
    return template_workbook(
        path, "常住人口信息汇总表", TEMPLATE_HEADERS, TEMPLATE_EXAMPLE,
        notes=["身份证号码请按文本填写（18位，末位可为X）。", "小区、楼栋、单元须是本辖区已有的区域；农村住户填写村组和门牌号。",
               "与户主关系：户主、配偶、子女、父母、孙子女等。", "人口类型：常住、流动、户籍。",
               "关爱标签：独居老人、孕妇、婴幼儿、慢病/定期就医、残障、行动不便，多个用顿号分隔。"],
    )


def _words(value: str, table: dict, what: str):
    v = "".join(value.split())
    if not v:
        return ""
    found = table.get(v)
    if found is None:
        raise RowError(f"无法识别的{what}：{value}")
    return found


def _tags(value: str) -> list[str]:
    out = []
    for part in _SPLIT_RE.split(value or ""):
        if part:
            tag = TAG_WORDS.get(part)
            if tag is None:
                raise RowError(f"无法识别的关爱标签：{part}")
            out.append(tag)
    return out


def _num(value: str) -> str:
    m = _NUM_RE.search(value or "")
    return m.group(0).lstrip("0") or "0" if m else ""


class AddressBook:
    """The compounds, buildings and units inside the importer's area, by name (loaded once)."""

    def __init__(self, area: Area):
        self.area = area
        lo, hi = path_range(area.path)
        nodes = list(Area.objects.filter(path__gte=lo, path__lt=hi, retired_at__isnull=True,
                                         level__in=[Level.COMMUNITY, Level.COMPOUND, Level.BUILDING, Level.UNIT])
                     .values("id", "name", "level", "kind", "path", "parent_id"))
        if area.level in (Level.COMPOUND, Level.BUILDING, Level.UNIT):
            nodes.append({"id": area.pk, "name": area.name, "level": area.level, "kind": area.kind, "path": area.path,
                          "parent_id": area.parent_id})
        self.by_id = {n["id"]: n for n in nodes}
        self.compounds: dict[str, list[dict]] = defaultdict(list)
        self.children: dict[int, dict[str, dict]] = defaultdict(dict)
        communities = {n["path"].split("/")[4] if n["path"].count("/") > 5 else "": n["name"]
                       for n in nodes if n["level"] == Level.COMMUNITY}
        for n in nodes:
            if n["level"] == Level.COMPOUND:
                for key in {n["name"], n["name"].removesuffix("小区")}:
                    self.compounds[key].append(n)
                comm = communities.get(n["path"].split("/")[4], "")
                if comm:
                    self.compounds[comm + n["name"]].append(n)
                    self.compounds[comm.removesuffix("村") + n["name"]].append(n)
            elif n["level"] in (Level.BUILDING, Level.UNIT):
                self.children[n["parent_id"]][_num(n["name"]) or n["name"]] = n
        # reachable compound names of the subtree above (a compound-level importer)
        self.area_node = self.by_id.get(area.pk)

    def resolve(self, compound: str, building: str, unit: str, room: str, address: str) -> tuple[dict, str, str]:
        """→ (area node, room, house number). Raises RowError."""
        compound = "".join((compound or "").split())
        if not compound and address:
            m = _ADDRESS_RE.match("".join(address.split()))
            if not m:
                raise RowError(f"无法从住址“{address}”中识别小区、楼栋、单元和房号，请分列填写")
            compound, building, unit, room = m.group("compound"), m.group("building") or building, \
                m.group("unit") or unit, m.group("room")
        if not compound:
            if self.area.level in (Level.BUILDING, Level.UNIT, Level.COMPOUND):
                node = self.area_node
            else:
                raise RowError("缺少小区/村组")
        else:
            found = self.compounds.get(compound) or self.compounds.get(compound.removesuffix("小区"))
            if not found:
                raise RowError(f"小区/村组“{compound}”不在导入区域“{self.area.name}”内（或尚未建立）")
            uniq = {n["id"]: n for n in found}
            if len(uniq) > 1:
                raise RowError(f"导入区域内有多个“{compound}”，请在小区列写明所属社区/村，例如“某某社区{compound}”")
            node = next(iter(uniq.values()))
        room = clean_room(room or "")
        if building:
            key = _num(building) or building
            b = self.children[node["id"]].get(key) if node["level"] == Level.COMPOUND else None
            if b is None and node["level"] == Level.BUILDING and (_num(node["name"]) == key):
                b = node
            if b is None:
                raise RowError(f"楼栋“{building}”不在“{node['name']}”中，请先在辖区管理中建立")
            node = b
            if unit:
                ukey = _num(unit) or unit
                u = self.children[node["id"]].get(ukey)
                if u is None:
                    raise RowError(f"单元“{unit}”不在“{node['name']}”中，请先在辖区管理中建立")
                node = u
            if not room:
                raise RowError("缺少房号")
            return node, room, ""
        if not room:
            raise RowError("缺少房号/门牌号")
        if node["kind"] == "village_group" or node["level"] == Level.COMPOUND:
            return node, "", room.removesuffix("号")
        return node, room, ""

    def label(self, node: dict) -> str:
        parts, n = [], node
        while n is not None and n["level"] in (Level.UNIT, Level.BUILDING, Level.COMPOUND, Level.COMMUNITY):
            parts.append(n["name"])
            n = self.by_id.get(n["parent_id"])
            while n is not None and n["level"] == Level.GRID:
                n = self.by_id.get(n["parent_id"])
        if n is None and parts and node["level"] != Level.COMMUNITY:
            anc = Area.objects.filter(code__in=[c for c in node["path"].strip("/").split("/")],
                                      level=Level.COMMUNITY).values_list("name", flat=True).first()
            if anc and anc not in parts:
                parts.append(anc)
        return "".join(reversed(parts))


COMPARED = ("name", "sex", "birth_date", "phone", "residence_type", "relationship", "workplace", "notes")


def import_ledger(*, actor, area: Area, path: str, filename: str, dry_run: bool = True,
                  progress: Callable[[int], None] | None = None, error_dir: str | None = None) -> ImportResult:
    """Run the import (or the dry run). Returns counts, a preview and the error workbook path."""
    authorize(actor, ACTION, area.path)
    table = read_table(path, filename=filename, fields=FIELDS, required=REQUIRED,
                       kinds={"birth_date": "date"})
    result = ImportResult(headers=list(table.headers))
    book = AddressBook(area)
    seen: dict[tuple[str, str], int] = {}
    label_cache: dict[int, str] = {}
    chunk: list = []
    now = timezone.now()

    def flush():
        if not chunk:
            return
        _process_chunk(actor=actor, area=area, rows=chunk, result=result, book=book, dry_run=dry_run,
                       label_cache=label_cache, now=now, has_tags="care_tags" in table.columns)
        chunk.clear()
        if progress:
            progress(result.total)

    for row in table.rows():
        result.total += 1
        v = row.values
        try:
            raw_type = v.get("id_type", "")
            id_type = resolve_id_type(raw_type) if raw_type else "citizen_id"
            if id_type is None:
                raise RowError(f"无法识别的证件类型：{raw_type}")
            try:
                birth = parse_date(v.get("birth_date"))
            except ValueError as exc:
                raise RowError(str(exc)) from None
            provided = {k for k in ("sex", "birth_date", "phone", "residence_type", "relationship", "workplace",
                                    "notes") if v.get(k) not in (None, "")}
            data = person_clean(
                name=v.get("name", ""), id_type=id_type, id_number=v.get("id_number", ""), phone=v.get("phone", ""),
                sex=v.get("sex") or None, birth_date=birth,
                residence_type=_words(v.get("residence_type", ""), RESIDENCE_WORDS, "人口类型") or ResidenceType.RESIDENT,
                relationship=_words(v.get("relationship", ""), RELATIONSHIP_WORDS, "与户主关系"),
                workplace=v.get("workplace", ""), notes=v.get("notes", ""), care_tags=_tags(v.get("care_tags", "")),
            )
            node, room, house = book.resolve(v.get("compound", ""), v.get("building", ""), v.get("unit", ""),
                                             v.get("room", ""), v.get("address", ""))
            key = (data["id_type"], data["id_number"])
            if key in seen:
                raise RowError(f"与文件第 {seen[key]} 行的证件号码重复")
            seen[key] = row.number
            provided |= {"name"}
            chunk.append((row, data, node, room, house, provided))
        except (RowError, ServiceError) as exc:
            _error(result, row.number, row.raw, exc.message if isinstance(exc, ServiceError) else str(exc))
        if len(chunk) >= CHUNK:
            flush()
    flush()
    result.skipped_empty = table.skipped_empty
    if result.error_rows:
        directory = error_dir or os.path.dirname(os.path.abspath(path))
        os.makedirs(directory, exist_ok=True)
        base = os.path.splitext(os.path.basename(filename))[0]
        stamp = timezone.localtime(now).strftime("%Y%m%d%H%M%S")
        result.error_file = write_error_workbook(
            os.path.join(directory, f"{base}-错误-{stamp}-{os.getpid()}.xlsx"), result.headers,
            sorted(result.error_rows))
    if not dry_run and (result.created or result.updated):
        event_record(actor=actor, action="person.import", object_type="residents.person", area_path=area.path,
                     object_repr=filename[:200], after=result.summary(), reason=f"导入 {filename}")
    return result


def _error(result: ImportResult, number: int, raw: list, reason: str) -> None:
    result.errors += 1
    result.error_rows.append((number, raw, reason))
    if len(result.preview["error"]) < 50:
        result.preview["error"].append({"row": number, "reason": reason, "cells": [str(c) for c in raw[:8]]})


def _preview(result: ImportResult, kind: str, number: int, data: dict, address: str, changes: list | None = None):
    if len(result.preview[kind]) < 50:
        from fangkong.residents.idnumbers import mask_id_number

        result.preview[kind].append({"row": number, "name": data["name"], "id": mask_id_number(data["id_number"]),
                                     "address": address, "changes": changes or []})


def _process_chunk(*, actor, area, rows, result, book, dry_run, label_cache, now, has_tags):
    area_ids = {node["id"] for _r, _d, node, _room, _h, _p in rows}
    households: dict[tuple, int] = {}
    for h in Household.objects.filter(area_id__in=area_ids).values_list("id", "area_id", "room", "house_number"):
        households[(h[1], h[2], h[3])] = h[0]
    numbers = defaultdict(list)
    for _r, d, *_ in rows:
        numbers[d["id_type"]].append(d["id_number"])
    existing: dict[tuple, Person] = {}
    for id_type, nums in numbers.items():
        for p in Person.objects.filter(id_type=id_type, id_number__in=nums):
            existing[(p.id_type, p.id_number)] = p
    tags_of: dict[int, set] = defaultdict(set)
    if existing and has_tags:
        for pid, tag in CareTag.objects.filter(person_id__in=[p.pk for p in existing.values()]).values_list(
                "person_id", "tag"):
            tags_of[pid].add(tag)
    new_households: dict[tuple, Household] = {}
    to_create: list[tuple[Person, list[str]]] = []
    to_update: list[tuple[Person, dict, dict, list[str] | None, Household | int | None]] = []
    for row, data, node, room, house, provided in rows:
        tags = data.pop("care_tags")
        hkey = (node["id"], room, house)
        if node["id"] not in label_cache:
            label_cache[node["id"]] = book.label(node)
        address = (label_cache[node["id"]] + (f"{room}室" if room else f"{house}号"))[:300]
        hh = households.get(hkey)
        if hh is None:
            hh = new_households.get(hkey)
            if hh is None:
                hh = new_households[hkey] = Household(
                    area_id=node["id"], area_path=node["path"], room=room, house_number=house,
                    floor=room_floor(room) if room else None, address=address)
        person = existing.get((data["id_type"], data["id_number"]))
        if person is None:
            _preview(result, "create", row.number, data, address)
            result.created += 1
            to_create.append((row, data, hh, tags, node))
            continue
        if not person.area_path.startswith(area.path) or not can(actor, ACTION, person.area_path):
            _error(result, row.number, row.raw, "该证件号码已登记在导入区域之外的住户，请由该人现住地办理迁入")
            continue
        before, after = {}, {}
        for f in COMPARED:
            if f in provided or f in ("sex", "birth_date") and data["id_type"] == "citizen_id":
                if getattr(person, f) != data[f]:
                    before[f], after[f] = getattr(person, f), data[f]
        new_tags = None
        if has_tags and tags and set(tags) != tags_of.get(person.pk, set()):
            new_tags = tags
            before["care_tags"], after["care_tags"] = sorted(tags_of.get(person.pk, set())), sorted(tags)
        target = hh if isinstance(hh, Household) and hh.pk is None else hh
        hh_id = hh if isinstance(hh, int) else None
        if (hh_id is not None and person.household_id != hh_id) or (hh_id is None):
            before["household_id"], after["household"] = person.household_id, address
        if not after:
            result.unchanged += 1
            _preview(result, "unchanged", row.number, data, address)
            continue
        result.updated += 1
        _preview(result, "update", row.number, data, address, sorted(after))
        to_update.append((person, data, after, new_tags, target, node))
    if dry_run:
        result.households_created += len(new_households)
        return
    with transaction.atomic():
        created_hh = list(new_households.values())
        if created_hh:
            _insert_rows(Household, created_hh)
            result.households_created += len(created_hh)
            ids = {(a, r, n): i for i, a, r, n in Household.objects.filter(
                area_id__in={h.area_id for h in created_hh}).values_list("id", "area_id", "room", "house_number")}
            for h in created_hh:
                h.pk = h.id = ids[(h.area_id, h.room, h.house_number)]
        events = []
        people = []
        for _row, data, hh, tags, node in to_create:
            hid = hh.pk if isinstance(hh, Household) else hh
            p = Person(household_id=hid, area_id=node["id"], area_path=node["path"], **data)
            p._tags = tags
            people.append(p)
        if people:
            _insert_rows(Person, people)
            ids: dict[tuple, int] = {}
            by_type = defaultdict(list)
            for p in people:
                by_type[p.id_type].append(p.id_number)
            for id_type, nums in by_type.items():
                for i in range(0, len(nums), 5000):
                    ids.update(((id_type, n), pk) for n, pk in Person.objects.filter(
                        id_type=id_type, id_number__in=nums[i:i + 5000]).values_list("id_number", "id"))
            for p in people:
                p.pk = p.id = ids[(p.id_type, p.id_number)]
            _insert_rows(CareTag, [CareTag(person_id=p.pk, tag=t, area_path=p.area_path)
                                   for p in people for t in p._tags])
            for p in people:
                events.append(event_build(actor=actor, action="person.register", obj=p, reason="台账导入",
                                          after={"name": p.name, "id_type": p.id_type, "household_id": p.household_id,
                                                 "area_id": p.area_id, "care_tags": p._tags}, at=now))
        moves, updated = [], []
        for person, data, after, new_tags, target, node in to_update:
            for f in COMPARED:
                if f in after:
                    setattr(person, f, data[f])
            person.name_initials = data["name_initials"]
            if "household" in after:
                hid = target.pk if isinstance(target, Household) else target
                aid, apath = node["id"], node["path"]
                moves.append(PersonMove(person=person, from_household_id=person.household_id, to_household_id=hid,
                                        to_address=after["household"], moved_at=now, reason="台账导入",
                                        actor=actor if getattr(actor, "pk", None) else None))
                person.household_id, person.area_id, person.area_path = hid, aid, apath
                CareTag.objects.filter(person=person).update(area_path=apath)
            if new_tags is not None:
                CareTag.objects.filter(person=person).exclude(tag__in=new_tags).delete()
                have = set(CareTag.objects.filter(person=person).values_list("tag", flat=True))
                CareTag.objects.bulk_create([CareTag(person=person, tag=t, area_path=person.area_path)
                                             for t in new_tags if t not in have])
            person.updated_at = now
            updated.append(person)
            events.append(event_build(actor=actor, action="person.update", obj=person, reason="台账导入",
                                      after=after, at=now))
        if updated:
            Person.objects.bulk_update(updated, [*COMPARED, "name_initials", "household_id", "area_id", "area_path",
                                                 "updated_at"], batch_size=1000)
        if moves:
            PersonMove.objects.bulk_create(moves)
        _insert_rows(Event, events)
