import json

from django.core.management.base import BaseCommand

from fangkong.areas.services import demo_city_build


class Command(BaseCommand):
    help = "Generate communities, grids, compounds, buildings and units under every street (demo city)."

    def add_arguments(self, parser):
        parser.add_argument("--seed", type=int, default=1)
        parser.add_argument("--communities", type=int, default=3)
        parser.add_argument("--grids", type=int, default=2)
        parser.add_argument("--compounds", type=int, default=2)
        parser.add_argument("--buildings", type=int, default=3)
        parser.add_argument("--units", type=int, default=2)

    def handle(self, *args, **o):
        result = demo_city_build(
            seed=o["seed"], communities_per_street=o["communities"], grids_per_community=o["grids"],
            compounds_per_grid=o["compounds"], buildings_per_compound=o["buildings"], units_per_building=o["units"],
        )
        self.stdout.write(json.dumps(result, ensure_ascii=False))
