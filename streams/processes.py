"""Child processes and waiting for them: each part of the embedded stack (stack.py) is a child process in its own
process group, stopped by its PID (SIGTERM, then SIGKILL after a grace period), and ready once a check passes."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path


class StackError(RuntimeError):
    """A part of the stack failed to start; the message says which and where its log is."""


@dataclass
class Part:
    name: str
    process: subprocess.Popen[bytes]
    log: Path
    # What the process leaves behind when it does not exit cleanly (Triton's shared memory), removed once it is gone.
    remove_leftovers: Callable[[], None] = lambda: None

    def alive(self) -> bool:
        return self.process.poll() is None

    def stop(self, grace_s: float = 15.0) -> None:
        if self.alive():
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(grace_s)
            except subprocess.TimeoutExpired:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.remove_leftovers()

    def kill(self) -> None:
        """SIGKILL, as a crash would: used by tests of at-least-once delivery."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait()
        self.remove_leftovers()


def spawn(name: str, argv: list[str], log_dir: Path, cwd: Path, env: dict[str, str] | None = None) -> Part:
    """``argv`` started in ``cwd`` in a process group of its own, its output appended to ``log_dir/<name>.log``."""
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / f"{name}.log"
    with open(log, "ab") as handle:
        process = subprocess.Popen(
            argv, stdout=handle, stderr=subprocess.STDOUT, env=env, start_new_session=True, cwd=cwd
        )
    return Part(name, process, log)


def port_open(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def wait_until(check: Callable[[], bool], part: Part | None, what: str, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if part is not None and not part.alive():
            raise StackError(f"{what} exited with code {part.process.returncode}; see {part.log}")
        if check():
            return
        time.sleep(0.2)
    log = f"; see {part.log}" if part else ""
    raise StackError(f"{what} did not become ready within {timeout_s:.0f} s{log}")


def start_until_ready(
    spawn: Callable[[], Part], ready: Callable[[], bool], what: str, timeout_s: float, attempts: int
) -> Part:
    """The part ``spawn`` starts, once ``ready``. One that exits before it is ready is started again, up to
    ``attempts`` starts in all; one that is still not ready after ``timeout_s`` is stopped and not retried."""
    for attempt in range(1, attempts + 1):
        part = spawn()
        try:
            wait_until(ready, part, what, timeout_s)
            return part
        except StackError:
            exited = not part.alive()
            part.stop()
            if not exited or attempt == attempts:
                raise
    raise ValueError(f"attempts must be at least 1, not {attempts}")


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=1) as response:
            return bool(response.status == 200)
    except OSError:
        return False
