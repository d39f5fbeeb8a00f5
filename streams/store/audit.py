"""The audit store: every decision of every stage and reviewer, looked up by request id.

Writes are idempotent. An event that may repeat on purpose (a lead viewing an unredacted image
twice) carries an ``event_id``; any other event is keyed on its request, stage, action, reason and
actor, so a redelivery from the audit topic, or a stage that re-ran after a crash, adds nothing.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter
from sqlalchemy import Connection, Engine, delete, select, update
from sqlalchemy.dialects import postgresql, sqlite

from streams.events import AuditEvent, BlobRef, Evidence
from streams.store.schema import audit_events, review_items
from streams.store.timeutil import UtcTime, as_utc

_BLOB_REFS = TypeAdapter(list[BlobRef])


class AuditRecord(BaseModel):
    """One recorded step of a request, as stored."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    at: UtcTime
    stage: str
    action: str
    reason: str
    reason_code: str | None
    tenant: str | None
    user: str | None
    actor: str | None
    prompt: str | None
    evidence: list[Evidence]
    redactions: list[str]
    images: list[BlobRef]
    policy_version: str | None
    model_versions: dict[str, str]
    watermark: str | None
    image_hash: str | None


class ErasedContent(BaseModel):
    """What an erasure took out of the store: the user's request ids, the images only their rows named (to delete),
    and those that another user's record names too (to keep: the blob store is content-addressed)."""

    model_config = ConfigDict(frozen=True)

    requests: list[str]
    images: list[BlobRef]
    shared: list[BlobRef] = []


def event_key(event: AuditEvent) -> str:
    if event.event_id:
        identity = f"id\0{event.event_id}"
    else:
        identity = "\0".join([event.request_id, event.stage, event.action, event.reason, event.actor or ""])
    return hashlib.sha256(identity.encode()).hexdigest()


def _insert_ignoring_duplicates(connection: Connection, row: dict[str, Any]) -> bool:
    """Insert ``row`` unless its event key is there; True when it was new."""
    dialect = postgresql if connection.dialect.name == "postgresql" else sqlite
    statement = (
        dialect.insert(audit_events)
        .values(**row)
        .on_conflict_do_nothing(index_elements=["event_key"])
        .returning(audit_events.c.id)
    )
    return connection.execute(statement).first() is not None


def _row(event: AuditEvent) -> dict[str, Any]:
    data = event.model_dump(mode="json")
    return {
        "event_key": event_key(event),
        "request_id": event.request_id,
        "at": event.at,
        "stage": event.stage,
        "action": event.action,
        "reason": event.reason,
        "reason_code": event.reason_code,
        "tenant": event.tenant,
        "user": event.user,
        "actor": event.actor,
        "prompt": event.prompt,
        "evidence": data["evidence"],
        "redactions": data["redactions"],
        "images": data["images"],
        "policy_version": event.policy_version,
        "model_versions": data["model_versions"],
        "watermark": event.watermark,
        "image_hash": event.image_hash,
    }


class AuditStore:
    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def record(self, event: AuditEvent) -> bool:
        """Store ``event``; False when it was already stored."""
        return self.record_all([event]) == 1

    def record_all(self, events: Sequence[AuditEvent]) -> int:
        """Store each of ``events`` not stored yet, in one transaction (one commit for a whole batch read from
        the audit topic); how many were new."""
        with self.engine.begin() as connection:
            return sum(_insert_ignoring_duplicates(connection, _row(event)) for event in events)

    def history(self, request_id: str) -> list[AuditRecord]:
        """Every recorded step of a request, oldest first."""
        query = (
            select(audit_events)
            .where(audit_events.c.request_id == request_id)
            .order_by(audit_events.c.at, audit_events.c.id)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [AuditRecord.model_validate(dict(row)) for row in rows]

    def steps_since(self, since: datetime) -> list[dict[str, Any]]:
        """Every step recorded at or after ``since`` (one query), as ``streams.stats.rates`` reads them."""
        columns = (audit_events.c.request_id, audit_events.c.at, audit_events.c.stage, audit_events.c.action,
                   audit_events.c.evidence, audit_events.c.redactions)  # fmt: skip
        query = select(*columns).where(audit_events.c.at >= since).order_by(audit_events.c.at, audit_events.c.id)
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
        return [{**row, "at": as_utc(row["at"]).isoformat()} for row in rows]

    def requests_with_watermark(self, payload: str) -> list[str]:
        """The request(s) whose published image carries this watermark payload."""
        query = select(audit_events.c.request_id).where(audit_events.c.watermark == payload).distinct()
        with self.engine.connect() as connection:
            return list(connection.execute(query).scalars())

    def prompt_of(self, request_id: str) -> str | None:
        """The request's prompt as the store holds it (PII-redacted)."""
        query = (
            select(audit_events.c.prompt)
            .where(audit_events.c.request_id == request_id, audit_events.c.prompt.is_not(None))
            .order_by(audit_events.c.at)
            .limit(1)
        )
        with self.engine.connect() as connection:
            return connection.execute(query).scalar_one_or_none()

    def erase_user(self, user: str) -> ErasedContent:
        """Remove a user's prompts, image references, evidence details, reviewers' notes and review items; returns
        their request ids and images.

        The decisions themselves stay (what happened, by which rule and reason code), without the user's content.
        """
        mine = audit_events.c.user == user
        with self.engine.begin() as connection:
            rows = connection.execute(select(audit_events.c.request_id, audit_events.c.images).where(mine)).all()
            items = connection.execute(select(review_items.c.item).where(review_items.c.user == user)).scalars().all()
            connection.execute(update(audit_events).where(mine).values(prompt=None, images=[], evidence=[]))
            # a reviewer's note may describe the image: keep who decided what, not the words
            noted = mine & audit_events.c.actor.is_not(None)
            connection.execute(update(audit_events).where(noted).values(reason="(note erased with the user's data)"))
            connection.execute(delete(review_items).where(review_items.c.user == user))
            others = _images_named(connection)
        images = [image for _, found in rows for image in _BLOB_REFS.validate_python(found)]
        for item in items:
            images += [BlobRef.model_validate(item[field]) for field in ("image", "preview") if item.get(field)]
        unique = {image.sha256: image for image in images}
        return ErasedContent(
            requests=sorted({request_id for request_id, _ in rows}),
            images=[image for digest, image in unique.items() if digest not in others],
            shared=[image for digest, image in unique.items() if digest in others],
        )


def _images_named(connection: Connection) -> set[str]:
    """The digests of every image that a record still names (read whole: erasures are rare, the scan is simple)."""
    named = {
        image.sha256
        for found in connection.execute(select(audit_events.c.images)).scalars()
        for image in _BLOB_REFS.validate_python(found)
    }
    for item in connection.execute(select(review_items.c.item)).scalars():
        named |= {item[field]["sha256"] for field in ("image", "preview") if item.get(field)}
    return named
