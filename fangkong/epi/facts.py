"""Fact providers: the explicit registry of what can put a person under control.

A provider turns its own records into :class:`fangkong.epi.rules.Fact` objects, for a set of person ids
or for everyone under an area path. The epi app registers its two (cases and confirmed contacts);
other apps register theirs in their AppConfig.ready::

    from fangkong.epi.facts import FactProvider, register_provider
    register_provider(FactProvider("testing.recalls", facts_for=..., facts_in=...))

Only what a provider returns can produce a derived status; suggestions never do.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from fangkong.core.scoping import path_range
from fangkong.epi.rules import Fact, format_date

CHUNK = 5000


@dataclass(frozen=True)
class FactProvider:
    name: str
    facts_for: Callable[[list[int]], Iterable[Fact]]  # facts of these persons
    facts_in: Callable[[str], Iterable[Fact]]  # facts of everyone whose area_path lies under this path


_PROVIDERS: dict[str, FactProvider] = {}


def register_provider(provider: FactProvider) -> None:
    _PROVIDERS[provider.name] = provider


def unregister_provider(name: str) -> None:
    _PROVIDERS.pop(name, None)


def providers() -> list[FactProvider]:
    return list(_PROVIDERS.values())


def chunks(ids: Iterable[int], size: int = CHUNK) -> Iterator[list[int]]:
    ids = list(ids)
    for i in range(0, len(ids), size):
        yield ids[i:i + size]


def facts_for(person_ids: Iterable[int]) -> list[Fact]:
    ids = sorted(set(person_ids))
    out: list[Fact] = []
    for p in providers():
        for chunk in chunks(ids):
            out.extend(p.facts_for(chunk))
    return out


def facts_in(path: str) -> list[Fact]:
    out: list[Fact] = []
    for p in providers():
        out.extend(p.facts_in(path))
    return out


# -- the epi app's own providers -------------------------------------------------------------------

_CASE_FIELDS = ("id", "person_id", "kind", "onset_date", "sampled_date", "isolated_date", "released_date",
                "area_path")


def _case_fact(row: dict) -> Fact | None:
    anchor = row["isolated_date"] or row["sampled_date"] or row["onset_date"]
    if anchor is None:
        return None
    kind = "确诊病例" if row["kind"] == "confirmed" else "无症状感染者"
    when = row["sampled_date"] or row["onset_date"]
    return Fact(
        person_id=row["person_id"], provider="epi.cases", category="infection", evidence_type="epi.case",
        evidence_id=str(row["id"]), evidence_label=f"{kind}（{format_date(when)}，病例编号{row['id']}）",
        area_path=row["area_path"], ruleset_date=when, last_exposure=anchor, isolation_start=anchor,
        end_override=row["released_date"],
    )


def _cases_for(ids: list[int]) -> list[Fact]:
    from fangkong.epi.models import Case

    rows = Case.objects.filter(person_id__in=ids).values(*_CASE_FIELDS)
    return [f for f in map(_case_fact, rows) if f is not None]


def _cases_in(path: str) -> list[Fact]:
    from fangkong.epi.models import Case

    lo, hi = path_range(path)
    rows = Case.objects.filter(area_path__gte=lo, area_path__lt=hi).values(*_CASE_FIELDS)
    return [f for f in map(_case_fact, rows) if f is not None]


_CONTACT_FIELDS = ("id", "person_id", "case_id", "category", "contact_date", "area_path")
_CONTACT_NAMES = {"close_contact": "密切接触者", "secondary_contact": "密接的密接"}


def _contact_fact(row: dict) -> Fact:
    name = _CONTACT_NAMES.get(row["category"], row["category"])
    d = row["contact_date"]
    return Fact(
        person_id=row["person_id"], provider="epi.contacts", category=row["category"],
        evidence_type="epi.contact", evidence_id=str(row["id"]),
        evidence_label=f"{name}（病例编号{row['case_id']}，末次接触{format_date(d)}）",
        area_path=row["area_path"], ruleset_date=d, last_exposure=d,
    )


def _contacts_for(ids: list[int]) -> list[Fact]:
    from fangkong.epi.models import Contact

    return [_contact_fact(r) for r in Contact.objects.filter(person_id__in=ids).values(*_CONTACT_FIELDS)]


def _contacts_in(path: str) -> list[Fact]:
    from fangkong.epi.models import Contact

    lo, hi = path_range(path)
    rows = Contact.objects.filter(area_path__gte=lo, area_path__lt=hi).values(*_CONTACT_FIELDS)
    return [_contact_fact(r) for r in rows]


def register_builtin_providers() -> None:
    register_provider(FactProvider("epi.cases", facts_for=_cases_for, facts_in=_cases_in))
    register_provider(FactProvider("epi.contacts", facts_for=_contacts_for, facts_in=_contacts_in))
