"""The review API's request and response bodies, and how store rows become them (the presentation)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel, Field, PlainSerializer

from streams.events import ReviewAction, ReviewItem
from streams.store import AuditRecord, Claim, PendingQueue, ReviewRow


def _iso(value: datetime) -> str:
    return value.isoformat()


IsoTime = Annotated[datetime, PlainSerializer(_iso, return_type=str, when_used="json")]
"""A time as ``datetime.isoformat`` writes it (``2026-11-22T09:00:00+00:00``), as the API always has."""


class Message(BaseModel):
    detail: str


class Health(BaseModel):
    status: str


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


def _entry_fields(row: ReviewRow, at: datetime) -> dict[str, Any]:
    return {
        "request_id": row.request_id,
        "tenant": row.tenant,
        "reason_code": row.reason_code,
        "reason": row.item.reason,
        "priority": row.priority,
        "queued_at": row.queued_at,
        "claimed_by": row.claimant(at),
        "decision": row.decision,
        "decided_by": row.decided_by,
    }


class QueueEntry(BaseModel):
    """An item in the queue; ``claimed_by`` names a reviewer only while their claim lasts."""

    request_id: str
    tenant: str
    reason_code: str | None
    reason: str
    priority: int
    queued_at: IsoTime
    claimed_by: str | None
    decision: str | None
    decided_by: str | None

    @classmethod
    def of(cls, row: ReviewRow, at: datetime) -> QueueEntry:
        return cls(**_entry_fields(row, at))


class QueuePage(BaseModel):
    items: list[QueueEntry]
    count: int = Field(description="Undecided items that match, on this page or not.")
    by_reason: dict[str, int]
    oldest_age_s: float | None

    @classmethod
    def of(cls, pending: PendingQueue, at: datetime) -> QueuePage:
        return cls(
            items=[QueueEntry.of(row, at) for row in pending.items],
            count=pending.count,
            by_reason=pending.by_reason,
            oldest_age_s=pending.oldest_age_s,
        )


class ItemDetail(QueueEntry):
    """An item as the API shows it; ``claimed_until`` only in the answer to a claim of an undecided item."""

    item: ReviewItem
    decided_at: IsoTime | None
    decision_reason_code: str | None
    decision_reason: str | None
    claimed_until: IsoTime | None = None
    prompt: str | None = Field(description="The prompt as the audit store holds it (PII-redacted).")

    @classmethod
    def opened(cls, row: ReviewRow, at: datetime, claim: Claim | None, prompt: str | None) -> ItemDetail:
        fields = _entry_fields(row, at)
        if claim is not None:  # leaving claimed_until unset otherwise keeps it out of the response
            fields.update(claimed_by=claim.reviewer, claimed_until=claim.until)
        return cls(
            **fields,
            item=row.item,
            decided_at=row.decided_at,
            decision_reason_code=row.decision_reason_code,
            decision_reason=row.decision_reason,
            prompt=prompt,
        )


class AuditStep(AuditRecord):
    """One recorded step of a request: the audit store's record, its time written as the API always has."""

    at: IsoTime

    @classmethod
    def of(cls, record: AuditRecord) -> AuditStep:
        return cls.model_validate(record, from_attributes=True)
