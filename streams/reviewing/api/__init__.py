"""The review service's JSON API (OpenAPI at /openapi.json) and the console at /, as FastAPI routers.

Every endpoint but /health and /api/login needs credentials: an API token (``Authorization: Bearer``,
from ``modstream users add``) or the session cookie of a console login, which must also send its
CSRF token in ``X-CSRF-Token`` on every request that changes something (see ``deps.current_user``).
Endpoints that only touch the store are plain ``def``s (FastAPI runs them in its threadpool); those
that also send to Kafka are ``async`` and run their store calls in the threadpool themselves.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager

from fastapi import FastAPI

from streams.asgi import BodyLimit, SecurityHeaders
from streams.reviewing.api import audit, console, decisions, items, session
from streams.reviewing.api.models import Message
from streams.reviewing.services import Services

ROUTERS = (console.router, session.router, items.router, decisions.router, audit.router)


def build_app(
    services: Services, lifespan: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None
) -> FastAPI:
    """The API over ``services`` (reached through ``deps``); ``lifespan`` starts and stops what runs beside it."""
    app = FastAPI(
        title="modstream review",
        version="1",
        description="The review queue, decisions and the audit store of modstream.",
        lifespan=lifespan,
        responses={401: {"model": Message, "description": "no or wrong credentials"}},
        docs_url=None,  # Swagger UI and ReDoc load scripts from a CDN; /openapi.json describes the API
        redoc_url=None,
    )
    app.state.services = services
    # Every body the API takes is small JSON (a login, a decision and its note): refuse a larger one unread.
    app.add_middleware(BodyLimit, max_bytes=services.settings.review_max_body_bytes)
    app.add_middleware(SecurityHeaders)
    for router in ROUTERS:
        app.include_router(router)
    return app
