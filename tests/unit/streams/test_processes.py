"""Starting the stack's parts: a part that aborts while starting is started again (Triton's python backend does,
now and then); one that hangs is not. What a part leaves behind is removed once it is gone."""

import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from streams.processes import Part, StackError, spawn, start_until_ready


def _spawner(tmp_path: Path, scripts: list[str]) -> tuple[Callable[[], Part], list[Part]]:
    """Each start runs the next script (Python source) as its own process."""
    started: list[Part] = []

    def start_next() -> Part:
        part = spawn(f"part{len(started)}", [sys.executable, "-c", scripts[len(started)]], tmp_path, tmp_path)
        started.append(part)
        return part

    return start_next, started


def test_a_part_that_aborts_while_starting_is_started_again(tmp_path: Path) -> None:
    ready_file = tmp_path / "ready"
    start_next, started = _spawner(tmp_path, [
        "import os; os.abort()",
        f"import pathlib, time; pathlib.Path({str(ready_file)!r}).touch(); time.sleep(30)",
    ])  # fmt: skip
    part = start_until_ready(start_next, ready_file.exists, "the part", 20, attempts=2)
    try:
        assert part is started[1] and part.alive() and started[0].process.returncode == -6
    finally:
        part.stop()


def test_a_part_that_aborts_at_every_start_fails_with_its_exit_code(tmp_path: Path) -> None:
    start_next, started = _spawner(tmp_path, ["import os; os.abort()"] * 2)
    with pytest.raises(StackError, match="the part exited with code -6"):
        start_until_ready(start_next, lambda: False, "the part", 20, attempts=2)
    assert len(started) == 2


def test_a_part_that_hangs_is_stopped_and_not_started_again(tmp_path: Path) -> None:
    start_next, started = _spawner(tmp_path, ["import time; time.sleep(30)"] * 2)
    with pytest.raises(StackError, match="did not become ready within 1 s"):
        start_until_ready(start_next, lambda: False, "the part", 1, attempts=2)
    assert len(started) == 1 and not started[0].alive()


@pytest.mark.parametrize("end", ["stop", "kill", "exited"])
def test_what_a_part_leaves_behind_is_removed_once_it_is_gone(tmp_path: Path, end: str) -> None:
    leftover = tmp_path / "leftover"
    script = f"import pathlib, time; pathlib.Path({str(leftover)!r}).touch(); time.sleep(30)"
    part = spawn("part", [sys.executable, "-c", script], tmp_path, tmp_path)
    part.remove_leftovers = lambda: leftover.unlink(missing_ok=True)
    start_until_ready(lambda: part, leftover.exists, "the part", 20, attempts=1)
    if end == "exited":
        part.process.terminate()
        part.process.wait()
        assert leftover.exists()
    if end == "kill":
        part.kill()
    else:
        part.stop()
    assert not part.alive() and not leftover.exists()
