"""Pure decisions of the testing app (no ORM)."""

from __future__ import annotations

import datetime as dt
import re

from fangkong.testing.choices import CAPACITIES, Mode, PersonState, Result

_BARCODE_RE = re.compile(r"[A-Z0-9][A-Z0-9\-_]{0,39}\Z")


def barcode_ok(value: str) -> bool:
    return bool(_BARCODE_RE.match(value or ""))


def mode_error(mode: str, capacity: int) -> str:
    """Why a sampling mode and tube capacity do not fit together ("" when they do)."""
    if mode not in Mode.values:
        return "未知的采样方式。"
    if capacity not in CAPACITIES:
        return "试管容量只能是 1、5、10 或 20。"
    if mode == Mode.SINGLE and capacity != 1:
        return "单管单检的容量必须为 1。"
    if mode == Mode.POOL and capacity == 1:
        return "混管的容量应为 5、10 或 20。"
    return ""


def default_capacity(mode: str) -> int:
    return {Mode.SINGLE: 1, Mode.HOUSEHOLD: 10, Mode.POOL: 10}.get(mode, 10)


def infant_cutoff(on: dt.date, years: int) -> dt.date:
    """People born after this date are younger than `years` on `on` (exempt as infants)."""
    try:
        return on.replace(year=on.year - years)
    except ValueError:  # 29 February
        return on.replace(year=on.year - years, day=28)


def person_state(result: str, *, pooled: bool) -> str:
    """The state a tube's result gives each of its people: a positive pool is only 混管可疑阳性."""
    if result == Result.NEGATIVE:
        return PersonState.NEGATIVE
    if result == Result.INVALID:
        return PersonState.INVALID
    return PersonState.POOL_POSITIVE if pooled else PersonState.POSITIVE


def turnaround_hours(capacity: int, pooled_hours: int, single_hours: int) -> int:
    return single_hours if capacity == 1 else pooled_hours
