"""SQLite hands back naive datetimes: every time the store writes is UTC, so read them as UTC."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Annotated

from pydantic import AfterValidator

Clock = Callable[[], datetime]


def as_utc(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


def now() -> datetime:
    return datetime.now(UTC)


UtcTime = Annotated[datetime, AfterValidator(as_utc)]
"""A time column of a typed row: a naive value (SQLite) is read as UTC."""
