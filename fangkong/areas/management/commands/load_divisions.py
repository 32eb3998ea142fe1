import json

from django.core.management.base import BaseCommand

from fangkong.areas.services import divisions_load


class Command(BaseCommand):
    help = "Load the official division codes (市、区县、街道乡镇) from the bundled CSV. Safe to run again."

    def add_arguments(self, parser):
        parser.add_argument("--csv", help="another division file with columns code,name,kind,parent_code")

    def handle(self, *args, csv=None, **options):
        self.stdout.write(json.dumps(divisions_load(csv_path=csv), ensure_ascii=False))
