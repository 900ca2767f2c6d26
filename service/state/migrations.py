"""The PostgreSQL backend's schema, one numbered step at a time.

``flask fast migrate`` (the release step) applies the steps a database has not had
yet, each in the same transaction as the row that records it in
``fast_schema_version``; an advisory lock lets only one release migrate at a time.
A later change appends a step; steps already released are never edited.
"""

from __future__ import annotations

from typing import Any

MIGRATIONS: tuple[tuple[int, str, tuple[str, ...]], ...] = (
    (
        1,
        "the key-value table with expiry",
        (
            "CREATE TABLE fast_state (key text PRIMARY KEY, value text NOT NULL, expires_at timestamptz)",
            # The sweep finds expired rows by this index, never by a scan of the table.
            "CREATE INDEX fast_state_expires_at ON fast_state (expires_at) WHERE expires_at IS NOT NULL",
        ),
    ),
)
SCHEMA_VERSION = MIGRATIONS[-1][0]

# pg_advisory_xact_lock's key: a constant of our own (b"fastmigr" read as an integer, below 2**63).
_MIGRATION_LOCK = int.from_bytes(b"fastmigr", "big")

_VERSION_TABLE = (
    "CREATE TABLE IF NOT EXISTS fast_schema_version ("
    " version integer PRIMARY KEY, description text NOT NULL, applied_at timestamptz NOT NULL DEFAULT now())"
)


def current_version(conn: Any) -> int:
    """The database's schema version; 0 for a database never migrated."""
    exists = conn.execute("SELECT to_regclass('fast_schema_version') IS NOT NULL").fetchone()[0]
    if not exists:
        return 0
    return conn.execute("SELECT coalesce(max(version), 0) FROM fast_schema_version").fetchone()[0]


def migrate(conn: Any) -> list[str]:
    """Apply every step the database lacks; return a line per step applied (none when up to date)."""
    applied: list[str] = []
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATION_LOCK,))
        conn.execute(_VERSION_TABLE)
        done = current_version(conn)
        for version, description, statements in MIGRATIONS:
            if version <= done:
                continue
            for statement in statements:
                conn.execute(statement)
            conn.execute(
                "INSERT INTO fast_schema_version (version, description) VALUES (%s, %s)", (version, description)
            )
            applied.append(f"{version}: {description}")
    return applied
