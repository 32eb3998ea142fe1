import pytest

from fangkong.core.testing.world import build_world


@pytest.fixture
def world(db):
    return build_world()


@pytest.fixture(autouse=True)
def _fresh_assignment_cache():
    yield


from fangkong.core.testing.browser import browser_context  # noqa: E402,F401  (fixture)
