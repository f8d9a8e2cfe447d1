"""`CENTINELA_DATABASE_URL` → which records backend, checked before anything connects.

Why a parser of our own in front of SQLAlchemy's: the embedded default (`sqlite:///PATH`) does
not go through an SQLAlchemy engine at all (it shares the hot path's SQLite thread, see
`embedded.py`), a bad URL must stop start-up with one readable line rather than a driver's
traceback, and the password must never reach a log line.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError

Backend = Literal["embedded", "aiosqlite", "postgresql"]


class DatabaseUrlError(ValueError):
    """The configured database URL cannot be used; the message is one line for the operator."""


@dataclass(frozen=True, slots=True)
class DatabaseTarget:
    """A parsed database URL: the backend, its SQLAlchemy URL and, for SQLite, the file."""

    backend: Backend
    url: URL
    path: Path | None = None
    schema: str | None = None  # PostgreSQL: a schema of its own (tests, side-by-side installs)

    @property
    def safe(self) -> str:
        """The URL with the password hidden, for messages and logs."""
        return self.url.render_as_string(hide_password=True)


def parse_database_url(raw: str) -> DatabaseTarget:
    """Accept `sqlite:///PATH`, `sqlite+aiosqlite:///PATH`, `postgresql://...` (or
    `postgres://`, `postgresql+asyncpg://`); `?schema=NAME` selects a PostgreSQL schema."""
    try:
        url = make_url(raw.strip())
    except ArgumentError as exc:
        raise DatabaseUrlError(
            f"CENTINELA_DATABASE_URL is not a URL ({exc}); use sqlite:///PATH or postgresql://USER@HOST/DB"
        ) from None
    scheme = url.drivername
    if scheme in ("sqlite", "sqlite+pysqlite", "sqlite+aiosqlite"):
        if not url.database or url.database == ":memory:":
            raise DatabaseUrlError(
                "CENTINELA_DATABASE_URL: an SQLite URL needs a file, e.g. sqlite:///var/x.sqlite3"
            )
        backend: Backend = "aiosqlite" if scheme.endswith("aiosqlite") else "embedded"
        path = Path(url.database)
        return DatabaseTarget(backend, url.set(drivername="sqlite+aiosqlite"), path=path)
    if scheme in ("postgresql", "postgres", "postgresql+asyncpg"):
        if not url.host and not url.query.get("host"):
            raise DatabaseUrlError("CENTINELA_DATABASE_URL: a PostgreSQL URL needs a host")
        schema = url.query.get("schema")
        if isinstance(schema, tuple):
            schema = schema[-1]
        if schema is not None and not schema.replace("_", "").isalnum():
            raise DatabaseUrlError(f"CENTINELA_DATABASE_URL: schema {schema!r} must be letters, digits and _")
        clean = url.set(drivername="postgresql+asyncpg").difference_update_query(["schema"])
        return DatabaseTarget("postgresql", clean, schema=schema)
    raise DatabaseUrlError(
        f"CENTINELA_DATABASE_URL: unsupported scheme {scheme!r}; use sqlite:///PATH or postgresql://USER@HOST/DB"
    )


def sqlite_url(path: Path) -> str:
    """The embedded default for a data directory's file."""
    return f"sqlite:///{path}"
