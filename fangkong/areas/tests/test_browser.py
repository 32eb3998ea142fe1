"""The foundation's browser test: a grid worker logs in, opens the tree, sees only its community,
and switches the language."""

import pytest

from fangkong.core.testing.browser import login, screenshot
from fangkong.core.testing.world import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_worker_sees_only_own_subtree_and_switches_language(live_server, browser_context):
    from fangkong.core.testing.world import build_world

    world = build_world()
    page = browser_context.new_page()
    errors = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    login(page, live_server.url, "worker_x", PASSWORD)
    assert page.url.rstrip("/") == live_server.url.rstrip("/")
    page.goto(f"{live_server.url}/areas/")
    tree = page.locator("[data-testid=area-tree]")
    assert "翠屏社区" in tree.inner_text()
    assert "西关社区" not in page.content()
    # expand the community: its grid is loaded by htmx
    page.locator(f"li[data-code='{world.x.code}'] > .fk-toggle").click()
    page.wait_for_selector(f"li[data-code='{world.grid_x.code}']")
    assert "第1网格" in tree.inner_text()
    screenshot(page, "areas_tree_worker_x")
    # the sibling community is a 404, like a code that does not exist
    sibling = page.goto(f"{live_server.url}/areas/{world.y.code}/")
    assert sibling.status == 404
    # switch to English and back
    page.goto(f"{live_server.url}/areas/")
    with page.expect_navigation():
        page.select_option("select[name=language]", "en")
    assert page.locator("html").get_attribute("lang") == "en"
    screenshot(page, "areas_tree_worker_x_en")
    with page.expect_navigation():
        page.select_option("select[name=language]", "zh-hans")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert not [e for e in errors if "Content Security Policy" in e], errors
