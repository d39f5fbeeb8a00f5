"""The review queue: items waiting for a person, claims, and the one decision each item gets."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from pydantic import BaseModel, ConfigDict
from sqlalchemy import ColumnElement, Engine, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite

from streams.events import ReviewAction, ReviewItem
from streams.store.schema import review_items
from streams.store.timeutil import Clock, UtcTime, as_utc, now


class Refused(RuntimeError):
    """The item cannot be claimed or decided now; the message says why, for the reviewer to read."""


@dataclass(frozen=True)
class Claim:
    reviewer: str
    until: datetime


class ReviewRow(BaseModel):
    """One row of the queue, as stored: the item itself, its claim (possibly expired) and its decision."""

    model_config = ConfigDict(frozen=True)

    request_id: str
    tenant: str
    user: str
    reason_code: str | None
    priority: int
    queued_at: UtcTime
    item: ReviewItem
    claimed_by: str | None
    claimed_until: UtcTime | None
    decided_by: str | None
    decided_at: UtcTime | None
    decision: str | None
    decision_reason_code: str | None
    decision_reason: str | None

    def claimant(self, at: datetime) -> str | None:
        """Who holds the item at ``at``; None when nobody does or the claim has expired."""
        if self.claimed_until is not None and self.claimed_until > at:
            return self.claimed_by
        return None


class PendingQueue(BaseModel):
    """A page of undecided items with the counts of all of them, by reason code, and the oldest one's age."""

    model_config = ConfigDict(frozen=True)

    items: list[ReviewRow]
    count: int
    by_reason: dict[str, int]
    oldest_age_s: float | None


RECHECK = ReviewAction.RECHECK.value
# What a new round of checks clears: the claim and the decision of the round before.
DECISION_COLUMNS = ("claimed_by", "claimed_until", "decided_by", "decided_at", "decision", "decision_reason_code",
                    "decision_reason")  # fmt: skip


class ReviewQueue:
    def __init__(self, engine: Engine, claim_s: float = 300.0, clock: Clock = now) -> None:
        self.engine = engine
        self.claim = timedelta(seconds=claim_s)
        self.clock = clock

    def add(self, item: ReviewItem, priority: int = 0) -> bool:
        """Queue ``item`` once; False when it was already there (a redelivery). An item that a reviewer sent
        to be checked again is queued afresh, undecided, when the next round's item (queued later) comes."""
        dialect = postgresql if self.engine.dialect.name == "postgresql" else sqlite
        values = {
            "tenant": item.tenant,
            "user": item.user,
            "reason_code": item.reason_code,
            "priority": priority,
            "queued_at": item.queued_at,
            "item": item.model_dump(mode="json"),
        }
        insert = dialect.insert(review_items).values(request_id=item.request_id, **values)
        statement = insert.on_conflict_do_update(
            index_elements=["request_id"],
            set_={**values, **{column: None for column in DECISION_COLUMNS}},
            where=(review_items.c.decision == RECHECK) & (review_items.c.queued_at < item.queued_at),
        ).returning(review_items.c.request_id)
        with self.engine.begin() as connection:
            return connection.execute(statement).first() is not None

    def pending(self, reason_code: str | None = None, tenant: str | None = None, limit: int = 100) -> PendingQueue:
        """Undecided items, highest priority first and then oldest first, with counts and the oldest age."""
        where: list[ColumnElement[bool]] = [review_items.c.decided_at.is_(None)]
        if reason_code:
            where.append(review_items.c.reason_code == reason_code)
        if tenant:
            where.append(review_items.c.tenant == tenant)
        query = (
            select(review_items)
            .where(*where)
            .order_by(review_items.c.priority.desc(), review_items.c.queued_at, review_items.c.request_id)
            .limit(limit)
        )
        counts_query = (
            select(review_items.c.reason_code, func.count(), func.min(review_items.c.queued_at))
            .where(*where)
            .group_by(review_items.c.reason_code)
        )
        with self.engine.connect() as connection:
            rows = connection.execute(query).mappings().all()
            counts = connection.execute(counts_query).all()
        oldest = min((as_utc(first) for _, _, first in counts), default=None)
        return PendingQueue(
            items=[ReviewRow.model_validate(dict(row)) for row in rows],
            count=sum(count for _, count, _ in counts),
            by_reason={code or "": count for code, count, _ in counts},
            oldest_age_s=round((self.clock() - oldest).total_seconds(), 1) if oldest else None,
        )

    def get(self, request_id: str) -> ReviewRow | None:
        query = select(review_items).where(review_items.c.request_id == request_id)
        with self.engine.connect() as connection:
            row = connection.execute(query).mappings().first()
        return None if row is None else ReviewRow.model_validate(dict(row))

    def _refusal(self, request_id: str) -> Refused:
        found = self.get(request_id)
        if found is None:
            return Refused(f"no review item {request_id}")
        if found.decision:
            decided_at = found.decided_at.isoformat() if found.decided_at else None
            return Refused(
                f"already decided: {found.decision} by {found.decided_by} at {decided_at}; nothing was changed"
            )
        claimant = found.claimant(self.clock()) or found.claimed_by
        return Refused(f"claimed by {claimant}: open another item or wait until the claim expires")

    def _open_to(self, reviewer: str, at: datetime) -> Any:
        return and_(
            review_items.c.decided_at.is_(None),
            or_(
                review_items.c.claimed_by.is_(None),
                review_items.c.claimed_by == reviewer,
                review_items.c.claimed_until < at,
            ),
        )

    def _change_if_open(self, request_id: str, reviewer: str, at: datetime, **values: Any) -> None:
        """One conditional UPDATE of an item open to ``reviewer``; Refused when it changed nothing."""
        with self.engine.begin() as connection:
            changed = connection.execute(
                update(review_items)
                .where(review_items.c.request_id == request_id, self._open_to(reviewer, at))
                .values(**values)
            ).rowcount
        if not changed:
            raise self._refusal(request_id)

    def claim_for(self, request_id: str, reviewer: str) -> Claim:
        """Lock the item for ``reviewer`` (renewed when they hold it); Refused when another holds it."""
        at = self.clock()
        until = at + self.claim
        self._change_if_open(request_id, reviewer, at, claimed_by=reviewer, claimed_until=until)
        return Claim(reviewer, until)

    def decide(self, request_id: str, reviewer: str, decision: str, reason_code: str | None, reason: str) -> None:
        """Record the item's one decision; Refused when it was decided already or another reviewer holds it.

        One conditional UPDATE: of two reviewers deciding at once, exactly one changes the row.
        """
        at = self.clock()
        self._change_if_open(
            request_id,
            reviewer,
            at,
            decided_by=reviewer,
            decided_at=at,
            decision=decision,
            decision_reason_code=reason_code,
            decision_reason=reason,
        )

    def undo_decision(self, request_id: str, reviewer: str) -> None:
        """Take back a decision that could not be sent on, so that it can be taken again."""
        with self.engine.begin() as connection:
            connection.execute(
                update(review_items)
                .where(review_items.c.request_id == request_id, review_items.c.decided_by == reviewer)
                .values(
                    decided_by=None, decided_at=None, decision=None, decision_reason_code=None, decision_reason=None
                )
            )
