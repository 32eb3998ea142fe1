"""Rule sets as data: the figures of BRIEF.md "Rules change over time" and RULES.md, table by table."""

from __future__ import annotations

import tomllib
from datetime import date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fangkong.epi import rules
from fangkong.epi.rules import (
    Decision,
    DowngradeDecision,
    RuleNotApplicable,
    apply_overrides,
    control_plan,
    day_number,
    downgrade_decision,
    level_choices,
    load_rulesets,
    lookback_window,
    measures_sentence,
    measures_text,
    release_decision,
    rule_ids,
    ruleset_for_date,
    ruleset_get,
)

D = date
RULESET_IDS = ["di8ban", "di9ban", "ershitiao", "xinshitiao"]


def _raw_rule_ids(ruleset_id: str) -> set[str]:
    """Every `rule = "..."` string written in the TOML file itself."""
    with (rules.RULESETS_DIR / f"{ruleset_id}.toml").open("rb") as fh:
        raw = tomllib.load(fh)
    found: set[str] = set()

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            for k, v in node.items():
                if k == "rule" and isinstance(v, str):
                    found.add(v)
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(raw)
    return found


def _assert_rule_in_file(ruleset_id: str, decision: Decision | DowngradeDecision) -> None:
    assert decision.rule_id in _raw_rule_ids(ruleset_id), decision.rule_id
    assert decision.reasons and all(isinstance(r, str) and r for r in decision.reasons)


# --- loading and dates ---------------------------------------------------------------------------


def test_all_four_regimes_load_in_order_with_their_names() -> None:
    rs = load_rulesets()
    assert [r.id for r in rs] == RULESET_IDS
    d9 = ruleset_get("di9ban")
    assert d9.name == "新型冠状病毒肺炎防控方案（第九版）"
    assert d9.short_name == "第九版"
    assert d9.basis_text == "《新型冠状病毒肺炎防控方案（第九版）》"
    assert d9.effective_from == D(2022, 6, 28)
    assert all(r.version >= 1 and r.notes for r in rs)
    assert load_rulesets() == rs  # cached, equal


def test_unknown_ruleset_id_raises() -> None:
    with pytest.raises(LookupError):
        ruleset_get("di10ban")


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (D(2021, 5, 10), None),
        (D(2021, 5, 11), "di8ban"),
        (D(2022, 6, 27), "di8ban"),
        (D(2022, 6, 28), "di9ban"),
        (D(2022, 11, 10), "di9ban"),
        (D(2022, 11, 11), "ershitiao"),
        (D(2022, 12, 6), "ershitiao"),
        (D(2022, 12, 7), "xinshitiao"),
        (D(2023, 1, 7), "xinshitiao"),
        (D(2023, 1, 8), None),  # 乙类乙管: no controls
        (D(2024, 1, 1), None),
    ],
)
def test_ruleset_for_date_at_each_boundary(day: date, expected: str | None) -> None:
    rs = ruleset_for_date(day)
    assert (rs.id if rs else None) == expected


@pytest.mark.parametrize(
    ("ruleset_id", "lookback", "categories", "levels"),
    [
        ("di8ban", 2, ("close_contact", "secondary_contact"), ["封控区", "管控区", "防范区"]),
        ("di9ban", 4, ("close_contact", "secondary_contact"), ["高风险区", "中风险区", "低风险区"]),
        ("ershitiao", 4, ("close_contact",), ["高风险区", "低风险区"]),
        ("xinshitiao", None, ("close_contact",), ["高风险区"]),
    ],
)
def test_contact_categories_lookback_and_levels(
    ruleset_id: str, lookback: int | None, categories: tuple[str, ...], levels: list[str]
) -> None:
    rs = ruleset_get(ruleset_id)
    assert rs.contact.lookback_days == lookback
    assert rs.contact.categories == categories
    assert [n for _, n in level_choices(rs)] == levels
    assert [s.number for s in rs.contact.situations] == list(range(1, 10))


# --- close contacts ------------------------------------------------------------------------------

# (regime, [(kind, start, end, [test dates])], release date) for a last exposure on 2022-09-01
# (第八版 and 新十条 are fictitious dates for those regimes; only the arithmetic is under test).
CLOSE_CONTACT_PLANS = [
    (
        "di8ban",
        [
            (
                "centralized_isolation",
                D(2022, 9, 1),
                D(2022, 9, 14),
                [D(2022, 9, 1), D(2022, 9, 4), D(2022, 9, 7), D(2022, 9, 14)],
            ),
            ("home_health_monitoring", D(2022, 9, 15), D(2022, 9, 21), []),
        ],
        D(2022, 9, 21),
    ),
    (
        "di9ban",
        [
            ("centralized_isolation", D(2022, 9, 1), D(2022, 9, 7), [D(2022, 9, d) for d in (1, 2, 3, 5, 7)]),
            ("home_health_monitoring", D(2022, 9, 8), D(2022, 9, 10), [D(2022, 9, 10)]),
        ],
        D(2022, 9, 10),
    ),
    (
        "ershitiao",
        [
            ("centralized_isolation", D(2022, 9, 1), D(2022, 9, 5), [D(2022, 9, d) for d in (1, 2, 3, 5)]),
            ("home_isolation", D(2022, 9, 6), D(2022, 9, 8), [D(2022, 9, 6), D(2022, 9, 8)]),
        ],
        D(2022, 9, 8),
    ),
    (
        "xinshitiao",
        [("home_isolation", D(2022, 9, 1), D(2022, 9, 5), [D(2022, 9, 5)])],
        D(2022, 9, 5),
    ),
]


@pytest.mark.parametrize(("ruleset_id", "phases", "release"), CLOSE_CONTACT_PLANS)
def test_close_contact_plan_per_regime(ruleset_id: str, phases: list[Any], release: date) -> None:
    rs = ruleset_get(ruleset_id)
    plan = control_plan(rs, "close_contact", last_exposure=D(2022, 9, 1))
    got = [(p.kind, p.start, p.end, [t.date for t in p.tests]) for p in plan.phases]
    assert got == phases
    assert plan.release_date == release
    assert plan.anchor == D(2022, 9, 1)
    for p in plan.phases:
        assert p.rule_id in _raw_rule_ids(ruleset_id)
        assert p.explanation.startswith(rs.short_name + "：密切接触者实行")
        assert all(day_number(p.start, t.date) == t.day for t in p.tests)


def test_di9ban_explanation_reads_like_a_notice() -> None:
    plan = control_plan(ruleset_get("di9ban"), "close_contact", last_exposure=D(2022, 9, 1))
    assert plan.phases[0].explanation == (
        "第九版：密切接触者实行7天集中隔离医学观察，第1、2、3、5、7天各做一次核酸检测；"
        "自2022年9月1日起至2022年9月7日止"
    )
    assert plan.phases[0].rule_id == "di9ban.close_contact.centralized"
    assert [t.day for t in plan.phases[1].tests] == [3]


def test_day_number_counts_the_anchor_as_day_one() -> None:
    assert day_number(D(2022, 9, 1), D(2022, 9, 1)) == 1
    assert day_number(D(2022, 9, 1), D(2022, 9, 7)) == 7
    assert day_number(D(2022, 9, 1), D(2022, 8, 31)) == 0


def test_secondary_contacts_di9ban_home_isolation_tests_1_4_7() -> None:
    plan = control_plan(ruleset_get("di9ban"), "secondary_contact", last_exposure=D(2022, 9, 1))
    assert [(p.kind, p.days) for p in plan.phases] == [("home_isolation", 7)]
    assert [t.date for t in plan.phases[0].tests] == [D(2022, 9, 1), D(2022, 9, 4), D(2022, 9, 7)]
    assert plan.release_date == D(2022, 9, 7)


def test_secondary_contacts_di8ban_seven_days_centralized() -> None:
    plan = control_plan(ruleset_get("di8ban"), "secondary_contact", last_exposure=D(2021, 9, 1))
    assert [(p.kind, p.days) for p in plan.phases] == [("centralized_isolation", 7)]


@pytest.mark.parametrize("ruleset_id", ["ershitiao", "xinshitiao"])
def test_secondary_contacts_not_identified_is_a_clear_error(ruleset_id: str) -> None:
    with pytest.raises(RuleNotApplicable, match="不再判定密接的密接"):
        control_plan(ruleset_get(ruleset_id), "secondary_contact", last_exposure=D(2022, 11, 20))


@pytest.mark.parametrize(
    ("ruleset_id", "category", "kind", "days", "test_days"),
    [
        ("di9ban", "from_high_risk_area", "centralized_isolation", 7, [1, 2, 3, 5, 7]),
        ("di9ban", "from_medium_risk_area", "home_medical_observation", 7, [1, 4, 7]),
        ("di9ban", "from_low_risk_area", "test_only", 3, [1, 2]),
        ("ershitiao", "from_high_risk_area", "home_isolation", 7, [1, 3, 5, 7]),
    ],
)
def test_people_leaving_risk_areas(
    ruleset_id: str, category: str, kind: str, days: int, test_days: list[int]
) -> None:
    plan = control_plan(ruleset_get(ruleset_id), category, last_exposure=D(2022, 9, 1), arrival=D(2022, 9, 1))
    assert [(p.kind, p.days, [t.day for t in p.tests]) for p in plan.phases] == [(kind, days, test_days)]


def test_inbound_travellers_anchor_on_arrival_and_need_it() -> None:
    rs = ruleset_get("di9ban")
    plan = control_plan(rs, "inbound_traveller", last_exposure=D(2022, 8, 30), arrival=D(2022, 9, 1))
    assert plan.anchor_kind == "arrival" and plan.anchor == D(2022, 9, 1)
    assert [p.days for p in plan.phases] == [7, 3]
    with pytest.raises(ValueError, match="arrival"):
        control_plan(rs, "inbound_traveller", last_exposure=D(2022, 8, 30))


def test_pool_positive_stays_home_until_the_single_tube_retest() -> None:
    plan = control_plan(
        ruleset_get("di9ban"), "pool_positive", last_exposure=D(2022, 9, 1), isolation_start=D(2022, 9, 2)
    )
    (ph,) = plan.phases
    assert ph.kind == "stay_at_home" and ph.end is None and plan.release_date is None
    waiting = release_decision(plan, 0, today=D(2022, 9, 2), tests=[(D(2022, 9, 2), "pool_positive")])
    assert not waiting.allowed
    settled = release_decision(plan, 0, today=D(2022, 9, 3), tests=[(D(2022, 9, 3), "negative")])
    assert settled.allowed and settled.rule_id == "di9ban.pool_positive.stay_at_home"
    positive = release_decision(plan, 0, today=D(2022, 9, 3), tests=[(D(2022, 9, 3), "positive")])
    assert not positive.allowed and "阳性" in positive.reasons[0]


def test_xinshitiao_infection_released_on_ct_35_days_6_and_7() -> None:
    plan = control_plan(
        ruleset_get("xinshitiao"), "infection", last_exposure=D(2022, 12, 10), isolation_start=D(2022, 12, 10)
    )
    ok = [(D(2022, 12, 15), "ct_ge_35"), (D(2022, 12, 16), "ct_ge_35")]
    assert release_decision(plan, 0, today=D(2022, 12, 16), tests=ok).allowed
    assert not release_decision(plan, 0, today=D(2022, 12, 16), tests=ok[:1]).allowed


# --- release -------------------------------------------------------------------------------------

RELEASE_CASES = [
    # regime, phase index, last exposure
    ("di8ban", 0, D(2021, 9, 1)),
    ("di9ban", 0, D(2022, 9, 1)),
    ("di9ban", 1, D(2022, 9, 1)),
    ("ershitiao", 0, D(2022, 11, 20)),
    ("ershitiao", 1, D(2022, 11, 20)),
    ("xinshitiao", 0, D(2022, 12, 10)),
]


@pytest.mark.parametrize(("ruleset_id", "index", "exposure"), RELEASE_CASES)
def test_release_refused_the_day_before_allowed_on_the_day_refused_with_a_missing_test(
    ruleset_id: str, index: int, exposure: date
) -> None:
    plan = control_plan(ruleset_get(ruleset_id), "close_contact", last_exposure=exposure)
    ph = plan.phases[index]
    assert ph.end is not None
    negatives = [(t.date, "negative") for t in ph.tests]

    before = release_decision(plan, index, today=ph.end - timedelta(days=1), tests=negatives)
    assert not before.allowed
    assert "尚未期满" in before.reasons[0]
    _assert_rule_in_file(ruleset_id, before)

    on_day = release_decision(plan, index, today=ph.end, tests=negatives)
    assert on_day.allowed, on_day.reasons
    assert on_day.rule_id == ph.rule_id
    _assert_rule_in_file(ruleset_id, on_day)

    missing = release_decision(plan, index, today=ph.end, tests=negatives[:-1])
    assert not missing.allowed
    assert f"第{ph.tests[-1].day}天" in missing.reasons[-1]
    _assert_rule_in_file(ruleset_id, missing)


def test_release_refused_with_a_positive_and_with_a_pool_positive_on_a_test_day() -> None:
    plan = control_plan(ruleset_get("di9ban"), "close_contact", last_exposure=D(2022, 9, 1))
    tests = [(t.date, "negative") for t in plan.phases[0].tests]
    pos = release_decision(plan, 0, today=D(2022, 9, 7), tests=[*tests, (D(2022, 9, 6), "positive")])
    assert not pos.allowed and "阳性" in pos.reasons[0]
    pool = release_decision(
        plan, 0, today=D(2022, 9, 7), tests=[*tests[:-1], (D(2022, 9, 7), "pool_positive")]
    )
    assert not pool.allowed and "混管可疑阳性" in pool.reasons[-1]


# --- overrides -----------------------------------------------------------------------------------


def test_overrides_are_applied_and_visible() -> None:
    d9 = ruleset_get("di9ban")
    shangzhou = apply_overrides(
        d9,
        {
            "close_contact.phases.0.days": 5,
            "close_contact.phases.0.test_days": [1, 2, 3, 5],
            "downgrade.high_medium.days_without_case": 5,
            "downgrade.high_medium.negative_round_day": 5,
            "levels.medium.measures": "足不出区、错峰取物",
            "levels.medium.measures_downgraded_from.high": "足不出户、错峰取物",
        },
        source="商州区",
    )
    assert d9.categories["close_contact"].phases[0].days == 7  # the original is untouched
    assert shangzhou.overridden["close_contact.phases.0.days"] == (7, 5, "商州区")
    assert shangzhou.overridden["levels.medium.measures"] == (
        "人不出区、错峰取物",
        "足不出区、错峰取物",
        "商州区",
    )
    plan = control_plan(shangzhou, "close_contact", last_exposure=D(2022, 9, 1))
    assert plan.phases[0].end == D(2022, 9, 5)
    assert "商州区覆盖：密切接触者第1阶段天数由7改为5" in plan.phases[0].explanation
    assert measures_text(shangzhou, "medium") == "足不出区、错峰取物"
    assert (
        measures_sentence(shangzhou, "medium", downgraded_from="high") == "实行“足不出户、错峰取物”等管控措施"
    )
    dec = downgrade_decision(
        shangzhou,
        level="high",
        designated_at=datetime(2022, 8, 20, 10),
        last_case_at=D(2022, 8, 25),
        negative_round_days=[D(2022, 8, 30)],
        today=D(2022, 8, 30),
    )
    assert dec.eligible and dec.eligible_from == D(2022, 8, 30)
    assert any(r.startswith("商州区覆盖：") for r in dec.reasons)


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("close_contact.phases.5.days", 3),
        ("close_contact.phases.0.weeks", 1),
        ("secondary_contact.phases.0.days", 3),  # absent under 二十条, tested below on ershitiao
        ("levels.extreme.measures", "x"),
        ("downgrade.high_lift.days_without_case", 3),
        ("id", "x"),
        ("close_contact.phases.0.rule", "di9ban.x"),
        ("close_contact.phases.0", {"days": 3}),
        ("close_contact.phases.0.days", "seven"),
        ("close_contact.phases.0.days", 3),  # test day 5 and 7 now outside the phase
        ("downgrade.high_medium.days_without_case", 5),  # the round day 7 would fall after day 5
    ],
)
def test_unknown_or_invalid_override_paths_raise(path: str, value: Any) -> None:
    rs = ruleset_get("ershitiao" if path.startswith("secondary") else "di9ban")
    with pytest.raises(ValueError):
        apply_overrides(rs, {path: value}, source="商州区")


def test_override_can_set_a_value_the_regime_left_undefined() -> None:
    x = apply_overrides(ruleset_get("xinshitiao"), {"contact.lookback_days": 2}, source="商洛市")
    assert lookback_window(x, onset=D(2022, 12, 10), sampled=D(2022, 12, 11)) == (
        D(2022, 12, 8),
        D(2022, 12, 11),
    )


# --- look-back -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ruleset_id", "onset", "sampled", "window"),
    [
        ("di8ban", D(2021, 9, 10), D(2021, 9, 11), (D(2021, 9, 8), D(2021, 9, 11))),
        ("di9ban", D(2022, 9, 10), D(2022, 9, 11), (D(2022, 9, 6), D(2022, 9, 11))),
        ("di9ban", None, D(2022, 9, 11), (D(2022, 9, 7), D(2022, 9, 11))),  # asymptomatic
        ("ershitiao", D(2022, 11, 20), None, (D(2022, 11, 16), D(2022, 11, 20))),
    ],
)
def test_lookback_window(
    ruleset_id: str, onset: date | None, sampled: date | None, window: tuple[date, date]
) -> None:
    assert lookback_window(ruleset_get(ruleset_id), onset=onset, sampled=sampled) == window


def test_lookback_not_defined_under_xinshitiao() -> None:
    with pytest.raises(RuleNotApplicable):
        lookback_window(ruleset_get("xinshitiao"), onset=D(2022, 12, 10), sampled=None)


# --- downgrade -----------------------------------------------------------------------------------

# (regime, level, designated, last case, rounds, downgraded from/at, expected eligible day, to level, rule)
DOWNGRADES = [
    # 第九版 high → medium: last case 8-25, day 1 = 8-26, day 7 = 9-01, round on 9-01.
    (
        "di9ban",
        "high",
        datetime(2022, 8, 20, 10),
        D(2022, 8, 25),
        [D(2022, 9, 1)],
        None,
        None,
        D(2022, 9, 1),
        "medium",
        "di9ban.downgrade.high_medium",
    ),
    # no case inside since designation (8-20 = day 1): day 7 = 8-26.
    (
        "di9ban",
        "high",
        datetime(2022, 8, 20, 22),
        None,
        [D(2022, 8, 26)],
        None,
        None,
        D(2022, 8, 26),
        "medium",
        "di9ban.downgrade.high_medium",
    ),
    # the round was a day late: eligible on the round day.
    (
        "di9ban",
        "high",
        datetime(2022, 8, 20, 10),
        D(2022, 8, 25),
        [D(2022, 9, 2)],
        None,
        None,
        D(2022, 9, 2),
        "medium",
        "di9ban.downgrade.high_medium",
    ),
    # high-turned-medium, downgraded 9-01 → low after 3 more days: 9-02, 9-03, 9-04.
    (
        "di9ban",
        "medium",
        datetime(2022, 8, 20, 10),
        D(2022, 8, 25),
        [],
        "high",
        D(2022, 9, 1),
        D(2022, 9, 4),
        "low",
        "di9ban.downgrade.medium_low_from_high",
    ),
    # plain medium → low: 7 days + round on day 7.
    (
        "di9ban",
        "medium",
        datetime(2022, 8, 22, 12),
        D(2022, 8, 24),
        [D(2022, 8, 31)],
        None,
        None,
        D(2022, 8, 31),
        "low",
        "di9ban.downgrade.medium_low",
    ),
    # 二十条 high → low after 5 days: last case 11-20, day 1 = 11-21, day 5 = 11-25.
    (
        "ershitiao",
        "high",
        datetime(2022, 11, 18, 9),
        D(2022, 11, 20),
        [],
        None,
        None,
        D(2022, 11, 25),
        "low",
        "ershitiao.downgrade.high_low",
    ),
    # 新十条 lift after 5 days: designated 12-08, no case inside → day 5 = 12-12.
    (
        "xinshitiao",
        "high",
        datetime(2022, 12, 8, 9),
        None,
        [],
        None,
        None,
        D(2022, 12, 12),
        None,
        "xinshitiao.downgrade.high_lift",
    ),
    # 第八版 sealed lifted: 14 days from 2021-08-02 → 8-15, round within the last 2 days (8-14).
    (
        "di8ban",
        "sealed",
        datetime(2021, 7, 30, 8),
        D(2021, 8, 1),
        [D(2021, 8, 14)],
        None,
        None,
        D(2021, 8, 15),
        None,
        "di8ban.downgrade.sealed_lift",
    ),
]


@pytest.mark.parametrize(
    (
        "ruleset_id",
        "level",
        "designated",
        "last_case",
        "rounds",
        "from_level",
        "downgraded_at",
        "day",
        "to",
        "rule_id",
    ),
    DOWNGRADES,
)
def test_downgrade_on_the_exact_day_and_not_the_day_before(
    ruleset_id: str,
    level: str,
    designated: datetime,
    last_case: date | None,
    rounds: list[date],
    from_level: str | None,
    downgraded_at: date | None,
    day: date,
    to: str | None,
    rule_id: str,
) -> None:
    rs = ruleset_get(ruleset_id)

    def decide(today: date) -> DowngradeDecision:
        return downgrade_decision(
            rs,
            level=level,
            designated_at=designated,
            last_case_at=last_case,
            negative_round_days=rounds,
            was_downgraded_from=from_level,
            downgraded_at=downgraded_at,
            today=today,
        )

    on_day = decide(day)
    assert on_day.eligible, on_day.reasons
    assert on_day.eligible_from == day
    assert on_day.to_level == to
    assert on_day.rule_id == rule_id
    _assert_rule_in_file(ruleset_id, on_day)

    before = decide(day - timedelta(days=1))
    assert not before.eligible, before.reasons
    assert before.rule_id == rule_id
    _assert_rule_in_file(ruleset_id, before)


def test_di9ban_high_without_the_day_7_round_is_not_eligible() -> None:
    rs = ruleset_get("di9ban")
    kw: dict[str, Any] = dict(
        level="high", designated_at=datetime(2022, 8, 20, 10), last_case_at=D(2022, 8, 25)
    )
    early_round = downgrade_decision(rs, **kw, negative_round_days=[D(2022, 8, 31)], today=D(2022, 9, 1))
    assert not early_round.eligible and early_round.eligible_from is None
    assert early_round.earliest_possible == D(2022, 9, 1)
    assert any("第7天（2022年9月1日）" in r for r in early_round.reasons)
    # A round on day 7 that is not yet known today does not count.
    future = downgrade_decision(rs, **kw, negative_round_days=[D(2022, 9, 1)], today=D(2022, 8, 31))
    assert not future.eligible


def test_a_new_case_restarts_the_count() -> None:
    rs = ruleset_get("ershitiao")
    dec = downgrade_decision(
        rs,
        level="high",
        designated_at=datetime(2022, 11, 18, 9),
        last_case_at=D(2022, 11, 24),
        negative_round_days=[],
        today=D(2022, 11, 25),
    )
    assert not dec.eligible and dec.eligible_from == D(2022, 11, 29) and dec.day_one == D(2022, 11, 25)


def test_di8ban_round_must_be_in_the_last_two_days() -> None:
    rs = ruleset_get("di8ban")
    dec = downgrade_decision(
        rs,
        level="controlled",
        designated_at=datetime(2021, 7, 30, 8),
        last_case_at=D(2021, 8, 1),
        negative_round_days=[D(2021, 8, 10)],
        today=D(2021, 8, 15),
    )
    assert not dec.eligible and dec.eligible_from is None
    assert any("最后一名密切接触者" in r for r in dec.reasons)


def test_low_area_has_no_downgrade_rule_but_a_rule_id() -> None:
    rs = ruleset_get("di9ban")
    dec = downgrade_decision(
        rs,
        level="low",
        designated_at=datetime(2022, 8, 20),
        last_case_at=None,
        negative_round_days=[],
        today=D(2022, 9, 20),
    )
    assert not dec.eligible and dec.rule_id == "di9ban.area.low"
    _assert_rule_in_file("di9ban", dec)


def test_unknown_level_raises() -> None:
    with pytest.raises(ValueError):
        downgrade_decision(
            ruleset_get("ershitiao"),
            level="medium",
            designated_at=datetime(2022, 11, 18),
            last_case_at=None,
            negative_round_days=[],
            today=D(2022, 11, 25),
        )


# --- measures and names --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("ruleset_id", "level", "text", "sentence"),
    [
        ("di9ban", "high", "足不出户、上门服务", "实行“足不出户、上门服务”等管控措施"),
        ("di9ban", "medium", "人不出区、错峰取物", "实行“人不出区、错峰取物”等管控措施"),
        ("di9ban", "low", "个人防护、避免聚集", "实行“个人防护、避免聚集”等防范措施"),
        ("di8ban", "sealed", "区域封闭、足不出户、服务上门", "实行“区域封闭、足不出户、服务上门”等封控措施"),
        ("ershitiao", "low", "个人防护、避免聚集", "实行“个人防护、避免聚集”等防范措施"),
    ],
)
def test_measures_text(ruleset_id: str, level: str, text: str, sentence: str) -> None:
    rs = ruleset_get(ruleset_id)
    assert measures_text(rs, level) == text
    assert measures_sentence(rs, level) == sentence


# --- integrity -----------------------------------------------------------------------------------


@pytest.mark.parametrize("ruleset_id", RULESET_IDS)
def test_every_rule_id_is_in_its_file_and_prefixed(ruleset_id: str) -> None:
    rs = ruleset_get(ruleset_id)
    assert rule_ids(rs) == _raw_rule_ids(ruleset_id)
    assert all(r.startswith(ruleset_id + ".") for r in rule_ids(rs))
    assert all(c in rs.categories for c in rs.contact.categories)


def test_a_broken_ruleset_directory_is_rejected(tmp_path: Path) -> None:
    src = (rules.RULESETS_DIR / "ershitiao.toml").read_text(encoding="utf-8")
    (tmp_path / "situations.toml").write_text(
        (rules.RULESETS_DIR / "situations.toml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    (tmp_path / "bad.toml").write_text(
        src.replace("test_days = [1, 2, 3, 5]", "test_days = [1, 9]"), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="outside"):
        load_rulesets(tmp_path)
