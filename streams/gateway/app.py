"""The HTTP gateway's API (OpenAPI at /openapi.json): submit requests and images, read a request's end.

Every ``/v1`` endpoint needs a tenant's API key (``Authorization: Bearer KEY``, from ``modstream tenants
add``); the tenant of what it submits is the key's, never the body's. It writes to the same topics with the
same schemas as the Python client (``ModstreamClient``) and adds nothing to the flow. Bodies over the
limit get 413 before they are read, and each tenant is rate-limited (429 with ``Retry-After``).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from typing import Annotated, Any, Protocol

from aiokafka.errors import KafkaError
from fastapi import APIRouter, Depends, FastAPI, File, Form, HTTPException, Query, Request, UploadFile
from fastapi.responses import Response
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import Base64Bytes, BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool

from streams import background, metrics
from streams.asgi import BodyLimit
from streams.client import ModstreamClient
from streams.config import Settings
from streams.errors import TransientError
from streams.events import new_request_id
from streams.gateway.ends import EndIndex, end_name
from streams.gateway.limits import RateLimiter
from streams.store import Tenants, open_database

bearer = HTTPBearer(auto_error=False, description="a tenant's API key from `modstream tenants add`")


class Producer(Protocol):
    """What the gateway sends with: ``ModstreamClient`` (the Python producer API), started by the lifespan."""

    async def submit_prompt(
        self,
        prompt: str,
        *,
        user_id: str,
        tenant: str = ...,
        reference_image: bytes | None = ...,
        subject_consent: bool = ...,
        seed: int | None = ...,
        reference_scale: float | None = ...,
        request_id: str | None = ...,
    ) -> str: ...

    async def submit_image(
        self, image: bytes, *, user_id: str, tenant: str = ..., prompt: str | None = ..., request_id: str | None = ...
    ) -> str: ...


@dataclass
class Gateway:
    settings: Settings
    tenants: Tenants
    ends: EndIndex
    limiter: RateLimiter
    client: Producer | None = None  # set once the lifespan has started the Kafka producer

    @classmethod
    def open(cls, settings: Settings) -> Gateway:
        return cls(
            settings=settings,
            tenants=Tenants(open_database(settings.database)),
            ends=EndIndex(settings.gateway_index_size),
            limiter=RateLimiter(settings.gateway_rate_per_s, settings.gateway_burst),
        )

    @property
    def producer(self) -> Producer:
        if self.client is None:
            raise HTTPException(503, "the gateway is starting: try again in a moment")
        return self.client


class PromptIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    prompt: str = Field(min_length=1, max_length=4000)
    user_id: str = Field(min_length=1, max_length=256, description="The app's id of its user (pseudonymised).")
    seed: int | None = Field(None, ge=0, le=2**31 - 1)
    reference_image: Base64Bytes | None = Field(None, description="A reference (style) image, base64.")
    subject_consent: bool = Field(False, description="The people shown in the reference image consented.")
    reference_scale: float | None = Field(
        None, ge=0, le=1, description="How strongly the reference conditions the image; unset: the policy's."
    )
    tenant: str | None = Field(None, description="Ignored: the tenant is always the API key's.")


class Accepted(BaseModel):
    request_id: str
    status_url: str


class EndOut(BaseModel):
    request_id: str
    end: str = Field(description="published, rejected, review or dead_letter: the latest end")
    topic: str = Field(description="The topic that holds it: outcomes, review or dead-letter.")
    event: dict[str, Any] = Field(description="The end event, as its topic's JSON Schema describes it.")
    ends: list[str] = Field(description="Every end so far, oldest first (review, then the outcome after it).")


class Problem(BaseModel):
    detail: str


def gateway(request: Request) -> Gateway:
    found: Gateway = request.app.state.gateway
    return found


GatewayDep = Annotated[Gateway, Depends(gateway)]


async def tenant(
    gateway: GatewayDep, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(bearer)]
) -> str:
    """The tenant whose live key the request carries; 401 without one, 429 over the tenant's rate."""
    name = await run_in_threadpool(gateway.tenants.by_key, credentials.credentials) if credentials else None
    if name is None:
        raise HTTPException(401, "a valid tenant API key is needed: Authorization: Bearer KEY",
                            headers={"WWW-Authenticate": "Bearer"})  # fmt: skip
    wait_s = gateway.limiter.retry_after(name)
    if wait_s is not None:
        raise HTTPException(429, f"tenant {name} is over its rate limit", headers={"Retry-After": str(wait_s)})
    return name


TenantDep = Annotated[str, Depends(tenant)]
ERRORS: dict[int | str, dict[str, Any]] = {code: {"model": Problem} for code in (401, 411, 413, 429)}


def _check_image(gateway: Gateway, data: bytes) -> None:
    if len(data) > gateway.settings.max_image_bytes:
        raise HTTPException(413, f"the image is over {gateway.settings.max_image_bytes} bytes")


@contextlib.asynccontextmanager
async def _sending() -> AsyncIterator[None]:
    """503, saying to try again, when the broker or the blob store does not take what is sent."""
    try:
        yield
    except (KafkaError, TransientError) as exc:
        raise HTTPException(503, f"the request could not be sent ({exc}); try again") from None


async def _accept(gateway: Gateway, tenant_name: str) -> str:
    """A new request id, recorded as this tenant's before anything is sent (so that it may read the end)."""
    request_id = new_request_id()
    await run_in_threadpool(gateway.tenants.accepted, request_id, tenant_name)
    return request_id


router = APIRouter()


@router.post("/v1/requests", status_code=202, tags=["requests"])
async def submit_request(body: PromptIn, gateway: GatewayDep, tenant_name: TenantDep) -> Accepted:
    """A generation request (a prompt, optionally a reference image), for the key's tenant."""
    if body.reference_image is not None:
        _check_image(gateway, body.reference_image)
    request_id = await _accept(gateway, tenant_name)
    async with _sending():
        await gateway.producer.submit_prompt(
            body.prompt, user_id=body.user_id, tenant=tenant_name, reference_image=body.reference_image,
            subject_consent=body.subject_consent, seed=body.seed, reference_scale=body.reference_scale,
            request_id=request_id,
        )  # fmt: skip
    return Accepted(request_id=request_id, status_url=f"/v1/requests/{request_id}")


@router.post("/v1/submissions", status_code=202, tags=["requests"])
async def submit_image(
    gateway: GatewayDep,
    tenant_name: TenantDep,
    image: Annotated[UploadFile, File(description="the image to moderate")],
    user_id: Annotated[str, Form(min_length=1, max_length=256)],
    prompt: Annotated[str | None, Form(max_length=4000)] = None,
) -> Accepted:
    """An image generated elsewhere, for moderation only (multipart/form-data)."""
    data = await image.read()
    _check_image(gateway, data)
    request_id = await _accept(gateway, tenant_name)
    async with _sending():
        await gateway.producer.submit_image(
            data, user_id=user_id, tenant=tenant_name, prompt=prompt, request_id=request_id
        )
    return Accepted(request_id=request_id, status_url=f"/v1/requests/{request_id}")


@router.get("/v1/requests/{request_id}", tags=["requests"], responses={404: {"model": Problem}})
async def request_end(
    request_id: str,
    gateway: GatewayDep,
    tenant_name: TenantDep,
    wait: Annotated[float, Query(ge=0, description="seconds to wait for a first end (long poll)")] = 0,
) -> EndOut:
    """The request's latest end; 404 while it has none (after waiting up to ``wait`` seconds)."""
    if await run_in_threadpool(gateway.tenants.tenant_of, request_id) != tenant_name:
        raise HTTPException(404, f"no request {request_id} of tenant {tenant_name}")
    ends = await gateway.ends.wait(request_id, min(wait, gateway.settings.gateway_max_wait_s))
    if not ends:
        raise HTTPException(404, f"request {request_id} has no end yet: ask again, or with ?wait=SECONDS")
    latest = ends[-1]
    return EndOut(request_id=request_id, end=end_name(latest), topic=latest.topic, event=latest.value,
                  ends=[end_name(record) for record in ends])  # fmt: skip


@router.get("/health", tags=["service"])
async def health() -> dict[str, str]:
    return {"status": "ok"}


@router.get("/metrics", tags=["service"], response_class=Response)
async def prometheus_metrics(request: Request) -> Response:
    body, content_type = metrics.exposition(request.headers.get("accept"))
    return Response(body, headers={"Content-Type": content_type})


def running(gateway: Gateway) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the Kafka producer, the index of ends, the event-loop lag watch."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        if not gateway.settings.metrics_enabled:
            metrics.disable()
        follow = gateway.ends.follow(gateway.settings.kafka(), gateway.settings.message_authenticator())
        async with ModstreamClient(gateway.settings) as client, background.running(follow, metrics.watch_event_loop()):
            gateway.client = client
            yield

    return lifespan


def build_app(gateway: Gateway) -> FastAPI:
    app = FastAPI(
        title="modstream gateway",
        version="1",
        description="Submit generation requests and images for moderation; read where each ended.",
        lifespan=running(gateway),
        responses=ERRORS,
    )
    app.state.gateway = gateway
    app.include_router(router)
    return app


def create_app(settings: Settings) -> BodyLimit:
    return BodyLimit(build_app(Gateway.open(settings)), settings.gateway_body_limit)
