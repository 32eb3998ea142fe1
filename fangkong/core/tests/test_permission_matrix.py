"""Every page and API endpoint as every persona of the named world: who gets what, and a denied
request changes nothing."""

from __future__ import annotations

import pytest
from django.urls import URLPattern, URLResolver, get_resolver

from fangkong.audit.models import Event
from fangkong.core.testing.matrix import all_cases
from fangkong.core.testing.world import PERSONAS

CASES = all_cases()
# URLs that are not about data and need no matrix case.
EXEMPT = {"login", "logout", "set_language", "healthz", "api:openapi-json", "api:openapi-view",
          "javascript-catalog", "api:api-root"}


def _request(client, world, case, persona):
    user = world.users[persona]
    kwargs = {}
    if case.api:
        token = world.token(persona)
        if token:
            kwargs["HTTP_AUTHORIZATION"] = f"Bearer {token}"
    elif user is not None:
        client.force_login(user)
    url = case.url(world)
    data = case.data(world) if case.data else None
    if case.method == "GET":
        return client.get(url, data or {}, **kwargs)
    if case.json:
        return client.generic(case.method, url, data=__import__("json").dumps(data or {}),
                              content_type="application/json", **kwargs)
    return client.generic(case.method, url, data=_encode(data), content_type="application/x-www-form-urlencoded",
                          **kwargs) if case.method != "POST" else client.post(url, data or {}, **kwargs)


def _encode(data):
    from urllib.parse import urlencode

    return urlencode(data or {})


@pytest.mark.parametrize("persona", PERSONAS)
@pytest.mark.parametrize("case", CASES, ids=[c.id + f"#{i}" for i, c in enumerate(CASES)])
def test_permission_matrix(client, world, case, persona):
    expected = case.status_for(persona)
    url = case.url(world)  # resolve lambdas (may create fixtures) before counting events
    if case.api:
        world.token(persona)
    events_before = Event.objects.count()
    response = _request(client, world, case, persona)
    assert response.status_code == expected, f"{case.method} {url} as {persona}: {response.status_code} != {expected}"
    if expected in (401, 403, 404) or (persona == "anonymous" and expected == 302):
        assert Event.objects.count() == events_before, "a denied request wrote something"


def _names(resolver, prefix=""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            ns = f"{pattern.namespace}:" if pattern.namespace else ""
            yield from _names(pattern, prefix + ns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield prefix + pattern.name


def test_every_url_has_a_permission_case():
    covered = {c.name for c in CASES}
    missing = sorted(n for n in set(_names(get_resolver())) if n not in covered and n not in EXEMPT)
    assert not missing, f"URLs without a case in any permission_cases.py: {missing}"


def test_matrix_covers_every_persona():
    assert set(PERSONAS) >= {"hq", "street_admin", "worker_x", "worker_y", "sampler", "epi", "norole", "anonymous"}
