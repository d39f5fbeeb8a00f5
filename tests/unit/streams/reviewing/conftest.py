"""The review service's app on a SQLite store in a temp dir, with a list in place of its Kafka producer.

``TestClient`` is used without ``with``, so the app's lifespan (the Kafka producer and the feed of the
store from Kafka) never starts: nothing here needs a broker or Triton.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from streams import topics
from streams.config import Settings
from streams.events import ReviewDecision, ReviewItem
from streams.reviewing.api.deps import get_sender
from streams.reviewing.service import create_app
from streams.reviewing.services import Services
from streams.store import Role

PASSWORD = "correct horse battery"
ACCOUNTS = {"rita": Role.REVIEWER, "bob": Role.REVIEWER, "lena": Role.LEAD}
IMAGE, PREVIEW = b"\x89PNG\r\n\x1a\n unredacted", b"\x89PNG\r\n\x1a\n redacted"  # PNG signatures


@dataclass
class FakeSender:
    """Collects what the service sends to Kafka; ``failing`` makes the broker refuse."""

    sent: list[tuple[str, str, bytes]] = field(default_factory=list)
    failing: bool = False

    async def send(self, topic: str, key: str, value: bytes) -> None:
        if self.failing:
            raise ConnectionError("the broker is away")
        self.sent.append((topic, key, value))

    def decisions(self) -> list[ReviewDecision]:
        return [ReviewDecision.from_bytes(value) for topic, _, value in self.sent if topic == topics.REVIEW_DECISIONS]


@dataclass
class Review:
    """The app under test, its services, its fake sender and one API token per account in ``ACCOUNTS``."""

    app: FastAPI
    sender: FakeSender
    tokens: dict[str, str]

    @property
    def services(self) -> Services:
        services: Services = self.app.state.services
        return services

    def client(self, name: str | None = None) -> TestClient:
        """An API client with ``name``'s token; without a name, a browser with no credentials."""
        headers = {"Authorization": f"Bearer {self.tokens[name]}"} if name else {}
        return TestClient(self.app, headers=headers)

    def browser(self, name: str) -> tuple[TestClient, str]:
        """A console login: the client holds the session cookie; returns it and its CSRF token."""
        browser = TestClient(self.app)
        login = browser.post("/api/login", json={"username": name, "password": PASSWORD})
        assert login.status_code == 200, login.text
        return browser, login.json()["csrf_token"]

    def queue(self, request_id: str, image: bool = True, preview: bool = True) -> ReviewItem:
        blobs = self.services.blobs
        item = ReviewItem(
            request_id=request_id, tenant="t", user="u_1", submitted_at=datetime.now(UTC), stage="moderate",
            reason="face", reason_code="FACE_IN_IMAGE",
            image=blobs.put(IMAGE, "image/png") if image else None,
            preview=blobs.put(PREVIEW, "image/png") if preview else None,
        )  # fmt: skip
        assert self.services.queue.add(item)
        return item


@pytest.fixture
def review(tmp_path: Path) -> Review:
    settings = Settings(
        data_dir=tmp_path, database_url=f"sqlite:///{tmp_path / 'store.db'}", blob_url=(tmp_path / "blobs").as_uri()
    )
    app = create_app(settings)
    sender = FakeSender()
    app.dependency_overrides[get_sender] = lambda: sender
    services: Services = app.state.services
    tokens = {name: services.accounts.add(name, role, PASSWORD) for name, role in ACCOUNTS.items()}
    return Review(app, sender, tokens)
