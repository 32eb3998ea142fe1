# ruff: noqa: S608  (SQL built only from the constant table and column names in TRACKED)
"""Maintained counts of persons, households and care tags per area path (the city's counts without a full scan).

Design
    `residents_areacount` holds one row per (area_path, kind) with kind "persons", "households" or "tag:<tag>":
    the number of rows of that kind whose `area_path` is exactly that path (a unit, a building, a village group…).
    The counts of any area are the sum over its path range — a few thousand counter rows for the whole city
    instead of millions of ledger rows.

    Database triggers keep them exact whatever writes (ORM, `bulk_create`/`bulk_update`, the importer's
    executemany/COPY, raw SQL, deletes and moves — a move changes `area_path`):
    * SQLite (one writer at a time): row-level triggers upsert the counter row directly.
    * PostgreSQL: statement-level triggers with transition tables append one aggregated row per path and statement
      to `residents_areacountdelta` (insert-only: concurrent writers never wait on a hot counter row). `fold()`
      moves the deltas into the counters (`DELETE … RETURNING` feeding the upsert, so two concurrent folds never
      count a delta twice); it runs every 5 minutes (huey) and on read when many deltas are pending. Reads add
      the pending deltas of the range, so they are exact even before a fold.

    `recount()` (`fangkong residents-recount`) rebuilds everything from the tables; `seed_city` loads with the
    SQLite triggers dropped, counts the rows it generates and adds them once at the end (`add_counts`).
"""

from __future__ import annotations

from django.db import connection, transaction

TRACKED = (
    # table, kind expression (SQL over the row), columns whose change moves a row between counters
    ("residents_person", "'persons'", ("area_path",)),
    ("residents_household", "'households'", ("area_path",)),
    ("residents_caretag", "'tag:' || {r}.tag", ("area_path", "tag")),
)
FOLD_WHEN_PENDING = 20_000


def _kind(expr: str, alias: str) -> str:
    return expr.format(r=alias)


def sqlite_trigger_sql() -> list[str]:
    out = []
    for table, kind, cols in TRACKED:

        def up(alias: str, sign: str, kind=kind) -> str:
            return (
                f"INSERT INTO residents_areacount (area_path, kind, n) VALUES ({alias}.area_path, "
                f"{_kind(kind, alias)}, {sign}1) ON CONFLICT (area_path, kind) DO UPDATE SET n = n {sign} 1;"
            )

        changed = " OR ".join(f"OLD.{c} IS NOT NEW.{c}" for c in cols)
        out += [
            f"CREATE TRIGGER {table}_count_ins AFTER INSERT ON {table} BEGIN {up('NEW', '+')} END",
            f"CREATE TRIGGER {table}_count_del AFTER DELETE ON {table} BEGIN {up('OLD', '-')} END",
            f"CREATE TRIGGER {table}_count_upd AFTER UPDATE OF {', '.join(cols)} ON {table} WHEN {changed} "
            f"BEGIN {up('OLD', '-')} {up('NEW', '+')} END",
        ]
    return out


def pg_trigger_sql() -> list[str]:
    out = []
    for table, kind, _cols in TRACKED:
        parts = {
            "ins": (
                "INSERT",
                "REFERENCING NEW TABLE AS new_rows",
                f"SELECT area_path, {_kind(kind, 'n')} AS k, 1 AS d FROM new_rows n",
            ),
            "del": (
                "DELETE",
                "REFERENCING OLD TABLE AS old_rows",
                f"SELECT area_path, {_kind(kind, 'o')} AS k, -1 AS d FROM old_rows o",
            ),
            "upd": (
                "UPDATE",
                "REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows",
                f"SELECT area_path, {_kind(kind, 'n')} AS k, 1 AS d FROM new_rows n UNION ALL "
                f"SELECT area_path, {_kind(kind, 'o')} AS k, -1 AS d FROM old_rows o",
            ),
        }
        for op, (event, referencing, rows) in parts.items():
            fn = f"{table}_count_{op}"
            out += [
                f"CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                f"INSERT INTO residents_areacountdelta (area_path, kind, delta) SELECT area_path, k, SUM(d) FROM ({rows}) x "
                f"GROUP BY 1, 2 HAVING SUM(d) <> 0; RETURN NULL; END $$",
                f"CREATE TRIGGER {fn} AFTER {event} ON {table} {referencing} FOR EACH STATEMENT EXECUTE FUNCTION {fn}()",
            ]
    return out


def drop_trigger_sql(vendor: str) -> list[str]:
    out = []
    for table, _kind_expr, _cols in TRACKED:
        for op in ("ins", "del", "upd"):
            if vendor == "postgresql":
                out += [
                    f"DROP TRIGGER IF EXISTS {table}_count_{op} ON {table}",
                    f"DROP FUNCTION IF EXISTS {table}_count_{op}()",
                ]
            else:
                out.append(f"DROP TRIGGER IF EXISTS {table}_count_{op}")
    return out


def create_triggers(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cur:
        for sql in pg_trigger_sql() if conn.vendor == "postgresql" else sqlite_trigger_sql():
            cur.execute(sql)


def drop_triggers(conn=None) -> None:
    conn = conn or connection
    with conn.cursor() as cur:
        for sql in drop_trigger_sql(conn.vendor):
            cur.execute(sql)


def recount(conn=None) -> int:
    """Rebuild every counter from the ledger tables (exact; blocks writers on PostgreSQL while it runs)."""
    conn = conn or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute("LOCK TABLE residents_person, residents_household, residents_caretag IN SHARE MODE")
        cur.execute("DELETE FROM residents_areacountdelta")
        cur.execute("DELETE FROM residents_areacount")
        for table, kind, _cols in TRACKED:
            k = _kind(kind, "t")
            cur.execute(
                f"INSERT INTO residents_areacount (area_path, kind, n) SELECT t.area_path, {k}, COUNT(*) "  # noqa: S608
                f"FROM {table} t GROUP BY 1, 2"
            )
        cur.execute("SELECT COUNT(*) FROM residents_areacount")
        return cur.fetchone()[0]


def add_counts(counts: dict[tuple[str, str], int], conn=None) -> None:
    """Add rows written while the triggers were off ({(area_path, kind): n}, kinds as in TRACKED), exactly as
    the triggers would have counted them (a bulk load that counted its own rows; cheaper than `recount`)."""
    conn = conn or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        cur.executemany(
            "INSERT INTO residents_areacount (area_path, kind, n) VALUES (%s, %s, %s) "
            "ON CONFLICT (area_path, kind) DO UPDATE SET n = residents_areacount.n + EXCLUDED.n",
            [(path, kind, n) for (path, kind), n in counts.items() if n],
        )


def fold(conn=None) -> None:
    """Move the pending deltas into the counters."""
    conn = conn or connection
    with transaction.atomic(using=conn.alias), conn.cursor() as cur:
        if conn.vendor == "postgresql":
            cur.execute(
                "WITH d AS (DELETE FROM residents_areacountdelta RETURNING area_path, kind, delta) "
                "INSERT INTO residents_areacount (area_path, kind, n) SELECT area_path, kind, SUM(delta) FROM d "
                "GROUP BY area_path, kind ON CONFLICT (area_path, kind) DO UPDATE "
                "SET n = residents_areacount.n + EXCLUDED.n"
            )
        else:
            cur.execute("SELECT MAX(id) FROM residents_areacountdelta")
            top = cur.fetchone()[0]
            if top is None:
                return
            cur.execute(
                "INSERT INTO residents_areacount (area_path, kind, n) SELECT area_path, kind, SUM(delta) "
                "FROM residents_areacountdelta WHERE id <= %s GROUP BY area_path, kind "
                "ON CONFLICT (area_path, kind) DO UPDATE SET n = n + excluded.n",
                [top],
            )
            cur.execute("DELETE FROM residents_areacountdelta WHERE id <= %s", [top])


def pending() -> int:
    """About how many deltas wait for a fold (from the id range: no scan)."""
    with connection.cursor() as cur:
        cur.execute("SELECT MAX(id) - MIN(id) + 1 FROM residents_areacountdelta")
        return cur.fetchone()[0] or 0
