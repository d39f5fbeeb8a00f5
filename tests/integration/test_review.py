"""The review service over the real stack: access control, decisions back into the stream, audit, erasure."""

from __future__ import annotations

import json
import re
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from streams.blobs import BlobNotFound, open_blob_store
from streams.client import ModstreamClient
from streams.config import Settings
from streams.events import BlobRef
from streams.privacy import pseudonymise
from streams.stack import Stack
from tests.images import SAMPLES
from tests.integration.conftest import PASSWORD, Reviewers, cli, outcome_after_review, queued, run, submit_for_review

pytestmark = pytest.mark.integration


def test_every_endpoint_but_health_metrics_and_login_needs_credentials(
    settings: Settings, reviewers: Reviewers
) -> None:
    anonymous = reviewers.api(settings)
    spec = anonymous.get("/openapi.json").json()
    operations = [(method, path) for path, methods in spec["paths"].items() for method in methods]
    assert len(operations) >= 9
    for method, path in operations:
        if path in ("/health", "/metrics", "/api/login"):
            continue
        url = re.sub(r"\{[^}]+\}", "some-id", path)
        for headers in ({}, {"Authorization": "Bearer msr_not-a-token"}, {"Cookie": "modstream_session=forged"}):
            assert anonymous.request(method, url, headers=headers).status_code == 401, (method, path, headers)
    assert anonymous.get("/health").status_code == 200
    assert anonymous.post("/api/login", json={"username": "rita", "password": "wrong"}).status_code == 401


def test_only_leads_see_unredacted_images_and_each_view_is_audited(settings: Settings, reviewers: Reviewers) -> None:
    (request_id,) = run(submit_for_review(settings, "t-unredacted"))
    queued(reviewers.api(settings, "rita"), "t-unredacted", 1)
    rita, lena = reviewers.api(settings, "rita"), reviewers.api(settings, "lena")
    assert rita.get(f"/api/items/{request_id}/preview").status_code == 200
    refused = rita.get(f"/api/items/{request_id}/image")
    assert refused.status_code == 403 and "ask a lead" in refused.json()["detail"]
    seen = lena.get(f"/api/items/{request_id}/image")
    assert seen.status_code == 200 and seen.headers["content-type"] == "image/png"
    history = lena.get(f"/api/audit/{request_id}").json()
    assert [(h["action"], h["actor"]) for h in history if h["action"] == "viewed_unredacted"] == [
        ("viewed_unredacted", "lena")
    ]


def test_two_reviewers_deciding_one_item_one_decision_applies(settings: Settings, reviewers: Reviewers) -> None:
    (request_id,) = run(submit_for_review(settings, "t-race"))
    queued(reviewers.api(settings, "rita"), "t-race", 1)

    def decide(name: str) -> httpx.Response:
        body = {"action": "approve"} if name == "rita" else {"action": "reject", "reason_code": "NOT_OK"}
        return reviewers.api(settings, name).post(f"/api/items/{request_id}/decision", json=body)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(decide, ["rita", "bob"]))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    (refusal,) = [a for a in answers if a.status_code == 409]
    assert "already decided" in refusal.json()["detail"] or "claimed by" in refusal.json()["detail"]
    winner = next(a.json() for a in answers if a.status_code == 200)
    outcome = outcome_after_review(settings, request_id)
    assert outcome["status"] == ("published" if winner["action"] == "approve" else "rejected")


def test_audit_history_lists_every_step_in_order_and_survives_a_restart(
    stack: Stack, settings: Settings, reviewers: Reviewers
) -> None:
    (request_id,) = run(submit_for_review(settings, "t-history"))
    queued(reviewers.api(settings, "rita"), "t-history", 1)
    token = {"MODSTREAM_REVIEW_TOKEN": reviewers.tokens["rita"]}
    assert request_id in cli(settings, "review", "list", "--tenant", "t-history", extra_env=token)
    shown = json.loads(cli(settings, "review", "show", request_id, "--json", extra_env=token))
    assert shown["prompt"].startswith("a harbour in the style of") and shown["item"]["evidence"]
    cli(settings, "review", "approve", request_id, "--reason", "fine art", extra_env=token)
    assert outcome_after_review(settings, request_id)["status"] == "published"

    steps = ["screen:passed", "generate:generated", "moderate:review", "outcomes:review", "review:approve",
             "outcomes:published"]  # fmt: skip

    def history() -> list[str]:
        recorded = json.loads(cli(settings, "audit", request_id, "--json"))
        return [f"{h['stage']}:{h['action']}" for h in recorded]

    for _ in range(100):
        if history() == steps:
            break
        time.sleep(0.3)  # the review service's feed of the audit topic is a moment behind
    assert history() == steps
    stack.parts["review"].stop()
    stack.restart_review_service()
    api = reviewers.api(settings, "rita")
    assert [f"{h['stage']}:{h['action']}" for h in api.get(f"/api/audit/{request_id}").json()] == steps
    assert api.get(f"/api/audit/{request_id}").json()[-2]["actor"] == "rita"


async def submit_upload(settings: Settings, data: bytes, user_id: str, tenant: str, prompt: str | None = None) -> str:
    async with ModstreamClient(settings) as client:
        return await client.submit_image(data, user_id=user_id, tenant=tenant, prompt=prompt)


def test_erase_leaves_nothing_of_the_user_in_the_store_or_the_blob_store(
    settings: Settings, reviewers: Reviewers
) -> None:
    request_ids = run(submit_for_review(settings, "t-erase", count=2, user_id="erase-me"))
    refused = run(submit_upload(settings, b"not an image of erase-me", "erase-me", "t-erase"))
    # The same photo from two users: the blob store holds it once, and erasing one user keeps the other's.
    photo, prompt = (SAMPLES / "coffee.jpg").read_bytes(), "a cup in the style of Greg Rutkowski"
    shared = [run(submit_upload(settings, photo, user, "t-erase-shared", prompt)) for user in ("erase-me", "keep-me")]
    lena = reviewers.api(settings, "lena")
    queued(lena, "t-erase-shared", 2)
    kept_image = lena.get(f"/api/items/{shared[1]}/image").content
    assert kept_image == lena.get(f"/api/items/{shared[0]}/image").content
    items = queued(lena, "t-erase", 2)
    deadline = time.monotonic() + 60  # the refused upload is dead-lettered; only its audit event names its blob
    while (refusal := lena.get(f"/api/audit/{refused}")).status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.3)
    assert [h["action"] for h in refusal.json()] == ["refused_input"]
    request_ids += [refused, shared[0]]
    images = [
        BlobRef(**ref) for i in items for ref in [lena.get(f"/api/items/{i['request_id']}").json()["item"]["preview"]]
    ]
    history = [h for r in request_ids for h in lena.get(f"/api/audit/{r}").json()]
    images += [BlobRef(**ref) for h in history for ref in h["images"]]
    assert len(images) >= 4 and any(h["prompt"] for h in history)
    pseudonym = pseudonymise("erase-me", settings.hmac_key())

    report = json.loads(cli(settings, "erase", "--user", pseudonym, "--json"))
    assert sorted(report["requests"]) == sorted(request_ids)
    blobs = open_blob_store(settings.blob_location)
    kept = [BlobRef(**ref) for h in lena.get(f"/api/audit/{shared[1]}").json() for ref in h["images"]]
    assert kept and all(blobs.get(image) for image in kept)  # keep-me's record names them
    for image in images:
        if image not in kept:
            with pytest.raises(BlobNotFound):
                blobs.get(image)
    for request_id in request_ids:
        assert lena.get(f"/api/items/{request_id}").status_code == 404
        assert all(h["prompt"] is None and h["images"] == [] for h in lena.get(f"/api/audit/{request_id}").json())
    erasure = lena.get(f"/api/audit/erasure:{pseudonym}").json()
    assert [h["action"] for h in erasure] == ["erased"]
    still = lena.get(f"/api/items/{shared[1]}/image")
    assert still.status_code == 200 and still.content == kept_image
    assert any("another user" in left["why"] for left in report["left"]), report["left"]


def test_console_sessions_need_the_csrf_token_to_change_anything(settings: Settings, reviewers: Reviewers) -> None:
    (request_id,) = run(submit_for_review(settings, "t-csrf"))
    queued(reviewers.api(settings, "rita"), "t-csrf", 1)
    browser = reviewers.api(settings)
    login = browser.post("/api/login", json={"username": "rita", "password": PASSWORD})
    assert login.status_code == 200 and "httponly" in login.headers["set-cookie"].lower()
    csrf = login.json()["csrf_token"]
    assert browser.get("/api/queue", params={"tenant": "t-csrf"}).status_code == 200
    decision = f"/api/items/{request_id}/decision"
    forged = browser.post(decision, json={"action": "approve"})
    assert forged.status_code == 403 and "X-CSRF-Token" in forged.json()["detail"]
    assert browser.post(decision, json={"action": "approve"}, headers={"X-CSRF-Token": csrf}).status_code == 200
    assert browser.post("/api/logout", headers={"X-CSRF-Token": csrf}).status_code == 200
    assert browser.get("/api/queue").status_code == 401


def _rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1)) / 1024  # type: ignore[union-attr]


def test_a_64_mib_body_gets_413_and_the_service_does_not_grow(stack: Stack, settings: Settings) -> None:
    review = stack.parts["review"].process.pid
    body = b'{"username": "rita", "password": "' + b"x" * (64 * 1024 * 1024) + b'"}'
    with httpx.Client(base_url=settings.review_base_url, timeout=30) as client:
        answer = client.post("/api/login", content=body, headers={"content-type": "application/json"})
        assert answer.status_code == 413 and "over 65536 bytes" in answer.json()["detail"]
        assert client.get("/health").status_code == 200
    assert _rss_mb(review) < 300
