"""Subcommands contributed by domain apps: `fangkong import <kind>`, `fangkong export <kind>`,
`fangkong bench <kind>`.

An app declares them in `<app>/cli.py`:

    IMPORT = {"residents": Subcommand(add_arguments, handle, "help text")}
    EXPORT = {...}
    BENCH = {...}

`add_arguments(parser)` adds its arguments; `handle(options: dict, stdout) -> None` runs it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from fangkong.core.app_modules import app_modules


@dataclass(frozen=True)
class Subcommand:
    add_arguments: Callable[[Any], None]
    handle: Callable[[dict, Any], None]
    help: str = ""


def collect(kind: str) -> dict[str, Subcommand]:
    found: dict[str, Subcommand] = {}
    for _config, module in app_modules("cli"):
        found.update(getattr(module, kind, {}))
    return found


class DispatchCommand(BaseCommand):
    """Base of `import_data`, `export_data` and `bench`: one subcommand per app."""

    kind = ""

    def add_arguments(self, parser):
        subs = parser.add_subparsers(dest="subject", required=True, metavar="SUBJECT")
        for name, sub in sorted(collect(self.kind).items()):
            sub.add_arguments(subs.add_parser(name, help=sub.help))

    def handle(self, *args, subject, **options):
        subs = collect(self.kind)
        if subject not in subs:
            raise CommandError(f"unknown subject {subject}; known: {', '.join(sorted(subs))}")
        subs[subject].handle(options, self.stdout)
