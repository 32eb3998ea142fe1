"""Errors that services raise and views/APIs turn into clear messages (never a 500)."""

from __future__ import annotations

from django.http import Http404


class NotFound(Http404):
    """Raised for missing and for out-of-scope records alike: the two must be indistinguishable."""


class ServiceError(Exception):
    """A rule refused the operation; `message` is shown to the user, `code` is for machines."""

    code = "invalid"

    def __init__(self, message: str, *, code: str | None = None, field: str | None = None, **extra):
        super().__init__(message)
        self.message = str(message)
        if code:
            self.code = code
        self.field = field
        self.extra = extra


class PermissionDenied(ServiceError):
    """The actor may not do this at all (e.g. no role grants the action anywhere)."""

    code = "forbidden"
