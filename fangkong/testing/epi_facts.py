"""The testing app's fact provider for the epidemiology app's status engine: an open pool-positive
recall keeps a person at home (the rule set's `pool_positive` category) until the single tube settles
it. Registered in TestingConfig.ready when the epi app is installed."""

from __future__ import annotations

from django.utils import timezone

from fangkong.core.scoping import path_range
from fangkong.testing.choices import RecallStatus
from fangkong.testing.models import Recall


def _fact(row: dict):
    from fangkong.epi.rules import Fact, format_date

    # The rule set in force when the pool was sampled decides (the fact's date is the sampling day).
    day = timezone.localtime(row["tube__opened_at"] or row["created_at"]).date()
    return Fact(
        person_id=row["person_id"], provider="testing.recalls", category="pool_positive",
        evidence_type="testing.recall", evidence_id=str(row["id"]),
        evidence_label=f"混管可疑阳性（试管 {row['tube__barcode']}，{format_date(day)}），等待单管复核",
        area_path=row["area_path"], ruleset_date=day, isolation_start=day, last_exposure=day,
    )


_FIELDS = ("id", "person_id", "created_at", "area_path", "tube__barcode", "tube__opened_at")


def facts_for(person_ids: list[int]):
    rows = Recall.objects.filter(person_id__in=person_ids, status=RecallStatus.OPEN).values(*_FIELDS)
    return [_fact(r) for r in rows]


def facts_in(path: str):
    lo, hi = path_range(path)
    rows = Recall.objects.filter(area_path__gte=lo, area_path__lt=hi, status=RecallStatus.OPEN).values(*_FIELDS)
    return [_fact(r) for r in rows]


def register() -> None:
    from fangkong.epi.facts import FactProvider, register_provider

    register_provider(FactProvider("testing.recalls", facts_for=facts_for, facts_in=facts_in))
