"""Extract the translatable strings into per-app catalogues.

Each domain app keeps its own catalogue under `fangkong/<app>/locale/<lang>/LC_MESSAGES/django.po`,
so that work on two apps never touches the same file. The project catalogue
(`fangkong/locale/`) holds the strings of the shell: `fangkong/templates` and any app that has no
`locale/` directory of its own. Django looks in LOCALE_PATHS first and then in each app's
`locale/`, so a string translated in the project catalogue wins over the app's.

    .venv/bin/python scripts/makemessages.py            # every catalogue
    .venv/bin/python scripts/makemessages.py risk_areas  # one app's catalogue (created if missing)

Then translate the English entries (msgstr) and run `make messages`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1] / "fangkong"
LANGS = ["en", "zh_Hans"]  # the project catalogue
APP_LANGS = ["en"]  # msgids are Chinese: an app needs only the English catalogue


def main(argv: list[str]) -> int:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    os.environ.setdefault("DEBUG", "1")
    import django
    from django.core.management import call_command
    from django.test.utils import override_settings

    django.setup()
    apps = sorted(p.parent.name for p in ROOT.glob("*/apps.py"))
    wanted = argv or [a for a in apps if (ROOT / a / "locale").is_dir()]
    for app in wanted:
        if app not in apps:
            print(f"no such app: {app}", file=sys.stderr)
            return 2
        (ROOT / app / "locale").mkdir(exist_ok=True)
    own = [a for a in apps if (ROOT / a / "locale").is_dir()]
    here = os.getcwd()
    try:
        # LOCALE_PATHS off, so makemessages writes to the `locale/` of the directory it runs in.
        with override_settings(LOCALE_PATHS=[]):
            for app in wanted:
                os.chdir(ROOT / app)
                call_command("makemessages", locale=APP_LANGS, no_obsolete=True, verbosity=0,
                             ignore_patterns=["tests/*", "migrations/*"])
                print(f"fangkong/{app}/locale")
            if not argv:
                os.chdir(ROOT)
                call_command("makemessages", locale=LANGS, no_obsolete=True, verbosity=0,
                             ignore_patterns=["tests/*", "*/tests/*", "*/migrations/*", "static/*",
                                              *[f"{a}/*" for a in own]])
                print("fangkong/locale")
    finally:
        os.chdir(here)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
