"""`fangkong seed-city --persons N --seed S`: the synthetic population (bulk, deterministic)."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.errors import ServiceError
from fangkong.residents.seed import seed_city


class Command(BaseCommand):
    help = "Generate a synthetic population under the 商洛 divisions (empty ledger only)."

    def add_arguments(self, parser):
        parser.add_argument("--persons", type=int, default=20000)
        parser.add_argument("--seed", type=int, default=1)

    def handle(self, *args, persons=20000, seed=1, **options):
        t0 = time.perf_counter()
        try:
            result = seed_city(persons=persons, seed=seed, progress=self.stdout.write)
        except ServiceError as exc:
            raise CommandError(exc.message) from None
        result["seconds"] = round(time.perf_counter() - t0, 2)
        self.stdout.write(json.dumps(result, ensure_ascii=False))
