"""ASGI middleware that the review service and the gateway share: a request body limit, applied before
the app reads any of the body."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, MutableMapping
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


SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"no-referrer"),
]
# For every response that sets no policy of its own (the console page sets one for its script and style).
DEFAULT_POLICY = (b"content-security-policy", b"default-src 'none'; frame-ancestors 'none'")


class SecurityHeaders:
    """ASGI middleware: no MIME sniffing, no framing, no referrer, and a deny-all Content-Security-Policy on
    every response unless it brings its own."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                names = {name.lower() for name, _ in headers}
                headers += [header for header in SECURITY_HEADERS if header[0] not in names]
                if DEFAULT_POLICY[0] not in names:
                    headers.append(DEFAULT_POLICY)
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
