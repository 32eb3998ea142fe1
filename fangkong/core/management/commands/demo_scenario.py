"""`fangkong demo_scenario`: replay 商洛's August–September 2022 in the demo city (idempotent)."""

from __future__ import annotations

import json
import time

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.demo_scenario import demo_scenario_run, installed


class Command(BaseCommand):
    help = ("Fill the demo city with a scenario (round, positive pool, case and contacts, 协查 list, door-knocking, "
            "risk areas and notice 第31号) through the apps' services. Skipped when already there.")

    def handle(self, *args, **options):
        if not installed():
            raise CommandError("演示场景需要 residents、testing、epi、risk_areas 四个应用。")
        from fangkong.core.management.commands.demo import users_ensure

        t0 = time.perf_counter()
        result = demo_scenario_run(users=users_ensure(), say=self.stdout.write)
        self.stdout.write(json.dumps({"skipped": result.skipped, **result.counts,
                                      "seconds": round(time.perf_counter() - t0, 2)}, ensure_ascii=False))
