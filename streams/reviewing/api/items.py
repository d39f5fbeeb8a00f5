"""The review queue and its items: listing, reading, claiming (POST), the redacted preview and the unredacted image."""

from __future__ import annotations

import uuid
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, Response
from starlette.concurrency import run_in_threadpool

from streams import topics
from streams.blobs import BlobNotFound, BlobStore
from streams.client import media_type_of
from streams.events import AuditEvent, BlobRef
from streams.reviewing.api.deps import AuditDep, BlobsDep, ClockDep, CurrentUser, QueueDep, SenderDep
from streams.reviewing.api.models import ItemDetail, Message, QueuePage
from streams.store import Claim, Refused, ReviewQueue, ReviewRow

router = APIRouter(prefix="/api", tags=["review"])
PNG: dict[int | str, dict[str, Any]] = {200: {"content": {"image/png": {}}}}


def review_row(queue: ReviewQueue, request_id: str) -> ReviewRow:
    """The item, or 404."""
    found = queue.get(request_id)
    if found is None:
        raise HTTPException(404, f"no review item {request_id}")
    return found


def blob_response(blobs: BlobStore, ref: BlobRef | None, what: str) -> Response:
    if ref is None:
        raise HTTPException(404, f"this item has no {what}")
    try:
        data = blobs.get(ref)
    except BlobNotFound:
        raise HTTPException(404, f"the {what} is no longer in the blob store (erased?)") from None
    # The type comes from the bytes, never from the item: a "preview" declared text/html would run as a page.
    media_type = media_type_of(data)
    if not media_type.startswith("image/"):
        raise HTTPException(415, f"the {what} is not a PNG, JPEG or WebP image; it is not served")
    return Response(data, media_type=media_type, headers={"Cache-Control": "no-store"})


@router.get("/queue")
def queue(
    user: CurrentUser,
    queue: QueueDep,
    clock: ClockDep,
    reason_code: Annotated[str | None, Query(max_length=64)] = None,
    tenant: Annotated[str | None, Query(max_length=64)] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 100,
) -> QueuePage:
    """Undecided items, highest priority then oldest first; counts by reason and the oldest item's age."""
    return QueuePage.of(queue.pending(reason_code=reason_code, tenant=tenant, limit=limit), clock())


@router.get("/items/{request_id}", response_model_exclude_unset=True, responses={404: {"model": Message}})
def item(request_id: str, user: CurrentUser, queue: QueueDep, audit: AuditDep, clock: ClockDep) -> ItemDetail:
    """The item with its evidence and its prompt as the audit store holds it. Reading it claims nothing."""
    return ItemDetail.opened(review_row(queue, request_id), clock(), None, audit.prompt_of(request_id))


@router.post(
    "/items/{request_id}/claim",
    response_model_exclude_unset=True,
    responses={404: {"model": Message}, 409: {"model": Message}},
)
def claim(request_id: str, user: CurrentUser, queue: QueueDep, audit: AuditDep, clock: ClockDep) -> ItemDetail:
    """Open the item for review: claims it for the caller (renewed when they hold it) while it is undecided."""
    found = review_row(queue, request_id)
    claimed: Claim | None = None
    if not found.decision:
        try:
            claimed = queue.claim_for(request_id, user.name)
        except Refused as exc:
            raise HTTPException(409, str(exc)) from None
    return ItemDetail.opened(found, clock(), claimed, audit.prompt_of(request_id))


@router.get("/items/{request_id}/preview", response_class=Response, responses={**PNG, 404: {"model": Message}})
def preview(request_id: str, user: CurrentUser, queue: QueueDep, blobs: BlobsDep) -> Response:
    """The redacted preview: faces and PII text the rules fired on are covered."""
    return blob_response(blobs, review_row(queue, request_id).item.preview, "preview")


@router.get(
    "/items/{request_id}/image",
    response_class=Response,
    responses={**PNG, 403: {"model": Message}, 404: {"model": Message}},
)
async def unredacted(
    request_id: str, user: CurrentUser, queue: QueueDep, audit: AuditDep, blobs: BlobsDep, sender: SenderDep
) -> Response:
    """The unredacted image: leads and admins only; every view is recorded in the audit store."""
    if not user.role.sees_unredacted:
        raise HTTPException(403, f"role {user.role.value} may not see unredacted images; ask a lead")
    found = await run_in_threadpool(review_row, queue, request_id)
    response = await run_in_threadpool(blob_response, blobs, found.item.image, "image")
    view = AuditEvent(
        request_id=request_id,
        stage="review",
        action="viewed_unredacted",
        reason=f"{user.name} ({user.role.value}) viewed the unredacted image",
        tenant=found.tenant,
        user=found.item.user,
        actor=user.name,
        event_id=str(uuid.uuid4()),
    )
    await run_in_threadpool(audit.record, view)
    await sender.send(topics.AUDIT, request_id, view.to_bytes())
    return response
