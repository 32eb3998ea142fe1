"""The reusable permission matrix: every page and API endpoint, tried as every persona.

An app joins by declaring `CASES = [Case(...), ...]` in `<app>/tests/permission_cases.py`; the one
test in fangkong/core/tests/test_permission_matrix.py collects them all. A denied request must
change nothing (no audit event is written). Another test fails when a URL has no case at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fangkong.core.testing.world import PERSONAS, World


@dataclass(frozen=True)
class Case:
    name: str  # the URL name ("areas:detail", "api:area_detail" …) the case covers
    url: Callable[[World], str]
    expect: dict[str, int]  # persona → expected status; personas not listed get `default`
    method: str = "GET"
    data: Callable[[World], Any] | None = None
    default: int | None = None
    api: bool = False
    label: str = ""
    json: bool = False

    def status_for(self, persona: str) -> int:
        if persona in self.expect:
            return self.expect[persona]
        if persona == "anonymous":
            return 401 if self.api else 302
        if self.default is None:
            raise AssertionError(f"case {self.name} has no expectation for {persona}")
        return self.default

    @property
    def id(self) -> str:
        return f"{self.name}{'[' + self.label + ']' if self.label else ''}"


@dataclass
class Registry:
    cases: list[Case] = field(default_factory=list)

    def params(self) -> list[tuple[Case, str]]:
        return [(case, persona) for case in self.cases for persona in PERSONAS]


def all_cases() -> list[Case]:
    from fangkong.core.app_modules import app_modules

    cases: list[Case] = []
    for _config, module in app_modules("tests.permission_cases"):
        cases.extend(module.CASES)
    return cases
