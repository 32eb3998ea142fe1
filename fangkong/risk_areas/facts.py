"""Every read of the epi and testing apps' data, behind two functions (the lead wires the other side).

Both apps are optional: without them the answers are "no case known" and "no all-negative round".
Tests monkeypatch these two functions.
"""

from __future__ import annotations

from datetime import date

from django.apps import apps


def last_case_date(person_ids: list[int], *, since: date) -> date | None:
    """The date of the last new infection among these people found on or after `since`, or None."""
    if not person_ids or not apps.is_installed("fangkong.epi"):
        return None
    from fangkong.epi.selectors import last_case_date_for_persons  # type: ignore[import-not-found]

    return last_case_date_for_persons(person_ids, since=since)


def negative_round_days(person_ids: list[int], *, since: date) -> list[date]:
    """Dates on which a testing round completed with every one of these people tested, all negative."""
    if not person_ids or not apps.is_installed("fangkong.testing"):
        return []
    from fangkong.testing.selectors import all_negative_round_days  # type: ignore[import-not-found]

    return list(all_negative_round_days(person_ids, since=since))
