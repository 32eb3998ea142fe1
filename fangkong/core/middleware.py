from __future__ import annotations

import uuid

from django.conf import settings

from fangkong.core import context


def client_ip_of(request) -> str | None:
    """The client address, trusting only as many X-Forwarded-For hops as there are proxies."""
    hops = settings.TRUSTED_PROXY_COUNT
    if hops > 0:
        forwarded = [p.strip() for p in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if p.strip()]
        if len(forwarded) >= hops:
            return forwarded[-hops]
    return request.META.get("REMOTE_ADDR") or None


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-ID") or uuid.uuid4().hex[:16]
        with context.bound(ip=client_ip_of(request), rid=rid):
            return self.get_response(request)


class SecurityHeadersMiddleware:
    """Content-Security-Policy (no inline script) and a restrictive Permissions-Policy."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        response.headers.setdefault("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY)
        response.headers.setdefault("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)")
        response.headers.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        return response


class ServiceErrorMiddleware:
    """Turn refusals that a view did not handle into a clear page, never a 500."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_exception(self, request, exception):
        from django.shortcuts import render

        from fangkong.core.errors import PermissionDenied, ServiceError

        if request.path.startswith("/api/"):
            return None
        if isinstance(exception, PermissionDenied):
            return render(request, "403.html", status=403)
        if isinstance(exception, ServiceError):
            return render(request, "service_error.html", {"message": exception.message}, status=400)
        return None
