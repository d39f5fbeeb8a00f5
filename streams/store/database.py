"""Opening the store: an engine for the URL, migrated to the newest schema."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import Connection, Engine, create_engine, event

MIGRATIONS = Path(__file__).resolve().parent / "migrations"


def _sqlite_pragmas(connection, _record) -> None:  # type: ignore[no-untyped-def]
    # WAL lets the review service, the CLI and tests read while one of them writes.
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def migrations_config(connection: Connection) -> Config:
    """The Alembic configuration of the store's migrations, run on ``connection`` (see migrations/env.py)."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def open_database(url: str) -> Engine:
    """``sqlite:///path`` or ``postgresql+psycopg://...``; creates or upgrades the tables (Alembic)."""
    if not url.startswith(("sqlite:///", "postgresql")):
        raise ValueError(f"database URL {url!r}: use sqlite:///path/file.db or postgresql+psycopg://user@host/db")
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        # The store holds reviewers' hashes and audit records: only its owner reads it (SQLite gives its WAL
        # and journal files the database file's mode).
        path.touch(mode=0o600, exist_ok=True)
    engine = create_engine(url, future=True)
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    with engine.begin() as connection:
        command.upgrade(migrations_config(connection), "head")
    return engine
