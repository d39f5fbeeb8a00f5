"""Login throttling: after too many wrong passwords for one user name or from one address, logins from
either wait (429 with ``Retry-After``), so that passwords cannot be guessed at the speed of the server."""

from __future__ import annotations

import math
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class LoginThrottle:
    """Failures per key (``user:NAME``, ``address:IP``) in a sliding window of ``window_s`` seconds."""

    per_user: int = 5
    per_address: int = 20
    window_s: float = 300.0
    clock: Callable[[], float] = time.monotonic
    _failures: dict[str, deque[float]] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)  # the login route runs in a thread pool

    def _limits(self, user: str, address: str) -> list[tuple[str, int]]:
        return [(f"user:{user}", self.per_user), (f"address:{address}", self.per_address)]

    def retry_after(self, user: str, address: str) -> int | None:
        """None when a login may be tried now; else the seconds until it may."""
        now = self.clock()
        waits = []
        with self._lock:
            for key, limit in self._limits(user, address):
                failures = self._failures.get(key, deque())
                while failures and failures[0] <= now - self.window_s:
                    failures.popleft()
                if len(failures) >= limit:
                    waits.append(failures[-limit] + self.window_s - now)
        return max(1, math.ceil(max(waits))) if waits else None

    def failed(self, user: str, address: str) -> None:
        with self._lock:
            for key, _ in self._limits(user, address):
                self._failures.setdefault(key, deque()).append(self.clock())

    def succeeded(self, user: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{user}", None)
