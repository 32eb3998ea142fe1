"""The `fangkong` command: Django's management commands plus fangkong's own.

    fangkong demo                      set up and run the demo city
    fangkong createuser NAME --role grid_worker --area CODE --password PW
    fangkong token create NAME         print a new API token
    fangkong seed-city --persons N     (residents) generate a synthetic population
    fangkong import residents FILE …   (residents) import a ledger
    fangkong migrate, fangkong shell … every Django command
"""

from __future__ import annotations

import os
import sys

# Command names that are not valid Python module names map to their module.
ALIASES = {"import": "import_data", "export": "export_data"}


def main(argv: list[str] | None = None) -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fangkong.settings")
    argv = list(sys.argv if argv is None else argv)
    if len(argv) > 1 and not argv[1].startswith("-"):
        argv[1] = ALIASES.get(argv[1], argv[1].replace("-", "_"))
    argv[0] = "fangkong"
    if len(argv) > 1 and argv[1] == "demo":
        _ensure_demo_env()
    from django.core.management import execute_from_command_line

    execute_from_command_line(argv)


def _ensure_demo_env() -> None:
    """The demo runs without DEBUG over plain HTTP on 127.0.0.1: write var/.env once with a fresh key."""
    import secrets
    from pathlib import Path

    var = Path(os.environ.get("FANGKONG_VAR_DIR", Path.cwd() / "var"))
    var.mkdir(parents=True, exist_ok=True)
    env_file = var / ".env"
    if not env_file.exists():
        env_file.write_text(
            "# written by `fangkong demo`; never commit\n"
            f"SECRET_KEY={secrets.token_urlsafe(50)}\n"
            "FANGKONG_INSECURE_HTTP=1\n"
            "# brotli/gzip pre-compression makes collectstatic slow; a local demo does not need it\n"
            "STATIC_COMPRESS=0\n",
            encoding="utf-8",
        )
    os.environ.setdefault("FANGKONG_VAR_DIR", str(var))


if __name__ == "__main__":
    main()
