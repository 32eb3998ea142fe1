"""`fangkong bench residents` end to end on a small city: every phase runs and prints its figures."""

import io
import json

import pytest
from django.core.management import call_command
from django.db import connection


@pytest.mark.django_db
def test_bench_residents_prints_every_phase_and_the_ratio_to_a_raw_insert_of_the_same_rows(settings):
    out = io.StringIO()
    call_command("bench", "residents", "--persons", "400", "--import-rows", "30", "--skip-export", stdout=out)
    figures = json.loads(out.getvalue().strip().splitlines()[-1])
    assert figures["persons"] == 400 and figures["city_counts"]["persons"] == 400
    assert figures["seed_seconds"] > 0 and figures["search_queries"] > 0
    assert figures["import"]["created"] == 30 and figures["import"]["errors"] == 0
    assert figures["import"]["second_run"]["unchanged"] == 30
    if connection.vendor == "sqlite":
        assert 0 < figures["raw_executemany_persons_seconds"] < figures["raw_executemany_seconds"]
        assert figures["seed_ratio_to_raw_person_insert"] >= figures["seed_ratio_to_raw_insert"] > 0
