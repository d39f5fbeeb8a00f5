"""Fixtures shared by the stream app's unit tests."""

from __future__ import annotations

import pytest

from streams.stages.memory import memory_services
from streams.stages.services import StageServices


@pytest.fixture
def services() -> StageServices:
    """Stage services with in-memory parts: no broker, Triton or model."""
    return memory_services()
