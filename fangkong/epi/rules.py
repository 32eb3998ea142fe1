"""Rule sets as data: pure functions over the national prevention and control regimes.

No ORM, no Django: everything here takes a :class:`RuleSet` (read from ``rulesets/*.toml``) and facts,
and returns frozen dataclasses that carry the id of the rule that decided, so that a person can be told
in plain Chinese why (BRIEF.md "no control status without a rule and evidence").

TOML schema (one file per regime, ``situations.toml`` is shared and is not a rule set)::

    id = "di9ban"                          # stable id, prefix of every rule id in the file
    name = "新型冠状病毒肺炎防控方案（第九版）"
    short_name = "第九版"
    basis_text = "《新型冠状病毒肺炎防控方案（第九版）》"   # as a notice cites it
    effective_from = 2022-06-28
    effective_to = 2023-01-07              # optional; otherwise ends the day before the next one
    version = 1                            # bump when a value changes
    day_one = "last_exposure"              # default anchor: last_exposure | isolation_start | arrival
    notes = "sources ..."

    [contact]
    lookback_days = 4                      # optional (absent = not defined by the regime)
    categories = ["close_contact", "secondary_contact"]   # contact categories identified
    situations = ["co_resident", ...]      # codes from situations.toml
    rule = "di9ban.contact.lookback"
    not_identified_text = "..."            # optional: why a category is not identified

    [close_contact]                        # one table per control category (see CATEGORY_CODES)
    name = "密切接触者"
    day_one = "last_exposure"              # optional, overrides the rule set default
    release = "all_tests_negative"         # all_tests_negative | retest_negative | ct_threshold | clinical
                                           # | area_lifted (residents of a risk area: ends with the area)
    release_text = "..."
    [[close_contact.phases]]
    kind = "centralized_isolation"         # see PHASE_KINDS
    days = 7                               # absent = open-ended (until the release criterion holds)
    test_days = [1, 2, 3, 5, 7]            # day numbers within the phase (1-based)
    rule = "di9ban.close_contact.centralized"

    [area]                                 # day 1 of "N days without a new case" (see downgrade_decision)
    day_one_after_case = "next_day"        # next_day | same_day
    day_one_without_case = "designation_day"   # designation_day | next_day
    day_one_after_downgrade = "next_day"   # next_day | same_day
    guidance = "..."

    [[levels]]                             # ordered, most severe first
    code = "high"; name = "高风险区"; measures = "足不出户、上门服务"; measures_kind = "管控措施"
    designation = "..."; rule = "di9ban.area.high"
    measures_downgraded_from = { high = "..." }   # optional
    lift_text = "..."; extra_text = "..."          # optional

    [downgrade.high_medium]                # key used in override paths
    from = "high"; to = "medium"           # to = "lifted" means the area is lifted
    days_without_case = 7
    negative_round = "on_day"              # none | on_day | within_last_days
    negative_round_day = 7                 # on_day: the round must be on this day (or later)
    negative_round_window_days = 2         # within_last_days: a round in the last N days
    downgraded_from = "high"               # optional: applies only to areas downgraded from this level
    count_from = "case"                    # case | downgrade
    extra_conditions = ["..."]             # optional: conditions an investigator must confirm
    rule = "di9ban.downgrade.high_medium"; text = "..."
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import lru_cache
from pathlib import Path
from types import MappingProxyType
from typing import Any
from zoneinfo import ZoneInfo

RULESETS_DIR = Path(__file__).resolve().parent / "rulesets"
SITUATIONS_FILE = "situations.toml"
LOCAL_TZ = ZoneInfo("Asia/Shanghai")

DAY_ONE_ANCHORS = ("last_exposure", "isolation_start", "arrival")
ANCHOR_NAMES = {
    "last_exposure": "末次暴露（或离开风险区）之日",
    "isolation_start": "开始隔离之日",
    "arrival": "抵达之日",
}
PHASE_KINDS = {
    "centralized_isolation": "集中隔离医学观察",
    "home_isolation": "居家隔离医学观察",
    "home_health_monitoring": "居家健康监测",
    "home_medical_observation": "居家医学观察",
    "stay_at_home": "居家足不出户",
    # 中风险区 / 管控区: 人不出区 (people stay inside the area; no home confinement).
    "stay_in_area": "人不出区",
    # Not a restriction of movement: only the tests are required (第九版 低风险区 三天两检).
    "test_only": "核酸检测",
}
CATEGORY_CODES = (
    "close_contact",
    "secondary_contact",
    "from_high_risk_area",
    "from_medium_risk_area",
    "from_low_risk_area",
    "inbound_traveller",
    "pool_positive",
    "infection",
    # Living in a risk area while it is in force (open-ended; ended when the area is downgraded or lifted).
    "in_high_risk_area",
    "in_medium_risk_area",
    "in_sealed_area",  # 第八版 封控区
    "in_controlled_area",  # 第八版 管控区
)
# The category of the people living in an area of a level (levels without one, e.g. 低风险区: none).
RESIDENCE_CATEGORIES = {
    "high": "in_high_risk_area",
    "medium": "in_medium_risk_area",
    "sealed": "in_sealed_area",
    "controlled": "in_controlled_area",
}
RELEASE_MODES = ("all_tests_negative", "retest_negative", "ct_threshold", "clinical", "area_lifted")
NEGATIVE_ROUND_MODES = ("none", "on_day", "within_last_days")
AFTER_CASE = ("next_day", "same_day")
WITHOUT_CASE = ("designation_day", "next_day")
COUNT_FROM = ("case", "downgrade")
LIFTED = "lifted"

NEGATIVE_RESULTS = frozenset({"negative", "阴性"})
CT_RELEASE_RESULTS = frozenset({"negative", "阴性", "ct_ge_35"})
POSITIVE_RESULTS = frozenset({"positive", "阳性"})
POOL_POSITIVE_RESULTS = frozenset({"pool_positive", "混管可疑阳性", "混管阳性"})

# Leaves that identify things: never overridden.
_FORBIDDEN_OVERRIDES = frozenset({"id", "code", "key", "rule", "overridden", "source_path"})


class RuleSetError(ValueError):
    """A rule set file or an override is invalid."""


class RuleNotApplicable(ValueError):
    """The rule set has no rule for this question (e.g. secondary contacts under 二十条)."""


class UnknownRuleSet(LookupError):
    pass


# --------------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Situation:
    code: str
    number: int
    text: str


@dataclass(frozen=True)
class Phase:
    kind: str
    days: int | None
    test_days: tuple[int, ...]
    rule: str


@dataclass(frozen=True)
class Category:
    code: str
    name: str
    day_one: str | None
    release: str
    release_text: str
    phases: tuple[Phase, ...]


@dataclass(frozen=True)
class ContactRules:
    lookback_days: int | None
    categories: tuple[str, ...]
    situations: tuple[Situation, ...]
    rule: str
    not_identified_text: str = ""


@dataclass(frozen=True)
class AreaRules:
    day_one_after_case: str
    day_one_without_case: str
    day_one_after_downgrade: str
    guidance: str


@dataclass(frozen=True)
class Level:
    code: str
    name: str
    measures: str
    measures_kind: str
    designation: str
    rule: str
    measures_downgraded_from: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    lift_text: str = ""
    extra_text: str = ""


@dataclass(frozen=True)
class DowngradeRule:
    key: str
    from_level: str
    to_level: str | None  # None = lifted
    days_without_case: int
    negative_round: str
    negative_round_day: int | None
    negative_round_window_days: int | None
    downgraded_from: str | None
    count_from: str
    extra_conditions: tuple[str, ...]
    rule: str
    text: str


@dataclass(frozen=True)
class RuleSet:
    id: str
    name: str
    short_name: str
    basis_text: str
    effective_from: date
    effective_to: date | None
    version: int
    day_one: str
    notes: str
    contact: ContactRules
    categories: Mapping[str, Category]
    area: AreaRules
    levels: Mapping[str, Level]  # ordered, most severe first
    downgrade: Mapping[str, DowngradeRule]
    source_path: str = ""
    # path -> (old value, new value, source), e.g. "close_contact.phases.0.days": (7, 5, "商州区")
    overridden: Mapping[str, tuple[Any, Any, str]] = field(default_factory=lambda: MappingProxyType({}))


@dataclass(frozen=True)
class PlannedTest:
    day: int  # phase-local day number (1-based)
    date: date


@dataclass(frozen=True)
class PlannedPhase:
    index: int
    kind: str
    kind_name: str
    rule_id: str
    days: int | None
    start: date
    end: date | None  # inclusive; None = open-ended
    tests: tuple[PlannedTest, ...]
    explanation: str


@dataclass(frozen=True)
class ControlPlan:
    ruleset_id: str
    ruleset_version: int
    ruleset_short_name: str
    category: str
    category_name: str
    anchor_kind: str
    anchor: date  # day 1 of the first phase
    phases: tuple[PlannedPhase, ...]
    release: str  # release mode
    release_text: str
    release_date: date | None  # the last phase's end (release allowed that day if tests allow)

    @property
    def explanation(self) -> str:
        return "；".join(p.explanation for p in self.phases)


@dataclass(frozen=True)
class Decision:
    allowed: bool
    rule_id: str
    reasons: list[str]


@dataclass(frozen=True)
class DowngradeDecision:
    eligible: bool
    to_level: str | None  # None = lift (or no downgrade rule: see rule_id / reasons)
    eligible_from: date | None
    rule_id: str
    reasons: list[str]
    from_level: str = ""
    day_one: date | None = None
    earliest_possible: date | None = None  # the day N date, i.e. when time alone would allow it


# --------------------------------------------------------------------------------------------------
# Loading
# --------------------------------------------------------------------------------------------------


def _str(raw: Mapping[str, Any], key: str, where: str, default: str | None = None) -> str:
    value = raw.get(key, default)
    if not isinstance(value, str):
        raise RuleSetError(f"{where}.{key}: expected a string, got {value!r}")
    return value


def _opt_int(raw: Mapping[str, Any], key: str, where: str) -> int | None:
    value = raw.get(key)
    if value is None:
        return None
    if not isinstance(value, int) or isinstance(value, bool):
        raise RuleSetError(f"{where}.{key}: expected an integer, got {value!r}")
    return value


def _load_situations(directory: Path) -> dict[str, Situation]:
    path = directory / SITUATIONS_FILE
    if not path.exists():
        return {}
    with path.open("rb") as fh:
        raw = tomllib.load(fh)
    return {
        s["code"]: Situation(code=s["code"], number=int(s["number"]), text=s["text"])
        for s in raw.get("situations", [])
    }


def _parse_category(code: str, raw: Mapping[str, Any]) -> Category:
    where = code
    phases = []
    for i, p in enumerate(raw.get("phases", [])):
        pw = f"{where}.phases.{i}"
        phases.append(
            Phase(
                kind=_str(p, "kind", pw),
                days=_opt_int(p, "days", pw),
                test_days=tuple(int(d) for d in p.get("test_days", [])),
                rule=_str(p, "rule", pw),
            )
        )
    return Category(
        code=code,
        name=_str(raw, "name", where),
        day_one=raw.get("day_one"),
        release=_str(raw, "release", where, "all_tests_negative"),
        release_text=_str(raw, "release_text", where, ""),
        phases=tuple(phases),
    )


def _parse_ruleset(raw: Mapping[str, Any], situations: Mapping[str, Situation], source: str) -> RuleSet:
    rid = _str(raw, "id", source)
    c = raw.get("contact", {})
    unknown_situations = [s for s in c.get("situations", []) if s not in situations]
    if unknown_situations:
        raise RuleSetError(f"{rid}.contact.situations: unknown codes {unknown_situations}")
    contact = ContactRules(
        lookback_days=_opt_int(c, "lookback_days", f"{rid}.contact"),
        categories=tuple(c.get("categories", [])),
        situations=tuple(situations[s] for s in c.get("situations", [])),
        rule=_str(c, "rule", f"{rid}.contact"),
        not_identified_text=_str(c, "not_identified_text", f"{rid}.contact", ""),
    )
    categories = {code: _parse_category(code, raw[code]) for code in CATEGORY_CODES if code in raw}
    a = raw.get("area", {})
    area = AreaRules(
        day_one_after_case=_str(a, "day_one_after_case", f"{rid}.area", "next_day"),
        day_one_without_case=_str(a, "day_one_without_case", f"{rid}.area", "designation_day"),
        day_one_after_downgrade=_str(a, "day_one_after_downgrade", f"{rid}.area", "next_day"),
        guidance=_str(a, "guidance", f"{rid}.area", ""),
    )
    levels: dict[str, Level] = {}
    for i, lv in enumerate(raw.get("levels", [])):
        lw = f"{rid}.levels.{i}"
        code = _str(lv, "code", lw)
        if code in levels:
            raise RuleSetError(f"{lw}: duplicate level {code!r}")
        levels[code] = Level(
            code=code,
            name=_str(lv, "name", lw),
            measures=_str(lv, "measures", lw),
            measures_kind=_str(lv, "measures_kind", lw),
            designation=_str(lv, "designation", lw, ""),
            rule=_str(lv, "rule", lw),
            measures_downgraded_from=MappingProxyType(dict(lv.get("measures_downgraded_from", {}))),
            lift_text=_str(lv, "lift_text", lw, ""),
            extra_text=_str(lv, "extra_text", lw, ""),
        )
    downgrade: dict[str, DowngradeRule] = {}
    for key, d in raw.get("downgrade", {}).items():
        dw = f"{rid}.downgrade.{key}"
        to = _str(d, "to", dw)
        downgrade[key] = DowngradeRule(
            key=key,
            from_level=_str(d, "from", dw),
            to_level=None if to == LIFTED else to,
            days_without_case=int(d["days_without_case"]),
            negative_round=_str(d, "negative_round", dw, "none"),
            negative_round_day=_opt_int(d, "negative_round_day", dw),
            negative_round_window_days=_opt_int(d, "negative_round_window_days", dw),
            downgraded_from=d.get("downgraded_from"),
            count_from=_str(d, "count_from", dw, "case"),
            extra_conditions=tuple(d.get("extra_conditions", [])),
            rule=_str(d, "rule", dw),
            text=_str(d, "text", dw),
        )
    eff_to = raw.get("effective_to")
    rs = RuleSet(
        id=rid,
        name=_str(raw, "name", rid),
        short_name=_str(raw, "short_name", rid),
        basis_text=_str(raw, "basis_text", rid),
        effective_from=raw["effective_from"],
        effective_to=eff_to,
        version=int(raw["version"]),
        day_one=_str(raw, "day_one", rid),
        notes=_str(raw, "notes", rid, ""),
        contact=contact,
        categories=MappingProxyType(categories),
        area=area,
        levels=MappingProxyType(levels),
        downgrade=MappingProxyType(downgrade),
        source_path=source,
    )
    validate_ruleset(rs)
    return rs


def validate_ruleset(rs: RuleSet) -> None:
    """Raise RuleSetError when the rule set is inconsistent (also run after overrides)."""

    def bad(msg: str) -> RuleSetError:
        return RuleSetError(f"{rs.id}: {msg}")

    if not isinstance(rs.effective_from, date) or isinstance(rs.effective_from, datetime):
        raise bad("effective_from must be a date")
    if rs.effective_to is not None and rs.effective_to < rs.effective_from:
        raise bad("effective_to before effective_from")
    if rs.day_one not in DAY_ONE_ANCHORS:
        raise bad(f"day_one {rs.day_one!r} not in {DAY_ONE_ANCHORS}")
    if rs.contact.lookback_days is not None and rs.contact.lookback_days < 0:
        raise bad("contact.lookback_days must be >= 0")
    for code in rs.contact.categories:
        if code not in rs.categories:
            raise bad(f"contact.categories lists {code!r} without a [{code}] table")
    seen: set[str] = set()

    def rule_id(r: str, where: str) -> None:
        if not r.startswith(rs.id + "."):
            raise bad(f"{where}: rule id {r!r} must start with {rs.id + '.'!r}")
        if r in seen:
            raise bad(f"{where}: duplicate rule id {r!r}")
        seen.add(r)

    rule_id(rs.contact.rule, "contact")
    for code, cat in rs.categories.items():
        if cat.day_one is not None and cat.day_one not in DAY_ONE_ANCHORS:
            raise bad(f"{code}.day_one {cat.day_one!r} not in {DAY_ONE_ANCHORS}")
        if cat.release not in RELEASE_MODES:
            raise bad(f"{code}.release {cat.release!r} not in {RELEASE_MODES}")
        if not cat.phases:
            raise bad(f"{code}: no phases")
        for i, ph in enumerate(cat.phases):
            where = f"{code}.phases.{i}"
            if ph.kind not in PHASE_KINDS:
                raise bad(f"{where}.kind {ph.kind!r} not in {tuple(PHASE_KINDS)}")
            if ph.days is None and i != len(cat.phases) - 1:
                raise bad(f"{where}: only the last phase may be open-ended")
            if ph.days is not None and ph.days < 1:
                raise bad(f"{where}.days must be >= 1")
            if list(ph.test_days) != sorted(set(ph.test_days)):
                raise bad(f"{where}.test_days must be increasing and unique")
            for d in ph.test_days:
                if d < 1 or (ph.days is not None and d > ph.days):
                    raise bad(f"{where}.test_days: day {d} outside 1..{ph.days}")
            rule_id(ph.rule, where)
    area = rs.area
    if area.day_one_after_case not in AFTER_CASE:
        raise bad(f"area.day_one_after_case not in {AFTER_CASE}")
    if area.day_one_without_case not in WITHOUT_CASE:
        raise bad(f"area.day_one_without_case not in {WITHOUT_CASE}")
    if area.day_one_after_downgrade not in AFTER_CASE:
        raise bad(f"area.day_one_after_downgrade not in {AFTER_CASE}")
    for code, lv in rs.levels.items():
        rule_id(lv.rule, f"levels.{code}")
        for src in lv.measures_downgraded_from:
            if src not in rs.levels:
                raise bad(f"levels.{code}.measures_downgraded_from: unknown level {src!r}")
    for key, dg in rs.downgrade.items():
        where = f"downgrade.{key}"
        if dg.from_level not in rs.levels:
            raise bad(f"{where}.from: unknown level {dg.from_level!r}")
        if dg.to_level is not None and dg.to_level not in rs.levels:
            raise bad(f"{where}.to: unknown level {dg.to_level!r}")
        if dg.downgraded_from is not None and dg.downgraded_from not in rs.levels:
            raise bad(f"{where}.downgraded_from: unknown level {dg.downgraded_from!r}")
        if dg.days_without_case < 1:
            raise bad(f"{where}.days_without_case must be >= 1")
        if dg.negative_round not in NEGATIVE_ROUND_MODES:
            raise bad(f"{where}.negative_round not in {NEGATIVE_ROUND_MODES}")
        if dg.negative_round == "on_day" and not (dg.negative_round_day and dg.negative_round_day >= 1):
            raise bad(f"{where}: negative_round = 'on_day' needs negative_round_day >= 1")
        if dg.negative_round == "on_day" and (dg.negative_round_day or 0) > dg.days_without_case:
            raise bad(f"{where}: negative_round_day after days_without_case (override both together)")
        if dg.negative_round == "within_last_days" and not (
            dg.negative_round_window_days and dg.negative_round_window_days >= 1
        ):
            raise bad(f"{where}: 'within_last_days' needs negative_round_window_days >= 1")
        if dg.count_from not in COUNT_FROM:
            raise bad(f"{where}.count_from not in {COUNT_FROM}")
        if dg.count_from == "downgrade" and dg.downgraded_from is None:
            raise bad(f"{where}: count_from = 'downgrade' needs downgraded_from")
        rule_id(dg.rule, where)


@lru_cache(maxsize=8)
def _load_cached(directory: str) -> tuple[RuleSet, ...]:
    path = Path(directory)
    situations = _load_situations(path)
    out: list[RuleSet] = []
    for f in sorted(path.glob("*.toml")):
        if f.name == SITUATIONS_FILE:
            continue
        with f.open("rb") as fh:
            raw = tomllib.load(fh)
        out.append(_parse_ruleset(raw, situations, str(f)))
    ids = [r.id for r in out]
    if len(ids) != len(set(ids)):
        raise RuleSetError(f"duplicate rule set ids in {directory}: {ids}")
    return tuple(sorted(out, key=lambda r: r.effective_from))


def load_rulesets(directory: str | Path | None = None) -> list[RuleSet]:
    """All rule sets in ``directory`` (default: the bundled ones), oldest first. Cached per directory."""
    d = Path(directory) if directory is not None else RULESETS_DIR
    return list(_load_cached(str(d.resolve())))


def effective_until(ruleset: RuleSet, rulesets: Iterable[RuleSet] | None = None) -> date | None:
    """Last day (inclusive) the rule set applies: its effective_to, else the day before the next one."""
    if ruleset.effective_to is not None:
        return ruleset.effective_to
    later = [
        r.effective_from for r in (rulesets or load_rulesets()) if r.effective_from > ruleset.effective_from
    ]
    return min(later) - timedelta(days=1) if later else None


def ruleset_for_date(d: date, rulesets: Iterable[RuleSet] | None = None) -> RuleSet | None:
    """The rule set in force on ``d``; None before the first one and after 新十条 ended (2023-01-08 on)."""
    pool = list(rulesets) if rulesets is not None else load_rulesets()
    for rs in sorted(pool, key=lambda r: r.effective_from, reverse=True):
        if rs.effective_from <= d:
            until = effective_until(rs, pool)
            return rs if until is None or d <= until else None
    return None


def ruleset_get(ruleset_id: str, rulesets: Iterable[RuleSet] | None = None) -> RuleSet:
    for rs in rulesets if rulesets is not None else load_rulesets():
        if rs.id == ruleset_id:
            return rs
    raise UnknownRuleSet(f"unknown rule set {ruleset_id!r}")


def rule_ids(ruleset: RuleSet) -> set[str]:
    """Every rule id defined in the rule set (what a Decision.rule_id may be)."""
    ids = {ruleset.contact.rule}
    ids |= {p.rule for c in ruleset.categories.values() for p in c.phases}
    ids |= {lv.rule for lv in ruleset.levels.values()}
    ids |= {d.rule for d in ruleset.downgrade.values()}
    return ids


# --------------------------------------------------------------------------------------------------
# Overrides
# --------------------------------------------------------------------------------------------------


def _coerce(old: Any, new: Any, path: str) -> Any:
    if isinstance(new, bool) and not isinstance(old, bool):
        raise RuleSetError(f"{path}: boolean not allowed")
    if old is None:
        if isinstance(new, list):
            return tuple(new)
        if isinstance(new, (int, str, date, tuple)) or new is None:
            return new
        raise RuleSetError(f"{path}: unsupported value {new!r}")
    if isinstance(old, tuple):
        if not isinstance(new, (list, tuple)):
            raise RuleSetError(f"{path}: expected a list, got {new!r}")
        elem_types = {type(x) for x in old}
        for x in new:
            if isinstance(x, bool) or (elem_types and type(x) not in elem_types):
                raise RuleSetError(f"{path}: list element {x!r} has the wrong type")
        return tuple(new)
    if isinstance(old, date) and isinstance(new, str):
        try:
            return date.fromisoformat(new)
        except ValueError as e:
            raise RuleSetError(f"{path}: {e}") from e
    if type(new) is not type(old):
        raise RuleSetError(f"{path}: expected {type(old).__name__}, got {new!r}")
    return new


def _is_leaf(value: Any) -> bool:
    if dataclasses.is_dataclass(value) or isinstance(value, Mapping):
        return False
    if isinstance(value, tuple):
        return all(not dataclasses.is_dataclass(x) and not isinstance(x, Mapping) for x in value)
    return True


def _set_path(obj: Any, segs: list[str], value: Any, path: str, old_out: list[Any]) -> Any:
    seg = segs[0]
    last = len(segs) == 1
    if dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        names = {f.name for f in dataclasses.fields(obj)}
        if isinstance(obj, RuleSet) and seg not in names and seg in obj.categories:
            return _set_path(obj, ["categories", *segs], value, path, old_out)
        if seg not in names or seg in _FORBIDDEN_OVERRIDES:
            raise RuleSetError(f"unknown or protected override path {path!r} (at {seg!r})")
        child = getattr(obj, seg)
    elif isinstance(obj, Mapping):
        if seg not in obj:
            raise RuleSetError(f"unknown override path {path!r} (no {seg!r})")
        child = obj[seg]
    elif isinstance(obj, tuple):
        if not seg.isdigit() or int(seg) >= len(obj):
            raise RuleSetError(f"unknown override path {path!r} (index {seg!r})")
        child = obj[int(seg)]
    else:
        raise RuleSetError(f"unknown override path {path!r} (beyond a single value)")

    if last:
        if not _is_leaf(child):
            raise RuleSetError(f"override path {path!r} must name a single value")
        old_out.append(child)
        new_child = _coerce(child, value, path)
    else:
        new_child = _set_path(child, segs[1:], value, path, old_out)

    if dataclasses.is_dataclass(obj):
        return dataclasses.replace(obj, **{seg: new_child})  # type: ignore[type-var]
    if isinstance(obj, Mapping):
        return MappingProxyType({**obj, seg: new_child})
    items = list(obj)
    items[int(seg)] = new_child
    return tuple(items)


def apply_overrides(ruleset: RuleSet, overrides: Mapping[str, Any], *, source: str) -> RuleSet:
    """Return a copy of ``ruleset`` with single values replaced by dotted path.

    Paths: ``close_contact.phases.0.days``, ``contact.lookback_days``,
    ``downgrade.high_medium.days_without_case``, ``levels.medium.measures``,
    ``levels.medium.measures_downgraded_from.high``, ``area.day_one_after_case`` ...
    Unknown paths, ids, whole tables and wrong types raise ValueError (RuleSetError); the result is
    validated again. ``overridden`` records path -> (old, new, source) for the UI.
    """
    if not source:
        raise RuleSetError("an override needs a source (who decided it)")
    rs = ruleset
    record = dict(ruleset.overridden)
    for path, value in overrides.items():
        segs = path.split(".")
        if not path or any(not s for s in segs):
            raise RuleSetError(f"bad override path {path!r}")
        old: list[Any] = []
        rs = _set_path(rs, segs, value, path, old)
        new = _leaf(rs, segs)
        record[path] = (old[0], new, source)
    rs = dataclasses.replace(rs, overridden=MappingProxyType(record))
    validate_ruleset(rs)
    return rs


# Top-level tables of a rule set that no control status depends on.
_NO_STATUS_TABLES = frozenset({"contact", "area", "levels", "downgrade"})


def override_categories(ruleset: RuleSet, path: str) -> set[str] | None:
    """The categories whose statuses an override of ``path`` can change: {category} for a path inside a
    category table, the empty set for values no status depends on, None (all) otherwise."""
    head = path.split(".", 1)[0]
    if head in ruleset.categories:
        return {head}
    if head in _NO_STATUS_TABLES:
        return set()
    return None


def _leaf(obj: Any, segs: list[str]) -> Any:
    for seg in segs:
        if (
            isinstance(obj, RuleSet)
            and seg in obj.categories
            and seg not in {f.name for f in dataclasses.fields(obj)}
        ):
            obj = obj.categories[seg]
        elif dataclasses.is_dataclass(obj):
            obj = getattr(obj, seg)
        elif isinstance(obj, Mapping):
            obj = obj[seg]
        else:
            obj = obj[int(seg)]
    return obj


_LEAF_LABELS = {
    "days": "天数",
    "test_days": "检测日",
    "kind": "管控方式",
    "measures": "管控措施",
    "measures_kind": "措施类别",
    "name": "名称",
    "days_without_case": "无新增感染者天数",
    "negative_round": "全员核酸要求",
    "negative_round_day": "全员核酸日",
    "negative_round_window_days": "全员核酸时限（天）",
    "lookback_days": "密接追溯天数",
    "release_text": "解除条件",
    "day_one": "第1天起算",
}


def _fmt_value(v: Any) -> str:
    if isinstance(v, tuple):
        return "、".join(str(x) for x in v) if v else "无"
    if isinstance(v, date):
        return format_date(v)
    return "无" if v is None else str(v)


def override_label(ruleset: RuleSet, path: str) -> str:
    """A Chinese label for an override path: '密切接触者第1阶段天数', '中风险区管控措施'."""
    segs = path.split(".")
    head = ""
    rest = segs
    if segs[0] in ruleset.categories and len(segs) >= 3 and segs[1] == "phases":
        head = f"{ruleset.categories[segs[0]].name}第{int(segs[2]) + 1}阶段"
        rest = segs[3:]
    elif segs[0] in ruleset.categories:
        head = ruleset.categories[segs[0]].name
        rest = segs[1:]
    elif segs[0] == "levels" and len(segs) >= 2 and segs[1] in ruleset.levels:
        head = ruleset.levels[segs[1]].name
        rest = segs[2:]
        if rest[:1] == ["measures_downgraded_from"] and len(rest) == 2 and rest[1] in ruleset.levels:
            return f"由{ruleset.levels[rest[1]].name}降为{head}的管控措施"
    elif segs[0] == "downgrade" and len(segs) >= 2 and segs[1] in ruleset.downgrade:
        dg = ruleset.downgrade[segs[1]]
        head = f"{level_name(ruleset, dg.from_level)}→{level_name(ruleset, dg.to_level)}降级"
        rest = segs[2:]
    label = "".join(_LEAF_LABELS.get(s, s) for s in rest)
    return head + label if head else label or path


def override_notes(ruleset: RuleSet, prefix: str = "") -> list[str]:
    """'商州区覆盖：密切接触者第1阶段天数由7改为5' for every override under ``prefix``."""
    return [
        f"{src}覆盖：{override_label(ruleset, path)}由{_fmt_value(old)}改为{_fmt_value(new)}"
        for path, (old, new, src) in ruleset.overridden.items()
        if path == prefix.rstrip(".") or path.startswith(prefix)
    ]


# --------------------------------------------------------------------------------------------------
# People: control plans and release
# --------------------------------------------------------------------------------------------------


def format_date(d: date) -> str:
    return f"{d.year}年{d.month}月{d.day}日"


def day_number(anchor_date: date, d: date) -> int:
    """Day number of ``d`` counting ``anchor_date`` as day 1 (the day before the anchor is day 0)."""
    return (d - anchor_date).days + 1


def _days_text(days: Iterable[int]) -> str:
    ds = list(days)
    if not ds:
        return ""
    if len(ds) == 1:
        return f"第{ds[0]}天做一次核酸检测"
    return f"第{'、'.join(str(x) for x in ds)}天各做一次核酸检测"


def _category(ruleset: RuleSet, category: str) -> Category:
    cat = ruleset.categories.get(category)
    if cat is None:
        if category == "secondary_contact" and ruleset.contact.not_identified_text:
            why = ruleset.contact.not_identified_text
        else:
            why = f"{ruleset.short_name}未规定此类人员的管控措施"
        raise RuleNotApplicable(f"{ruleset.short_name}：{why}（{category}）")
    return cat


def control_plan(
    ruleset: RuleSet,
    category: str,
    *,
    last_exposure: date,
    isolation_start: date | None = None,
    arrival: date | None = None,
) -> ControlPlan:
    """The ordered phases with concrete dates for a person of ``category`` under ``ruleset``.

    Day 1 of the first phase is the rule set's anchor (the category's ``day_one``, else the rule set's):
    the day of last exposure (for people leaving a risk area: the day they left), the day isolation
    started, or the day of arrival. Each next phase starts the day after the previous one ends; ends
    are inclusive. Raises RuleNotApplicable when the rule set does not identify the category and
    ValueError when the anchor date is missing.
    """
    cat = _category(ruleset, category)
    anchor_kind = cat.day_one or ruleset.day_one
    anchors = {"last_exposure": last_exposure, "isolation_start": isolation_start, "arrival": arrival}
    anchor = anchors[anchor_kind]
    if anchor is None:
        raise ValueError(
            f"{ruleset.short_name}{cat.name}的第1天为{ANCHOR_NAMES[anchor_kind]}：缺少 {anchor_kind}"
        )
    phases: list[PlannedPhase] = []
    start = anchor
    for i, ph in enumerate(cat.phases):
        end = start + timedelta(days=ph.days - 1) if ph.days is not None else None
        tests = tuple(PlannedTest(day=d, date=start + timedelta(days=d - 1)) for d in ph.test_days)
        phases.append(
            PlannedPhase(
                index=i,
                kind=ph.kind,
                kind_name=PHASE_KINDS[ph.kind],
                rule_id=ph.rule,
                days=ph.days,
                start=start,
                end=end,
                tests=tests,
                explanation=_phase_explanation(ruleset, cat, i, ph, start, end),
            )
        )
        if end is None:
            break
        start = end + timedelta(days=1)
    return ControlPlan(
        ruleset_id=ruleset.id,
        ruleset_version=ruleset.version,
        ruleset_short_name=ruleset.short_name,
        category=category,
        category_name=cat.name,
        anchor_kind=anchor_kind,
        anchor=anchor,
        phases=tuple(phases),
        release=cat.release,
        release_text=cat.release_text,
        release_date=phases[-1].end,
    )


def _phase_explanation(
    ruleset: RuleSet, cat: Category, i: int, ph: Phase, start: date, end: date | None
) -> str:
    kind = PHASE_KINDS[ph.kind]
    if ph.kind == "test_only" and ph.days is not None:
        what = f"{cat.name}在{ph.days}天内完成{len(ph.test_days)}次核酸检测（第{'、'.join(map(str, ph.test_days))}天）"
    elif ph.days is not None:
        what = f"{cat.name}实行{ph.days}天{kind}"
        if ph.test_days:
            what += "，" + _days_text(ph.test_days)
    else:
        what = f"{cat.name}实行{kind}"
        if ph.test_days:
            what += "，" + _days_text(ph.test_days)
    if end is not None:
        when = f"自{format_date(start)}起至{format_date(end)}止"
    else:
        when = f"自{format_date(start)}起，{cat.release_text or '直至符合解除条件'}"
    text = f"{ruleset.short_name}：{what}；{when}"
    notes = override_notes(ruleset, f"{cat.code}.phases.{i}.")
    if notes:
        text += "（" + "；".join(notes) + "）"
    return text


def release_decision(
    plan: ControlPlan,
    phase_index: int,
    *,
    today: date,
    tests: list[tuple[date, str]],
) -> Decision:
    """May the person leave phase ``phase_index`` today?

    Refused before the phase's last day, when any result in the phase is positive, or when a required
    test day has no negative result (results: "negative"/"positive"/"pool_positive"; for the
    ``ct_threshold`` release also "ct_ge_35"). Allowed otherwise, on the phase's last day at the earliest.
    """
    if not 0 <= phase_index < len(plan.phases):
        raise ValueError(f"phase_index {phase_index} out of range (0..{len(plan.phases) - 1})")
    ph = plan.phases[phase_index]
    sn = plan.ruleset_short_name
    reasons: list[str] = []
    window_end = ph.end or today
    results = [(d, r.strip().lower() if r.isascii() else r.strip()) for d, r in tests]
    in_phase = [(d, r) for d, r in results if ph.start <= d <= window_end]
    positives = sorted(d for d, r in in_phase if r in POSITIVE_RESULTS)
    if positives:
        reasons.append(f"{format_date(positives[0])}核酸检测结果为阳性，不能解除，转阳性感染者处置")
        return Decision(False, ph.rule_id, reasons)

    if plan.release == "area_lifted":
        reasons.append(f"{sn}：{plan.category_name}{plan.release_text}，随通告自动结束，不能单独解除")
        return Decision(False, ph.rule_id, reasons)

    if plan.release == "clinical":
        reasons.append(f"{sn}：{plan.category_name}{plan.release_text}，由定点医疗机构判定，本系统不自动解除")
        return Decision(False, ph.rule_id, reasons)

    if plan.release == "retest_negative":
        negatives = sorted(d for d, r in in_phase if r in NEGATIVE_RESULTS)
        if negatives:
            reasons.append(f"{format_date(negatives[-1])}单管复核结果为阴性，可以解除居家等待")
            return Decision(True, ph.rule_id, reasons)
        reasons.append(f"尚无单管复核阴性结果，须继续居家足不出户（自{format_date(ph.start)}起）")
        return Decision(False, ph.rule_id, reasons)

    accepted = CT_RELEASE_RESULTS if plan.release == "ct_threshold" else NEGATIVE_RESULTS
    allowed = True
    if ph.end is not None and today < ph.end:
        allowed = False
        reasons.append(
            f"{ph.kind_name}期自{format_date(ph.start)}起至{format_date(ph.end)}止，"
            f"今天为第{day_number(ph.start, today)}天，尚未期满，最早于{format_date(ph.end)}解除"
        )
    missing: list[str] = []
    for t in ph.tests:
        if t.date > today:
            continue  # covered by "not yet ended"
        got = [r for d, r in in_phase if d == t.date]
        if not any(r in accepted for r in got):
            extra = "（混管可疑阳性，待单管复核）" if any(r in POOL_POSITIVE_RESULTS for r in got) else ""
            missing.append(f"第{t.day}天（{format_date(t.date)}）{extra}")
    if missing:
        allowed = False
        word = "Ct值≥35的" if plan.release == "ct_threshold" else "阴性"
        reasons.append("缺少" + word + "核酸检测结果：" + "、".join(missing))
    if allowed:
        days = "、".join(str(t.day) for t in ph.tests)
        tests_ok = f"第{days}天核酸检测均为阴性" if ph.tests else "期间无规定核酸检测"
        if plan.release == "ct_threshold" and ph.tests:
            tests_ok = f"第{days}天核酸检测Ct值均≥35"
        reasons.append(
            f"{sn}：{plan.category_name}{ph.kind_name}期已满（{format_date(ph.start)}至"
            f"{format_date(ph.end or today)}），{tests_ok}，可以解除"
        )
        if phase_index + 1 < len(plan.phases):
            nxt = plan.phases[phase_index + 1]
            reasons.append(f"解除后转{nxt.kind_name}：{nxt.explanation}")
    return Decision(allowed, ph.rule_id, reasons)


def lookback_window(
    ruleset: RuleSet,
    *,
    onset: date | None,
    sampled: date | None,
    isolated: date | None = None,
) -> tuple[date, date]:
    """Dates (inclusive) within which a person in close contact with the case is a close contact.

    Start: ``lookback_days`` before symptom onset, or, for an asymptomatic infection (no onset),
    before the positive sample. End: the day the case was isolated when known, else the later of
    onset and sampling. Raises RuleNotApplicable when the rule set gives no look-back (新十条).
    """
    days = ruleset.contact.lookback_days
    if days is None:
        raise RuleNotApplicable(
            f"{ruleset.short_name}：未规定密接追溯期，由流调人员研判（可由指挥部设定 contact.lookback_days）"
        )
    anchor = onset if onset is not None else sampled
    if anchor is None:
        raise ValueError("onset or sampled is required")
    end = isolated if isolated is not None else max(d for d in (onset, sampled) if d is not None)
    start = anchor - timedelta(days=days)
    if end < start:
        raise ValueError("isolated before the start of the look-back window")
    return start, end


# --------------------------------------------------------------------------------------------------
# Risk areas
# --------------------------------------------------------------------------------------------------


def level_name(ruleset: RuleSet, level: str | None) -> str:
    if level is None:
        return "解除"
    lv = ruleset.levels.get(level)
    if lv is None:
        raise ValueError(f"{ruleset.short_name} has no risk level {level!r} ({list(ruleset.levels)})")
    return lv.name


def level_choices(ruleset: RuleSet) -> list[tuple[str, str]]:
    """(code, Chinese name), most severe first: [("high", "高风险区"), ...]."""
    return [(lv.code, lv.name) for lv in ruleset.levels.values()]


def measures_text(ruleset: RuleSet, level: str, *, downgraded_from: str | None = None) -> str:
    """The default measures phrase of a level, e.g. "足不出户、上门服务" (HQ may override it)."""
    level_name(ruleset, level)
    lv = ruleset.levels[level]
    if downgraded_from is not None and downgraded_from in lv.measures_downgraded_from:
        return lv.measures_downgraded_from[downgraded_from]
    return lv.measures


def measures_sentence(ruleset: RuleSet, level: str, *, downgraded_from: str | None = None) -> str:
    """As a notice writes it: '实行“足不出户、上门服务”等管控措施'."""
    lv = ruleset.levels[level]
    return f"实行“{measures_text(ruleset, level, downgraded_from=downgraded_from)}”等{lv.measures_kind}"


def _local_date(dt: datetime | date) -> date:
    if isinstance(dt, datetime):
        return dt.astimezone(LOCAL_TZ).date() if dt.tzinfo is not None else dt.date()
    return dt


def _pick_downgrade(ruleset: RuleSet, level: str, was_downgraded_from: str | None) -> DowngradeRule | None:
    candidates = [d for d in ruleset.downgrade.values() if d.from_level == level]
    if was_downgraded_from is not None:
        specific = [d for d in candidates if d.downgraded_from == was_downgraded_from]
        if specific:
            return specific[0]
    generic = [d for d in candidates if d.downgraded_from is None]
    return generic[0] if generic else None


def downgrade_decision(
    ruleset: RuleSet,
    *,
    level: str,
    designated_at: datetime,
    last_case_at: date | None,
    negative_round_days: list[date],
    was_downgraded_from: str | None = None,
    downgraded_at: date | None = None,
    today: date,
) -> DowngradeDecision:
    """May an area of ``level`` be downgraded (or lifted) and from which day?

    Day 1 of "N days without a new case" was never defined nationally; the rule set's ``[area]`` says:

    * ``day_one_after_case = "next_day"`` (all bundled rule sets): day 1 is the day AFTER the last new
      infection found in the area (a case on or after the designation day);
      ``"same_day"`` would make the case day itself day 1.
    * ``day_one_without_case = "designation_day"``: with no case in the area since its designation
      (``last_case_at`` is None or before the designation date), day 1 is the designation day (local
      date of ``designated_at``); ``"next_day"`` would start the day after.
    * ``day_one_after_downgrade = "next_day"``: for a rule with ``count_from = "downgrade"`` (第九版: an
      area downgraded from high to medium becomes low after 3 more days), day 1 is the day after the
      downgrade took effect, or later if a new case was found after the downgrade.

    Day N is ``day 1 + N - 1``: the area is eligible on day N itself (the notice is issued that day),
    provided the round condition holds:

    * ``negative_round = "on_day"``: an all-negative round of everyone in the area completed on day
      ``negative_round_day`` (a later round also counts; an earlier one does not) — eligible from the
      later of day N and that round's date.
    * ``"within_last_days"`` (第八版): a round within the last ``negative_round_window_days`` days
      (today and the day before for 2) — eligibility lapses when the round gets too old.
    * ``"none"``: time alone.

    ``eligible_from`` is the first date the conditions hold, assuming no new case: it may lie in the
    future when only time is missing; it is None while a required round has not been done yet
    (``earliest_possible`` then gives the day N date). Rounds dated after ``today`` are ignored.
    """
    lv_name = level_name(ruleset, level)
    rule = _pick_downgrade(ruleset, level, was_downgraded_from)
    lv = ruleset.levels[level]
    if rule is None:
        why = lv.lift_text or f"{ruleset.short_name}未规定{lv_name}的降级条件"
        return DowngradeDecision(False, None, None, lv.rule, [why], from_level=level)
    if last_case_at is not None and last_case_at > today:
        raise ValueError("last_case_at is after today")
    area = ruleset.area
    designated = _local_date(designated_at)
    reasons: list[str] = [f"依据{ruleset.basis_text}：{rule.text}"]
    case_offset = 1 if area.day_one_after_case == "next_day" else 0
    if last_case_at is not None and last_case_at >= designated:
        anchor = last_case_at + timedelta(days=case_offset)
        why = f"最后一例新增感染者发现于{format_date(last_case_at)}"
    else:
        anchor = designated + timedelta(days=0 if area.day_one_without_case == "designation_day" else 1)
        why = f"划定（{format_date(designated)}）后区域内无新增感染者"
    if rule.count_from == "downgrade":
        if downgraded_at is None:
            raise ValueError(
                f"{rule.rule}: downgraded_at is required for an area downgraded from a higher level"
            )
        dg_anchor = downgraded_at + timedelta(days=1 if area.day_one_after_downgrade == "next_day" else 0)
        if last_case_at is not None and last_case_at >= downgraded_at:
            anchor = max(dg_anchor, last_case_at + timedelta(days=case_offset))
            why = f"降级（{format_date(downgraded_at)}）后又发现新增感染者（{format_date(last_case_at)}）"
        else:
            anchor = dg_anchor
            why = f"于{format_date(downgraded_at)}由{level_name(ruleset, rule.downgraded_from)}降为{lv_name}"
    day_n = anchor + timedelta(days=rule.days_without_case - 1)
    reasons.append(f"{why}，第1天为{format_date(anchor)}，第{rule.days_without_case}天为{format_date(day_n)}")
    rounds = sorted({r for r in negative_round_days if r <= today})

    def holds(d: date) -> bool:
        if d < day_n:
            return False
        if rule.negative_round == "on_day":
            assert rule.negative_round_day is not None
            round_day = anchor + timedelta(days=rule.negative_round_day - 1)
            return any(round_day <= r <= d for r in rounds)
        if rule.negative_round == "within_last_days":
            assert rule.negative_round_window_days is not None
            lo = d - timedelta(days=rule.negative_round_window_days - 1)
            return any(lo <= r <= d and r >= anchor for r in rounds)
        return True

    eligible_from: date | None = None
    if rule.negative_round == "none":
        eligible_from = day_n
    else:
        horizon = max([today, *rounds])
        d = day_n
        while d <= horizon:
            if holds(d):
                eligible_from = d
                break
            d += timedelta(days=1)
    eligible = holds(today)
    to_name = level_name(ruleset, rule.to_level)
    verb = f"降为{to_name}" if rule.to_level is not None else "解除"

    if today < day_n:
        reasons.append(
            f"截至{format_date(today)}为第{day_number(anchor, today)}天，尚未满{rule.days_without_case}天"
        )
    if rule.negative_round == "on_day" and not eligible:
        assert rule.negative_round_day is not None
        round_day = anchor + timedelta(days=rule.negative_round_day - 1)
        if not any(r >= round_day for r in rounds):
            reasons.append(
                f"尚未完成第{rule.negative_round_day}天（{format_date(round_day)}）区域内全员核酸检测且结果均为阴性"
            )
    if rule.negative_round == "within_last_days" and not eligible and today >= day_n:
        reasons.append(f"{verb}前{rule.negative_round_window_days}天内未完成全员核酸检测且结果均为阴性")
    if eligible:
        assert eligible_from is not None
        reasons.append(f"自{format_date(eligible_from)}起符合条件，可{verb}")
    elif eligible_from is not None and eligible_from > today:
        reasons.append(f"如无新增感染者，最早于{format_date(eligible_from)}{verb}")
    for cond in rule.extra_conditions:
        reasons.append(f"另须流调人员确认：{cond}")
    reasons.extend(override_notes(ruleset, f"downgrade.{rule.key}."))
    return DowngradeDecision(
        eligible=eligible,
        to_level=rule.to_level,
        eligible_from=eligible_from,
        rule_id=rule.rule,
        reasons=reasons,
        from_level=level,
        day_one=anchor,
        earliest_possible=day_n,
    )


# --------------------------------------------------------------------------------------------------
# Control statuses: facts + rule set -> the statuses a person should have
# --------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fact:
    """Something true about a person that a rule set turns into control statuses.

    Produced by the fact providers (``fangkong/epi/facts.py``): a case (category ``infection``), a
    confirmed close/secondary contact, a pool-positive recall, residence in a risk area ... ``key`` is
    stable for the same evidence, so a recompute updates a status instead of replacing it.
    ``ruleset_date`` picks the rule set (normally the anchor date).
    """

    person_id: int
    provider: str  # registry name, e.g. "epi.contacts"
    category: str  # a CATEGORY_CODES entry
    evidence_type: str  # "epi.contact", "epi.case", "testing.recall" ...
    evidence_id: str
    evidence_label: str  # shown to people: "密接（病例 张三，2022年11月3日接触）"
    area_path: str  # the person's area path (scope; county overrides)
    ruleset_date: date
    last_exposure: date | None = None
    isolation_start: date | None = None
    arrival: date | None = None
    end_override: date | None = None  # an open-ended phase ended by its evidence (released case, lifted area)
    period: str = ""  # tells apart two facts of the same evidence and category (an area high twice)

    @property
    def key(self) -> str:
        key = f"{self.provider}:{self.evidence_type}:{self.evidence_id}:{self.category}"
        return f"{key}:{self.period}" if self.period else key


@dataclass(frozen=True)
class DesiredStatus:
    person_id: int
    fact_key: str
    category: str
    category_name: str
    kind: str
    phase_index: int
    start: date
    end: date | None
    rule_id: str
    ruleset_id: str
    ruleset_version: int
    ruleset_short_name: str
    explanation: str
    override_notes: tuple[str, ...]
    evidence_type: str
    evidence_id: str
    evidence_label: str
    area_path: str
    test_days: tuple[date, ...] = ()

    @property
    def key(self) -> tuple[str, int]:
        return (self.fact_key, self.phase_index)


@dataclass(frozen=True)
class NotApplicable:
    fact: Fact
    reason: str


def desired_statuses(
    facts: Iterable[Fact], ruleset_for: Any
) -> tuple[list[DesiredStatus], list[NotApplicable]]:
    """Every status the facts call for, one per phase of each fact's control plan.

    ``ruleset_for(fact) -> RuleSet | None`` chooses the (county-overridden) rule set; a fact with no
    rule set in force, or whose category the rule set does not manage, yields no status and a
    NotApplicable with the reason (shown on the person page). Pure: same facts, same statuses.
    """
    out: list[DesiredStatus] = []
    skipped: list[NotApplicable] = []
    # Thousands of facts share a rule set, a category and dates: plan each combination once.
    plans: dict[tuple, tuple[Any, Any]] = {}
    for fact in facts:
        rs = ruleset_for(fact)
        if rs is None:
            skipped.append(NotApplicable(fact, f"{format_date(fact.ruleset_date)}无适用的防控方案"))
            continue
        last_exposure = fact.last_exposure or fact.isolation_start or fact.arrival or fact.ruleset_date
        isolation_start = fact.isolation_start or fact.last_exposure
        arrival = fact.arrival or fact.last_exposure
        pkey = (id(rs), fact.category, last_exposure, isolation_start, arrival)
        cached = plans.get(pkey)
        if cached is None:
            try:
                plan = control_plan(rs, fact.category, last_exposure=last_exposure, isolation_start=isolation_start,
                                    arrival=arrival)
            except RuleNotApplicable as exc:
                plan = str(exc)
            phases = None
            if not isinstance(plan, str):
                cat_prefix = f"{fact.category}."
                cat_paths = [p for p in rs.overridden
                             if p.startswith(cat_prefix) and not p.startswith(cat_prefix + "phases.")]
                # The overrides that shaped each phase: its own values and the category's (release, day 1).
                phases = [(ph, tuple(override_notes(rs, f"{cat_prefix}phases.{ph.index}.")) + tuple(
                    n for p in cat_paths for n in override_notes(rs, p)), tuple(t.date for t in ph.tests))
                    for ph in plan.phases]
            cached = plans[pkey] = (rs, plan, phases)
        _rs, plan, phases = cached
        if isinstance(plan, str):
            skipped.append(NotApplicable(fact, plan))
            continue
        for ph, notes, test_days in phases:
            end = ph.end
            if end is None and fact.end_override is not None:
                end = max(fact.end_override, ph.start)
            out.append(
                DesiredStatus(
                    person_id=fact.person_id,
                    fact_key=fact.key,
                    category=fact.category,
                    category_name=plan.category_name,
                    kind=ph.kind,
                    phase_index=ph.index,
                    start=ph.start,
                    end=end,
                    rule_id=ph.rule_id,
                    ruleset_id=rs.id,
                    ruleset_version=rs.version,
                    ruleset_short_name=rs.short_name,
                    explanation=ph.explanation,
                    override_notes=notes,
                    evidence_type=fact.evidence_type,
                    evidence_id=str(fact.evidence_id),
                    evidence_label=fact.evidence_label,
                    area_path=fact.area_path,
                    test_days=test_days,
                )
            )
    return out, skipped


def status_sentence(
    *, kind_name: str, start: date, end: date | None, why: str, today: date, until: str = ""
) -> str:
    """'因……，自2022年11月3日起实行集中隔离医学观察，至2022年11月9日止（今天为第3天）'.

    ``until`` replaces "直至符合解除条件" for open-ended statuses (a risk area: "直至所在风险区降级或解除")."""
    until = f"至{format_date(end)}止" if end is not None else (until or "直至符合解除条件")
    text = f"因{why}，自{format_date(start)}起实行{kind_name}，{until}"
    if start <= today and (end is None or today <= end):
        text += f"（今天为第{day_number(start, today)}天）"
    elif end is not None and today > end:
        text += "（已结束）"
    elif today < start:
        text += "（尚未开始）"
    return text
