# Cross-app tests in tests/ use the same fixtures as the apps' own tests.
from fangkong.conftest import browser_context, world  # noqa: F401
