"""`fangkong isolation_tasks --date 2022-10-02`: generate the day's isolation tasks (idempotent) and run
the escalations and the occupancy snapshot, printing JSON."""

import json

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.excel import parse_date


class Command(BaseCommand):
    help = "生成某日的隔离随访与核酸检测任务（可重复运行），并处理逾期随访、转运超时和床位快照"

    def add_arguments(self, parser):
        parser.add_argument("--date", default="", help="日期，如 2022-10-02（默认今天）")
        parser.add_argument("--tasks-only", action="store_true", help="只生成任务")

    def handle(self, *args, **options):
        from fangkong.isolation import selectors, services

        day = selectors.today()
        if options["date"]:
            try:
                day = parse_date(options["date"])
            except (ValueError, TypeError):
                day = None
            if day is None:
                raise CommandError(f"日期无法识别：{options['date']}")
        if options["tasks_only"]:
            out = services.tasks_generate(day=day)
        else:
            out = services.daily_run(day=day)
        out["date"] = day.isoformat()
        self.stdout.write(json.dumps(out, ensure_ascii=False))
