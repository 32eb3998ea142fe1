"""Find the per-app modules that apps contribute by convention (permissions.py, nav.py, api.py,
cli.py, tests/permission_cases.py): one discovery loop for every registry."""

from __future__ import annotations

import importlib
from collections.abc import Iterator
from types import ModuleType

from django.apps import AppConfig, apps


def app_modules(submodule: str) -> Iterator[tuple[AppConfig, ModuleType]]:
    """(app config, module) for every installed fangkong app that has `<app>.<submodule>`.

    A missing module is skipped; an import error inside an existing one is raised, never hidden.
    """
    for config in apps.get_app_configs():
        if not config.name.startswith("fangkong."):
            continue
        name = f"{config.name}.{submodule}"
        try:
            module = importlib.import_module(name)
        except ModuleNotFoundError as exc:
            if exc.name and name.startswith(exc.name) and exc.name.startswith(config.name):
                continue
            raise
        yield config, module
