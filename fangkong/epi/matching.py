"""Matching assist-investigation (协查) rows to residents, in batches (a few IN queries per 2,000 rows,
never one query per row).

Order and confidence:

* ``exact_id`` 1.0 — the normalised ID number is in the ledger (0.85 when the name given disagrees);
* ``phone`` 0.9 — one resident has the normalised phone (+86, spaces, hyphens removed); 0.95 when the
  name agrees too; several residents share it and the name does not single one out: ``ambiguous``;
* ``partial_id`` 0.8 — a masked ID (``6110********1234``): same name, and the visible head and tail agree;
  0.7 without a name when the visible tail has 6+ characters and singles out one resident;
* ``name_address`` 0.6 — same normalised name (middle dots folded) and the address fragment names the
  person's community, grid, compound, building or room;
* otherwise ``none`` (the not-found queue) or ``ambiguous`` (candidates listed for a person to pick).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from fangkong.core.scoping import path_range
from fangkong.residents.idnumbers import IdNumberError, IdType, clean_id_text, normalize_citizen_id
from fangkong.residents.normalize import PhoneError, normalize_name, normalize_phone

BATCH = 2000
_MASK_RE = re.compile(r"^([0-9X]*)[*＊xX?]{2,}([0-9X]*)$")
_SPACE_RE = re.compile(r"\s+")

CONFIDENCE = {"exact_id": 1.0, "exact_id_name_differs": 0.85, "phone_and_name": 0.95, "phone": 0.9,
              "partial_id": 0.8, "partial_id_tail_only": 0.7, "name_address": 0.6}


@dataclass
class RowIn:
    row_number: int
    name: str = ""
    phone: str = ""
    id_number: str = ""
    address: str = ""
    # normalised
    n_name: str = ""
    n_phone: str = ""
    n_id: str = ""
    id_head: str = ""
    id_tail: str = ""


@dataclass
class MatchOut:
    person_id: int | None = None
    method: str = "none"
    confidence: float = 0.0
    candidates: list[int] = field(default_factory=list)
    note: str = ""


def normalize_row(row: RowIn) -> RowIn:
    try:
        row.n_name = normalize_name(row.name or "")
    except Exception:  # noqa: BLE001 - a name that cannot be normalised is matched as typed
        row.n_name = (row.name or "").strip()
    try:
        row.n_phone = normalize_phone(row.phone) if row.phone else ""
    except PhoneError:
        row.n_phone = ""
    raw_id = clean_id_text(row.id_number or "").replace("＊", "*")
    if raw_id:
        m = _MASK_RE.match(raw_id) if "*" in raw_id or "?" in raw_id else None
        if m:
            row.id_head, row.id_tail = m.group(1), m.group(2)
        else:
            try:
                row.n_id = normalize_citizen_id(raw_id)
            except IdNumberError:
                row.n_id = raw_id if raw_id.isalnum() and len(raw_id) >= 6 else ""
                if row.n_id and raw_id.isdigit() and len(raw_id) < 15:
                    row.n_id, row.id_tail = "", raw_id  # only the tail was given
    return row


def dedupe_key(row: RowIn) -> str:
    if row.n_id:
        return "id:" + row.n_id
    if row.n_phone:
        return "phone:" + row.n_phone
    if row.n_name and row.address:
        return "na:" + row.n_name + "|" + _SPACE_RE.sub("", row.address)
    return ""


def _chunks(items, size=BATCH):
    items = list(items)
    for i in range(0, len(items), size):
        yield items[i:i + size]


_PERSON_FIELDS = ("pk", "name", "id_number", "phone", "area_path", "household_id", "household__address",
                  "household__room")


def match_rows(rows: list[RowIn], *, within: str) -> list[MatchOut]:
    """Match normalised rows to residents under the area path `within` (the list's area)."""
    from fangkong.areas.models import Area
    from fangkong.residents.models import Person

    lo, hi = path_range(within)
    base = Person.objects.filter(area_path__gte=lo, area_path__lt=hi)
    people: dict[int, dict] = {}

    def load(qs) -> None:
        for p in qs.values(*_PERSON_FIELDS):
            people[p["pk"]] = p

    ids = {r.n_id for r in rows if r.n_id}
    for chunk in _chunks(ids):
        load(base.filter(id_type__in=IdType.values(), id_number__in=chunk))
    by_id = {p["id_number"]: p["pk"] for p in people.values()}
    out = [MatchOut() for _ in rows]
    pending: list[int] = []
    for i, r in enumerate(rows):
        pid = by_id.get(r.n_id) if r.n_id else None
        if pid is not None:
            same = not r.n_name or people[pid]["name"] == r.n_name
            out[i] = MatchOut(pid, "exact_id", CONFIDENCE["exact_id" if same else "exact_id_name_differs"],
                              note="" if same else "姓名与台账不一致")
        else:
            pending.append(i)

    phones = {rows[i].n_phone for i in pending if rows[i].n_phone}
    for chunk in _chunks(phones):
        load(base.filter(phone__in=chunk))
    by_phone: dict[str, list[int]] = {}
    for p in people.values():
        if p["phone"] in phones:
            by_phone.setdefault(p["phone"], []).append(p["pk"])
    still: list[int] = []
    for i in pending:
        r = rows[i]
        cands = sorted(set(by_phone.get(r.n_phone, []))) if r.n_phone else []
        if not cands:
            still.append(i)
            continue
        named = [c for c in cands if r.n_name and people[c]["name"] == r.n_name]
        if len(named) == 1:
            out[i] = MatchOut(named[0], "phone", CONFIDENCE["phone_and_name"])
        elif len(cands) == 1 and not r.n_name:
            out[i] = MatchOut(cands[0], "phone", CONFIDENCE["phone"])
        elif len(cands) == 1:
            out[i] = MatchOut(cands[0], "phone", CONFIDENCE["phone"] - 0.2, note="姓名与台账不一致")
        else:
            still.append(i)
            out[i] = MatchOut(None, "ambiguous", 0.0, cands[:10], "多人使用该手机号")

    names = {rows[i].n_name for i in still if rows[i].n_name}
    for chunk in _chunks(names):
        load(base.filter(name__in=chunk))
    tails = {rows[i].id_tail[-6:] for i in still if len(rows[i].id_tail) >= 6 and not rows[i].n_name}
    for chunk in _chunks(tails):
        load(base.filter(id_tail__in=chunk))
    by_name: dict[str, list[int]] = {}
    for p in people.values():
        by_name.setdefault(p["name"], []).append(p["pk"])
    codes = {c for i in still for pid in by_name.get(rows[i].n_name, []) for c in people[pid]["area_path"].split("/")
             if c}
    area_names: dict[str, tuple[str, str]] = {}
    for chunk in _chunks(codes):
        area_names.update({c: (n, lv) for c, n, lv in Area.objects.filter(code__in=chunk).values_list(
            "code", "name", "level")})

    def address_hits(pid: int, frag: str) -> bool:
        p = people[pid]
        hh = (p["household__address"] or "").replace(" ", "")
        if frag and hh and (frag in hh or hh in frag):
            return True
        for code in p["area_path"].split("/"):
            name, level = area_names.get(code, ("", ""))
            if level in ("community", "grid", "compound", "building", "unit") and len(name) >= 2 and name in frag:
                return True
        return False

    for i in still:
        r = rows[i]
        cands = sorted(set(by_name.get(r.n_name, []))) if r.n_name else []
        if r.id_head or r.id_tail:
            pool = cands if r.n_name else [p["pk"] for p in people.values()]
            hits = [c for c in pool if people[c]["id_number"].startswith(r.id_head)
                    and people[c]["id_number"].endswith(r.id_tail)]
            if len(hits) == 1 and (r.n_name or len(r.id_tail) >= 6):
                out[i] = MatchOut(hits[0], "partial_id",
                                  CONFIDENCE["partial_id" if r.n_name else "partial_id_tail_only"])
                continue
            if len(hits) > 1:
                out[i] = MatchOut(None, "ambiguous", 0.0, hits[:10], "部分证件号对应多人")
                continue
        frag = _SPACE_RE.sub("", r.address or "")
        if cands and frag:
            hits = [c for c in cands if address_hits(c, frag)]
            if len(hits) == 1:
                out[i] = MatchOut(hits[0], "name_address", CONFIDENCE["name_address"])
                continue
            if len(hits) > 1:
                out[i] = MatchOut(None, "ambiguous", 0.0, hits[:10], "同名同地址多人")
                continue
        if out[i].method != "ambiguous":
            out[i] = MatchOut(None, "none", 0.0, [], "未找到")
    return out
