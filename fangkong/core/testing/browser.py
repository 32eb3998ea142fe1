"""Headless Chromium for browser tests (Debian's /usr/bin/chromium driven by Playwright).

Without Chromium the tests are skipped with the reason printed, except under CI=true, where a
missing browser fails the run. Screenshots go to test-artifacts/ (kept as CI artefacts).
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
ARTIFACTS = Path(os.environ.get("FANGKONG_TEST_ARTIFACTS", Path(__file__).resolve().parents[3] / "test-artifacts"))
ARGS = [
    "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage",
]


def chromium_or_skip():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
        if os.environ.get("CI") == "true":
            pytest.fail(message + " and CI=true: browser tests must run in CI")
        pytest.skip(message)
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:  # pragma: no cover
        pytest.skip("playwright is not installed")
    return sync_playwright


@pytest.fixture
def browser_context(request):
    """A fresh browser context; pass viewport via @pytest.mark.parametrize('viewport', [...]) or use default."""
    sync_playwright = chromium_or_skip()
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    viewport = getattr(request, "param", None) or {"width": 1280, "height": 900}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        context = browser.new_context(viewport=viewport, locale="zh-CN")
        try:
            yield context
        finally:
            context.close()
            browser.close()


def screenshot(page, name: str) -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


def login(page, live_server_url: str, username: str, password: str) -> None:
    page.goto(f"{live_server_url}/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
