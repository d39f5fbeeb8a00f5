"""What the review service's endpoints use, opened once at start-up; the API reaches it through dependencies."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field

from fastapi import FastAPI
from sqlalchemy import Engine

from streams import background, metrics
from streams.authentication import DecisionSigner, MessageAuthenticator
from streams.blobs import BlobStore, open_blob_store
from streams.config import Settings
from streams.policy import PolicyStore
from streams.reviewing.ingest import ingest
from streams.reviewing.sender import KafkaSender
from streams.reviewing.throttle import LoginThrottle
from streams.store import Accounts, AuditStore, ReviewQueue, open_database
from streams.store.timeutil import Clock, now


def open_accounts(settings: Settings, engine: Engine, clock: Clock = now) -> Accounts:
    """The reviewer accounts with the credential lifetimes ``settings`` give."""
    return Accounts(
        engine,
        session_hours=settings.review_session_hours,
        idle_minutes=settings.review_session_idle_minutes,
        token_days=settings.review_token_days,
        clock=clock,
    )


@dataclass
class Services:
    """The stores, the policy, the blob store, the Kafka sender and the clock (one for the store and the API)."""

    settings: Settings
    audit: AuditStore
    queue: ReviewQueue
    accounts: Accounts
    policy: PolicyStore
    blobs: BlobStore
    sender: KafkaSender
    decision_signer: DecisionSigner
    authenticator: MessageAuthenticator
    login_throttle: LoginThrottle = field(default_factory=LoginThrottle)
    clock: Clock = now

    @classmethod
    def open(cls, settings: Settings, clock: Clock = now) -> Services:
        """The store (migrated), the policy and the blob store; the Kafka producer starts with the app."""
        engine = open_database(settings.database)
        authenticator = settings.message_authenticator()
        return cls(
            settings=settings,
            audit=AuditStore(engine),
            queue=ReviewQueue(engine, claim_s=settings.review_claim_s, clock=clock),
            accounts=open_accounts(settings, engine, clock),
            policy=PolicyStore(settings.policy_path),
            blobs=open_blob_store(settings.blob_location, settings.s3_endpoint_url),
            sender=KafkaSender(settings.kafka(), authenticator),
            decision_signer=DecisionSigner.load(settings.review_signing_key_file, settings.review_signing_key is None),
            authenticator=authenticator,
            clock=clock,
        )


def running(services: Services) -> Callable[[FastAPI], AbstractAsyncContextManager[None]]:
    """The app's lifespan: the producer, the feed of the ``audit`` and ``review`` topics into the store, and
    the event-loop lag watch."""

    @contextlib.asynccontextmanager
    async def lifespan(_: FastAPI) -> AsyncIterator[None]:
        await services.sender.start()
        if not services.settings.metrics_enabled:
            metrics.disable()
        feed = ingest(
            services.settings.kafka(), services.audit, services.queue, services.policy, services.authenticator
        )
        try:
            async with background.running(feed, metrics.watch_event_loop()):
                yield
        finally:
            await services.sender.stop()

    return lifespan
