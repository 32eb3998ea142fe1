from __future__ import annotations

from django.db import models


class PathField(models.CharField):
    """A materialized path such as "/611000000000/611002000000/611002001000/".

    Every path starts and ends with "/", so the subtree of P is the half-open range
    [P, P[:-1] + "0") — "0" is the character right after "/" — one indexed range condition
    (see `fangkong.core.scoping.path_range`). On PostgreSQL the column uses the "C" collation so
    that comparisons are bytewise whatever the database locale.
    """

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("max_length", 255)
        kwargs.setdefault("db_index", True)
        super().__init__(*args, **kwargs)

    def db_parameters(self, connection):
        params = super().db_parameters(connection)
        if connection.vendor == "postgresql":
            params["collation"] = "C"
        return params
