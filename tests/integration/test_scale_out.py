"""Scale-out: two workers share the partitions, one is killed with SIGKILL under steady load, and every
request still reaches exactly one end (``benchmarks.scale_out`` runs the same scenario and reports the pause)."""

from __future__ import annotations

import pytest

from benchmarks.scale_out import kill_one_of_two
from streams.config import Settings
from streams.stack import Stack

pytestmark = pytest.mark.integration


def test_a_worker_killed_under_load_loses_nothing_and_repeats_nothing(stack: Stack, settings: Settings) -> None:
    run = kill_one_of_two(stack, settings, rate=1.5, seconds=30, kill_after=10)
    print(f"{len(run.ends)} requests; pauses {run.pauses()}")
    assert run.killed_at_ms, "the load ended before the kill"
    assert run.killed_owned, "the killed worker owned no partitions: the test would prove nothing"
    assert not run.lost, f"{len(run.lost)} requests never reached an end"
    assert not run.duplicated, f"{len(run.duplicated)} requests reached more than one end: {run.duplicated}"
    assert {records[0].end for records in run.ends.values()} <= {"published", "review"}
    assert stack.parts["worker"].alive(), "the surviving worker stopped"
