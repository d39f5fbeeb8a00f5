"""The scale-out run's figures: lost and duplicated requests, and the pause around the kill."""

from __future__ import annotations

from benchmarks.scale_out import KillRun, pauses
from streams.client import EndRecord


def end(at_ms: int, partition: int, status: str = "published") -> EndRecord:
    return EndRecord("outcomes", {"status": status}, at_ms, partition)


def test_the_pause_runs_from_the_last_end_before_the_kill_to_the_moved_partitions_first_ends() -> None:
    ends = [end(1_000, 0), end(4_000, 1), end(6_000, 2), end(9_000, 0), end(17_500, 1), end(18_000, 1)]
    # killed at 5 s owning partitions 0 and 1: the last end before was at 4 s; 0 resumed at 9 s, 1 at 17.5 s,
    # and partition 2 (the survivor's own) never paused
    assert pauses(ends, killed_at_ms=5_000, moved={0, 1}) == {"pause_s": 5.0, "slowest_partition_s": 13.5}


def test_no_pause_without_ends_on_both_sides_of_the_kill() -> None:
    assert pauses([end(1_000, 0)], killed_at_ms=5_000, moved={0}) == {"pause_s": None, "slowest_partition_s": None}
    assert pauses([end(6_000, 0)], killed_at_ms=5_000, moved={0})["pause_s"] is None
    assert pauses([end(1_000, 0), end(6_000, 1)], killed_at_ms=5_000, moved={0})["pause_s"] is None


def test_the_moved_partitions_are_the_killed_workers_decision_partitions() -> None:
    run = KillRun({}, killed_at_ms=0, killed_owned={("decisions", 1), ("candidates", 2), ("decisions", 3)})
    assert run.moved == {1, 3}


def test_lost_and_duplicated_requests_are_named() -> None:
    run = KillRun(
        {"a": [end(1, 0)], "b": [], "c": [end(2, 1), end(3, 1, "rejected")]}, killed_at_ms=0, killed_owned=set()
    )
    assert run.lost == ["b"]
    assert run.duplicated == {"c": ["published", "rejected"]}
