"""The JSON API under /api/v1/ (django-ninja). Each domain app exposes `router` in its api.py.

Auth: `Authorization: Bearer <token>` (devices) or the session cookie with CSRF (the web UI).
Missing and out-of-scope records both answer 404 {"detail": "Not Found"}.
"""

from __future__ import annotations

from django.http import Http404
from ninja import NinjaAPI
from ninja.security import HttpBearer, SessionAuth

from fangkong.accounts.services import token_authenticate
from fangkong.core.app_modules import app_modules
from fangkong.core.errors import PermissionDenied, ServiceError


class BearerToken(HttpBearer):
    def authenticate(self, request, token):
        user = token_authenticate(token)
        if user is not None:
            request.user = user
        return user


class Session(SessionAuth):
    """Session login; CSRF is enforced for unsafe methods (django-ninja's SessionAuth does that)."""


api = NinjaAPI(
    title="fangkong API",
    version="1",
    description="防控平台接口。认证：`Authorization: Bearer <令牌>`（设备）或网页登录会话。",
    auth=[BearerToken(), Session()],
    urls_namespace="api",
    docs_url="/docs",
    openapi_url="/openapi.json",
)


@api.exception_handler(Http404)
def not_found(request, exc):
    # One body for missing and out-of-scope alike.
    return api.create_response(request, {"detail": "Not Found"}, status=404)


@api.exception_handler(PermissionDenied)
def forbidden(request, exc):
    return api.create_response(request, {"detail": exc.message, "code": exc.code}, status=403)


@api.exception_handler(ServiceError)
def refused(request, exc):
    body = {"detail": exc.message, "code": exc.code}
    if exc.field:
        body["field"] = exc.field
    return api.create_response(request, body, status=400)


def _register_routers() -> None:
    for config, module in app_modules("api"):
        prefix = getattr(module, "PREFIX", "/" + config.label.replace("_", "-"))
        api.add_router(prefix, module.router)


_register_routers()
