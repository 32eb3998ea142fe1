"""Per-request context that services read explicitly (client IP for the audit log).

Set by `RequestContextMiddleware`; management commands and jobs run with the defaults.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator

client_ip: contextvars.ContextVar[str | None] = contextvars.ContextVar("client_ip", default=None)
request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar("request_id", default=None)


@contextlib.contextmanager
def bound(*, ip: str | None = None, rid: str | None = None) -> Iterator[None]:
    tokens = (client_ip.set(ip), request_id.set(rid))
    try:
        yield
    finally:
        client_ip.reset(tokens[0])
        request_id.reset(tokens[1])
