"""`fangkong residents-recount`: rebuild the maintained counts per area from the ledger tables."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand


class Command(BaseCommand):
    help = "Rebuild the residents counters (persons, households, care tags per area path) from the tables."

    def handle(self, *args, **options):
        from fangkong.residents import counters

        t0 = time.perf_counter()
        rows = counters.recount()
        self.stdout.write(json.dumps({"counters": rows, "seconds": round(time.perf_counter() - t0, 2)}))
