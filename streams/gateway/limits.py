"""What keeps one client from exhausting the gateway: a rate limit per tenant (and ``streams.asgi.BodyLimit``)."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field


@dataclass
class RateLimiter:
    """A token bucket per tenant: ``rate_per_s`` requests a second on average, bursts up to ``burst``."""

    rate_per_s: float
    burst: int
    clock: Callable[[], float] = time.monotonic
    _buckets: dict[str, tuple[float, float]] = field(default_factory=dict)

    def retry_after(self, tenant: str) -> int | None:
        """None when ``tenant`` may send now (and takes a token); else the seconds until it may."""
        at = self.clock()
        tokens, last = self._buckets.get(tenant, (float(self.burst), at))
        tokens = min(float(self.burst), tokens + (at - last) * self.rate_per_s)
        if tokens >= 1.0:
            self._buckets[tenant] = (tokens - 1.0, at)
            return None
        self._buckets[tenant] = (tokens, at)
        return max(1, math.ceil((1.0 - tokens) / self.rate_per_s))
