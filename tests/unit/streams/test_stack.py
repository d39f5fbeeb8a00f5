"""Each Triton server the stack starts names its python-backend shared memory with a prefix of its own, and its
leftovers are removed by that prefix alone (the integration tests run two servers at once)."""

from __future__ import annotations

from pathlib import Path

import pytest

from streams import stack
from streams.stack import remove_shared_memory, shared_memory_prefix


def test_every_server_gets_a_prefix_of_its_own() -> None:
    prefixes = {shared_memory_prefix() for _ in range(100)}
    assert len(prefixes) == 100
    assert all(prefix.startswith("modstream_") and "/" not in prefix for prefix in prefixes)


def test_only_the_regions_of_the_given_prefix_are_removed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(stack, "SHARED_MEMORY", tmp_path)
    mine, other = shared_memory_prefix(), shared_memory_prefix()
    for region in (f"{mine}1", f"{mine}12", f"{other}1", "triton_python_backend_shm_region_1"):
        (tmp_path / region).write_bytes(b"\0")
    remove_shared_memory(mine)
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted([f"{other}1", "triton_python_backend_shm_region_1"])
