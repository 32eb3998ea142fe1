"""The sampling terminals' hot path: `POST /api/v1/testing/bindings` served beside Django's stack.

The endpoint stays the documented django-ninja operation (`api.bindings`, in the OpenAPI document);
this WSGI wrapper (installed in `fangkong/wsgi.py`) answers the common case of that exact method and
path without the middleware chain, URL resolution, ninja and pydantic — about 10 ms of CPU per request
on the 2-core target. It does the same things, in the same order, through the same code:

- host validation and the request context (client IP, request id) as `CommonMiddleware` and
  `RequestContextMiddleware` do; the language as `LocaleMiddleware` does;
- bearer-token authentication through `accounts.services.token_authenticate_cached` (digest → user with
  its grants, a few seconds in memory; cleared on revoke, role change, deactivation);
- `require_any(user, testing.sample)`;
- the payload shape of `api.BindingsIn` (an object whose `items` is a list of at most 1,000 objects);
- `services.bindings_ingest`, the one write path (validation by `_parse`/`rules`, one transaction,
  idempotency by `client_id`, flags, the audit event);
- the same JSON body (the `BindingsOut` schema: every result has client_id, status, reason, message,
  flags) and the same security headers.

Anything else — no bearer token, an unknown token, a missing grant, a body that is not that shape, an
unexpected exception — is handed to Django unchanged (the body is put back), so every refusal and
error answer comes from the ninja endpoint itself.
"""

from __future__ import annotations

import io
import json
import uuid

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.http.request import split_domain_port, validate_host
from django.utils import translation

PATH = "/api/v1/testing/bindings"
MAX_ITEMS = 1000  # api.BindingsIn.items max_length

try:  # pragma: no cover - optional speed-up, used when installed
    import orjson

    _loads = orjson.loads
except ImportError:  # pragma: no cover
    _loads = json.loads


def _dumps(data) -> bytes:
    # ninja's JSONRenderer: json.dumps with the default separators (byte-identical answers).
    return json.dumps(data).encode()


def _result_out(r: dict) -> dict:
    """A result as the `BindingResult` schema serialises it (field order, None for absent fields)."""
    return {
        "client_id": r["client_id"],
        "status": r["status"],
        "reason": r.get("reason", ""),
        "message": r.get("message"),
        "flags": r.get("flags"),
    }


class FastBindings:
    """WSGI middleware: the fast path for one endpoint, Django for everything else."""

    def __init__(self, app):
        self.app = app
        self.enabled = True

    def __call__(self, environ, start_response):
        if self.enabled and environ.get("REQUEST_METHOD") == "POST" and environ.get("PATH_INFO") == PATH:
            answer = self.handle(environ)
            if answer is not None:
                status, headers, body = answer
                start_response(status, headers)
                return [body]
        return self.app(environ, start_response)

    # -- the fast path -------------------------------------------------------------------------------

    def handle(self, environ):
        """(status, headers, body) or None to let Django answer (the body is put back first)."""
        auth = environ.get("HTTP_AUTHORIZATION", "")
        parts = auth.split(" ")
        if len(parts) < 2 or parts[0].lower() != "bearer":
            return None  # session login (CSRF) and refusals: the ninja endpoint
        try:
            length = int(environ.get("CONTENT_LENGTH") or 0)
        except ValueError:
            return None
        if length <= 0 or length > settings.DATA_UPLOAD_MAX_MEMORY_SIZE:
            return None
        stream = environ["wsgi.input"]
        body = stream.read(length)
        environ["wsgi.input"] = io.BytesIO(body)  # whatever happens, Django can read it again
        environ["CONTENT_LENGTH"] = str(len(body))
        if getattr(settings, "SECURE_SSL_REDIRECT", False):
            return None
        request = WSGIRequest(environ)
        domain, _port = split_domain_port(request._get_raw_host())
        if not domain or not validate_host(domain, settings.ALLOWED_HOSTS):
            return None
        try:
            data = _loads(body)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        items = data.get("items")
        if (
            not isinstance(items, list)
            or len(items) > MAX_ITEMS
            or not all(isinstance(x, dict) for x in items)
        ):
            return None
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            return self._serve(request, environ, items)
        finally:
            signals.request_finished.send(sender=self.__class__)

    def _serve(self, request, environ, items):
        from fangkong.accounts.services import token_authenticate_cached
        from fangkong.core import context
        from fangkong.core.errors import PermissionDenied
        from fangkong.core.middleware import client_ip_of
        from fangkong.core.scoping import require_any
        from fangkong.testing import services

        token = " ".join(environ["HTTP_AUTHORIZATION"].split(" ")[1:])
        user = token_authenticate_cached(token)
        if user is None:
            return None
        try:
            require_any(user, services.SAMPLE)
        except PermissionDenied:
            return None
        language = translation.get_language_from_request(request)
        rid = environ.get("HTTP_X_REQUEST_ID") or uuid.uuid4().hex[:16]
        translation.activate(language)
        try:
            with context.bound(ip=client_ip_of(request), rid=rid):
                results = services.bindings_ingest(actor=user, items=items)
        except Exception:  # noqa: BLE001 - the transaction rolled back; let the ninja endpoint answer
            return None
        finally:
            translation.deactivate()
        body = _dumps({"results": [_result_out(r) for r in results]})
        return "200 OK", self._headers(request, language, len(body)), body

    @staticmethod
    def _headers(request, language: str, length: int) -> list[tuple[str, str]]:
        """The headers Django's middleware puts on the ninja answer (see the equivalence tests)."""
        headers = [
            ("Content-Type", "application/json; charset=utf-8"),
            ("X-Frame-Options", settings.X_FRAME_OPTIONS),
            ("Content-Length", str(length)),
            ("Content-Language", language),
        ]
        if settings.SECURE_CONTENT_TYPE_NOSNIFF:
            headers.append(("X-Content-Type-Options", "nosniff"))
        if settings.SECURE_REFERRER_POLICY:
            headers.append(("Referrer-Policy", settings.SECURE_REFERRER_POLICY))
        if settings.SECURE_CROSS_ORIGIN_OPENER_POLICY:
            headers.append(("Cross-Origin-Opener-Policy", settings.SECURE_CROSS_ORIGIN_OPENER_POLICY))
        if getattr(settings, "SECURE_HSTS_SECONDS", 0) and request.is_secure():
            value = f"max-age={settings.SECURE_HSTS_SECONDS}"
            if settings.SECURE_HSTS_INCLUDE_SUBDOMAINS:
                value += "; includeSubDomains"
            if settings.SECURE_HSTS_PRELOAD:
                value += "; preload"
            headers.append(("Strict-Transport-Security", value))
        headers.append(("Content-Security-Policy", settings.CONTENT_SECURITY_POLICY))
        headers.append(("Permissions-Policy", "geolocation=(), microphone=(), camera=(self)"))
        return headers


def wrap(app):
    return FastBindings(app)
