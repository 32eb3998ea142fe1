"""The sidebar: each app lists its modules in <app>/nav.py as `NAV = [NavItem(...)]`.

An item shows when the user holds its action somewhere; the order is the `order` value.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

from django.urls import reverse

from fangkong.core.scoping import has_any


@dataclass(frozen=True)
class NavItem:
    label: str
    url_name: str
    icon: str
    action: str
    order: int = 100

    @property
    def url(self) -> str:
        return reverse(self.url_name)


@functools.cache
def all_items() -> list[NavItem]:
    items: list[NavItem] = []
    from fangkong.core.app_modules import app_modules

    for _config, module in app_modules("nav"):
        items.extend(module.NAV)
    return sorted(items, key=lambda i: (i.order, i.url_name))


def items_for(user) -> list[NavItem]:
    if not getattr(user, "is_authenticated", False):
        return []
    return [item for item in all_items() if has_any(user, item.action)]


# The core app contributes no module of its own to the sidebar (home is always there).
NAV: list[NavItem] = []
