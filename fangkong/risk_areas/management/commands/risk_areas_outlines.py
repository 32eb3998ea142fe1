"""Write the synthetic county outlines of the demo city (deterministic) for the risk-area map."""

from __future__ import annotations

import json
from pathlib import Path

from django.core.management.base import BaseCommand

from fangkong.areas.choices import Level
from fangkong.areas.models import Area
from fangkong.risk_areas.mapdata import outlines_geojson

DEFAULT = Path(__file__).resolve().parents[2] / "static" / "risk_areas" / "geo" / "shangluo_demo.json"


class Command(BaseCommand):
    help = "生成演示城市各区县的示意轮廓（GeoJSON，确定性），供风险区域地图使用。"

    def add_arguments(self, parser):
        parser.add_argument("--city", default="611000000000", help="市的代码")
        parser.add_argument("--output", default=str(DEFAULT))

    def handle(self, *args, city, output, **options):
        counties = list(Area.objects.filter(parent__code=city, level=Level.COUNTY).order_by("code")
                        .values_list("code", "name"))
        if not counties:
            from fangkong.areas.services import divisions_load

            divisions_load()
            counties = list(Area.objects.filter(parent__code=city, level=Level.COUNTY).order_by("code")
                            .values_list("code", "name"))
        data = outlines_geojson(counties)
        path = Path(output)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n", encoding="utf-8")
        self.stdout.write(json.dumps({"counties": len(counties), "output": str(path)}, ensure_ascii=False))
