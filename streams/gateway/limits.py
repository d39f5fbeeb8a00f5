"""What keeps one client from exhausting the gateway: a body size limit and a rate limit per tenant."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Awaitable, Callable, MutableMapping
from dataclasses import dataclass, field
from typing import Any

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


class BodyLimit:
    """ASGI middleware: 413 for a request body over ``max_bytes`` and 411 for one without a Content-Length,
    before the app reads any of it (the HTTP server holds a client to the length it declared)."""

    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            headers = dict(scope.get("headers") or [])
            declared = headers.get(b"content-length")
            if declared is None and b"transfer-encoding" in headers:
                await _refuse(send, 411, "send the body with a Content-Length header")
                return
            if declared is not None and (not declared.isdigit() or int(declared) > self.max_bytes):
                await _refuse(send, 413, f"the request body is over {self.max_bytes} bytes")
                return
        await self.app(scope, receive, send)


async def _refuse(send: Send, status: int, detail: str) -> None:
    body = json.dumps({"detail": detail}).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


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
