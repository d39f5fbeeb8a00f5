"""Every test here runs on a temporary data directory: bank, galleries and the SQLite store live there."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from streams.config import get_settings

# Settings that the environment might carry, pointing the commands elsewhere.
_OUTSIDE_SETTINGS = (
    "CONFIG",
    "DATABASE_URL",
    "PROTECTED_BANK",
    "STYLE_GALLERIES",
    "POLICY_FILE",
    "TRACE_FILE",
    "REVIEW_TOKEN",
    "REVIEW_URL",
)


@pytest.fixture(autouse=True)
def data_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    for name in _OUTSIDE_SETTINGS:
        monkeypatch.delenv(f"MODSTREAM_{name}", raising=False)
    monkeypatch.setenv("MODSTREAM_DATA_DIR", str(tmp_path / "var"))
    get_settings.cache_clear()
    yield tmp_path / "var"
    get_settings.cache_clear()
