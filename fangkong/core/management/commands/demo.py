"""`fangkong demo`: set up the demo city on SQLite and serve it with the background worker.

Safe to run again: every step is idempotent (existing data is kept).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from django.apps import apps
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

DEMO_PASSWORD = "fangkong-demo-2022"


def demo_users() -> list[tuple[str, str, str, str]]:
    """(username, display name, role, area code) of the demo users, one per role."""
    from fangkong.areas.models import Area

    city = Area.objects.get(code=settings.FANGKONG_CITY_CODE)
    county = Area.objects.get(code="611002000000")  # 商州区
    street = Area.objects.get(code="611002001000")  # 城关街道
    communities = list(Area.objects.filter(parent=street, retired_at__isnull=True).order_by("code")[:2])
    community_x, community_y = communities[0], communities[1]
    grid_x = Area.objects.filter(parent=community_x).order_by("code").first()
    grid_y = Area.objects.filter(parent=community_y).order_by("code").first()
    return [
        ("hq", "市指挥部", "hq", city.code),
        ("hq2", "市指挥部（审批）", "hq", city.code),  # the second pair of eyes on notices
        ("county_hq", "商州区指挥部", "hq", county.code),
        ("street", "城关街道干部", "street_admin", street.code),
        ("community", f"{community_x.name}干部", "community_admin", community_x.code),
        ("grid", f"{community_x.name}网格员", "grid_worker", grid_x.code),
        ("grid_y", f"{community_y.name}网格员", "grid_worker", grid_y.code),
        ("cadre", "下沉干部", "cadre", community_x.code),
        ("volunteer", "志愿者", "volunteer", community_x.code),
        ("epi", "商州区疾控", "epi", county.code),
        ("isolation", "隔离点工作人员", "isolation_staff", county.code),
        ("sampler", "采样员", "sampler", street.code),
        ("lab", "检测机构", "lab", city.code),
        ("checkpoint", "卡口工作人员", "checkpoint_staff", county.code),
        ("inspector", "督查组", "inspector", city.code),
    ]


def users_ensure() -> dict:
    """Create the demo users (or re-assign their role); username → User."""
    from fangkong.accounts.models import User
    from fangkong.accounts.services import role_assign, user_create
    from fangkong.areas.models import Area

    users = {}
    for username, name, role, code in demo_users():
        area = Area.objects.get(code=code)
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=None, username=username, password=DEMO_PASSWORD, role=role, area=area,
                               display_name=name, validate=False)
        else:
            role_assign(actor=None, user=user, role=role, area=area)
        users[username] = user
    return users


def residents_exist() -> bool:
    if not apps.is_installed("fangkong.residents"):
        return False
    from fangkong.residents.models import Person

    return Person.objects.exists()


class Command(BaseCommand):
    help = "Set up the demo city (SQLite under var/) and serve it on http://127.0.0.1:8000 with the huey worker."

    def add_arguments(self, parser):
        parser.add_argument("--no-serve", action="store_true", help="only set up")
        parser.add_argument("--persons", type=int, default=20000, help="synthetic residents (residents app)")
        parser.add_argument("--bind", default="127.0.0.1:8000")

    def handle(self, *args, no_serve=False, persons=20000, bind="127.0.0.1:8000", **options):
        out = self.stdout
        settings.VAR_DIR.mkdir(parents=True, exist_ok=True)
        out.write("1/5 数据库迁移 migrate …")
        call_command("migrate", interactive=False, verbosity=0)
        out.write("2/5 载入区划代码 …")
        call_command("load_divisions", stdout=out)
        out.write("3/5 生成演示城市（社区、网格、小区、楼栋、单元）…")
        call_command("demo_city", stdout=out)
        from django.core.management import get_commands

        if apps.is_installed("fangkong.residents") and persons and "seed_city" in get_commands():
            from fangkong.residents.models import Person

            if not Person.objects.exists():
                out.write(f"    生成 {persons} 名演示居民 …")
                call_command("seed_city", persons=persons, seed=1, stdout=out)
        out.write("4/5 创建演示用户 …")
        users_ensure()
        from fangkong.core.demo_scenario import installed

        if installed() and residents_exist():
            out.write("    演示场景（2022年8—9月）…")
            call_command("demo_scenario", stdout=out)
        out.write("5/5 收集静态文件 …")
        call_command("collectstatic", interactive=False, verbosity=0)
        self._print_users()
        if no_serve:
            return
        self._serve(bind)

    def _print_users(self) -> None:
        from fangkong.areas.models import Area

        names = {a.code: a.name for a in Area.objects.filter(code__in=[u[3] for u in demo_users()])}
        self.stdout.write("")
        self.stdout.write("演示用户（密码均为 %s）：" % DEMO_PASSWORD)
        for username, _name, role, code in demo_users():
            self.stdout.write(f"  {username:<12} {role:<17} {names.get(code, code)} ({code})")
        self.stdout.write("")

    def _serve(self, bind: str) -> None:
        env = dict(os.environ)
        python = sys.executable
        worker = subprocess.Popen([python, "-m", "fangkong", "run_huey", "--workers", "2"], env=env)
        self.stdout.write(f"防控 demo: http://{bind}/  (Ctrl-C to stop)")
        web = subprocess.Popen(
            [python, "-m", "gunicorn", "fangkong.wsgi", "--bind", bind, "--workers", "2", "--threads", "4",
             "--access-logfile", "-", "--graceful-timeout", "5"],
            env=env,
        )

        def stop(*_):
            for proc in (web, worker):
                if proc.poll() is None:
                    proc.terminate()

        signal.signal(signal.SIGTERM, stop)
        try:
            web.wait()
        except KeyboardInterrupt:
            pass
        finally:
            stop()
            worker.wait(timeout=10)
