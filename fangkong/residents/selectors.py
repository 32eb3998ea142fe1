"""Reads of the residents ledger, always scoped to the actor."""

from __future__ import annotations

from django.db.models import QuerySet

from fangkong.core.scoping import get_or_404, scope
from fangkong.residents.models import Household, Person

VIEW = "residents.view"


def person_qs(actor, action: str = VIEW) -> QuerySet[Person]:
    return scope(Person.objects.all(), actor, action)


def person_get(actor, person_id: int, action: str = VIEW) -> Person:
    return get_or_404(Person.objects.select_related("household", "area"), actor, action, pk=person_id)


def household_qs(actor, action: str = VIEW) -> QuerySet[Household]:
    return scope(Household.objects.all(), actor, action)


def household_get(actor, household_id: int, action: str = VIEW) -> Household:
    return get_or_404(Household.objects.select_related("area"), actor, action, pk=household_id)


def person_find_by_document(id_type: str, id_number: str) -> Person | None:
    """Platform-wide lookup by a normalised document, for services (sampling, matching). Not for
    display: callers decide what the actor may learn about the result."""
    return Person.objects.filter(id_type=id_type, id_number=id_number).first()
