"""The review service's HTTP side: a JSON API (OpenAPI at /openapi.json) and the console at /.

Every endpoint but /health and /api/login needs credentials: an API token (``Authorization: Bearer``,
from ``modstream users add``) or the session cookie of a console login, which must also send its
CSRF token in ``X-CSRF-Token`` on every request that changes something.
"""

import asyncio
import contextlib
import hmac
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Annotated, Any

from aiokafka import AIOKafkaProducer
from fastapi import Depends, FastAPI, HTTPException, Query, Request, Response
from fastapi.responses import HTMLResponse
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, Field

from streams import topics
from streams.blobs import BlobNotFound, open_blob_store
from streams.config import Settings
from streams.events import AuditEvent, BlobRef, ReviewAction, ReviewDecision, ReviewItem
from streams.policy import PolicyStore
from streams.reviewing.ingest import ingest
from streams.store import Accounts, AuditStore, AuthError, Refused, ReviewQueue, User, open_database
from streams.telemetry import headers_with_context, produce_span

SESSION_COOKIE = "modstream_session"
CONSOLE = Path(__file__).resolve().parent / "console.html"
SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

bearer = HTTPBearer(auto_error=False, description="API token from `modstream users add`")
session_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="console login session")


class Login(BaseModel):
    username: str = Field(min_length=1, max_length=128)
    password: str = Field(min_length=1, max_length=1024)


class Me(BaseModel):
    name: str
    role: str
    csrf_token: str | None = Field(None, description="Send it as X-CSRF-Token with a session cookie.")


class DecisionIn(BaseModel):
    action: ReviewAction
    reason_code: str | None = Field(None, max_length=64, pattern=r"^[A-Z0-9_]+$")
    reason: str = Field("", max_length=1000)


class Applied(BaseModel):
    request_id: str
    action: ReviewAction
    reviewer: str


class Message(BaseModel):
    detail: str


class Services:
    """What the endpoints use, opened at start-up."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        engine = open_database(settings.database)
        self.audit = AuditStore(engine)
        self.queue = ReviewQueue(engine, claim_s=settings.review_claim_s)
        self.accounts = Accounts(engine, session_hours=settings.review_session_hours)
        self.policy = PolicyStore(settings.policy_path)
        self.blobs = open_blob_store(settings.blob_location, settings.s3_endpoint_url)
        self._producer: AIOKafkaProducer | None = None

    async def start(self) -> None:
        """The producer needs the running event loop, so it starts with the app."""
        self._producer = AIOKafkaProducer(bootstrap_servers=self.settings.kafka_bootstrap, acks="all")
        await self._producer.start()

    async def stop(self) -> None:
        if self._producer is not None:
            await self._producer.stop()

    @property
    def producer(self) -> AIOKafkaProducer:
        if self._producer is None:
            raise RuntimeError("the review service's Kafka producer has not started")
        return self._producer

    async def send(self, topic: str, key: str, value: bytes) -> None:
        with produce_span(topic, key):
            await self.producer.send_and_wait(
                topic, value=value, key=key.encode(), headers=list(headers_with_context().items())
            )


def create_app(settings: Settings) -> FastAPI:
    services = Services(settings)

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.start()
        feeding = asyncio.create_task(ingest(settings.kafka_bootstrap, services.audit, services.queue, services.policy))
        try:
            yield
        finally:
            feeding.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await feeding
            await services.stop()

    app = FastAPI(
        title="modstream review",
        version="1",
        description="The review queue, decisions and the audit store of modstream.",
        lifespan=lifespan,
        responses={401: {"model": Message, "description": "no or wrong credentials"}},
    )

    def reviewer(
        request: Request,
        token: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)],
        cookie: Annotated[str | None, Depends(session_cookie)],
    ) -> User:
        if token is not None:
            user = services.accounts.by_token(token.credentials)
            if user is None:
                raise HTTPException(401, "unknown API token", headers={"WWW-Authenticate": "Bearer"})
            return user
        session = services.accounts.session(cookie) if cookie else None
        if session is None:
            raise HTTPException(
                401,
                "log in (POST /api/login) or send Authorization: Bearer TOKEN",
                headers={"WWW-Authenticate": "Bearer"},
            )
        if request.method not in SAFE_METHODS and not hmac.compare_digest(
            request.headers.get("x-csrf-token", ""), session.csrf_token
        ):
            raise HTTPException(403, "missing or wrong X-CSRF-Token header: reload the console")
        return session.user

    Reviewer = Annotated[User, Depends(reviewer)]

    def review_item(request_id: str) -> dict[str, Any]:
        found = services.queue.get(request_id)
        if found is None:
            raise HTTPException(404, f"no review item {request_id}")
        return found

    def blob(ref: dict[str, Any] | None, what: str) -> Response:
        if ref is None:
            raise HTTPException(404, f"this item has no {what}")
        try:
            data = services.blobs.get(BlobRef(**ref))
        except BlobNotFound:
            raise HTTPException(404, f"the {what} is no longer in the blob store (erased?)") from None
        return Response(data, media_type=ref.get("media_type", "image/png"), headers={"Cache-Control": "no-store"})

    @app.get("/health", tags=["service"])
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/", include_in_schema=False)
    async def console() -> HTMLResponse:
        return HTMLResponse(CONSOLE.read_text(), headers={"Cache-Control": "no-store"})

    @app.post("/api/login", tags=["session"], responses={401: {"model": Message}})
    async def login(body: Login, response: Response) -> Me:
        try:
            session = services.accounts.login(body.username, body.password)
        except AuthError as exc:
            raise HTTPException(401, str(exc)) from None
        response.set_cookie(
            SESSION_COOKIE,
            session.token,
            httponly=True,
            samesite="strict",
            max_age=int(settings.review_session_hours * 3600),
        )
        return Me(name=session.user.name, role=session.user.role.value, csrf_token=session.csrf_token)

    @app.post("/api/logout", tags=["session"])
    async def logout(
        user: Reviewer, response: Response, cookie: Annotated[str | None, Depends(session_cookie)]
    ) -> Message:
        if cookie:
            services.accounts.logout(cookie)
        response.delete_cookie(SESSION_COOKIE)
        return Message(detail=f"{user.name} logged out")

    @app.get("/api/me", tags=["session"])
    async def me(user: Reviewer, cookie: Annotated[str | None, Depends(session_cookie)]) -> Me:
        session = services.accounts.session(cookie) if cookie else None
        return Me(name=user.name, role=user.role.value, csrf_token=session.csrf_token if session else None)

    @app.get("/api/queue", tags=["review"])
    async def queue(
        user: Reviewer,
        reason_code: Annotated[str | None, Query(max_length=64)] = None,
        tenant: Annotated[str | None, Query(max_length=64)] = None,
        limit: Annotated[int, Query(ge=1, le=500)] = 100,
    ) -> dict[str, Any]:
        """Undecided items, highest priority then oldest first; counts by reason and the oldest item's age."""
        return services.queue.pending(reason_code=reason_code, tenant=tenant, limit=limit)

    @app.get("/api/items/{request_id}", tags=["review"], responses={404: {"model": Message}, 409: {"model": Message}})
    async def open_item(request_id: str, user: Reviewer) -> dict[str, Any]:
        """The item with its evidence and its prompt as the audit store holds it; claims it for the caller."""
        found = review_item(request_id)
        if not found["decision"]:
            try:
                claim = services.queue.claim_for(request_id, user.name)
            except Refused as exc:
                raise HTTPException(409, str(exc)) from None
            found.update(claimed_by=claim.reviewer, claimed_until=claim.until.isoformat())
        found["prompt"] = services.audit.prompt_of(request_id)
        return found

    @app.get(
        "/api/items/{request_id}/preview",
        tags=["review"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 404: {"model": Message}},
    )
    async def preview(request_id: str, user: Reviewer) -> Response:
        """The redacted preview: faces and PII text the rules fired on are covered."""
        return blob(review_item(request_id)["item"].get("preview"), "preview")

    @app.get(
        "/api/items/{request_id}/image",
        tags=["review"],
        response_class=Response,
        responses={200: {"content": {"image/png": {}}}, 403: {"model": Message}, 404: {"model": Message}},
    )
    async def unredacted(request_id: str, user: Reviewer) -> Response:
        """The unredacted image: leads and admins only; every view is recorded in the audit store."""
        if not user.role.sees_unredacted:
            raise HTTPException(403, f"role {user.role.value} may not see unredacted images; ask a lead")
        found = review_item(request_id)
        response = blob(found["item"].get("image"), "image")
        view = AuditEvent(
            request_id=request_id,
            stage="review",
            action="viewed_unredacted",
            reason=f"{user.name} ({user.role.value}) viewed the unredacted image",
            tenant=found["tenant"],
            user=found["item"]["user"],
            actor=user.name,
            event_id=str(uuid.uuid4()),
        )
        services.audit.record(view)
        await services.send(topics.AUDIT, request_id, view.to_bytes())
        return response

    @app.post(
        "/api/items/{request_id}/decision",
        tags=["review"],
        responses={404: {"model": Message}, 409: {"model": Message}, 503: {"model": Message}},
    )
    async def decide(request_id: str, body: DecisionIn, user: Reviewer) -> Applied:
        """Approve, reject (with a reason code) or redact-and-approve. An item takes one decision only."""
        found = review_item(request_id)
        item = ReviewItem.model_validate(found["item"])
        if body.action is ReviewAction.APPROVE and item.image is None:
            raise HTTPException(409, "this item has no image to publish (its checks did not run): reject it")
        if body.action is ReviewAction.REDACT_APPROVE and item.preview is None:
            raise HTTPException(409, "this item has no redacted preview to publish: approve or reject it")
        try:
            services.queue.decide(request_id, user.name, body.action.value, body.reason_code, body.reason)
        except Refused as exc:
            raise HTTPException(409, str(exc)) from None
        decision = ReviewDecision(
            request_id=request_id,
            action=body.action,
            reviewer=user.name,
            reason=body.reason,
            reason_code=body.reason_code,
            item=item,
        )
        try:
            await services.send(topics.REVIEW_DECISIONS, request_id, decision.to_bytes())
        except Exception as exc:  # the broker did not take it: the decision must not count
            services.queue.undo_decision(request_id, user.name)
            raise HTTPException(503, f"the decision could not be sent ({exc}); try again") from None
        return Applied(request_id=request_id, action=body.action, reviewer=user.name)

    @app.get("/api/audit/{request_id}", tags=["audit"], responses={404: {"model": Message}})
    async def audit_history(request_id: str, user: Reviewer) -> list[dict[str, Any]]:
        """Every recorded step of a request, oldest first."""
        history = services.audit.history(request_id)
        if not history:
            raise HTTPException(404, f"nothing recorded for {request_id}")
        return history

    return app
