"""The queue, reading and claiming items, images by role, and decisions sent through the (fake) producer."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from modstream_models.catalogue import FindingKind
from streams import topics
from streams.authentication import decision_statement
from streams.events import Action, AuditEvent, Context, Evidence, Finding
from streams.reviewing.api.deps import get_clock
from tests.unit.streams.reviewing.conftest import IMAGE, PREVIEW, Review


def test_the_queue_lists_undecided_items_with_who_holds_them(review: Review) -> None:
    first, _ = review.queue("r1"), review.queue("r2")
    rita = review.client("rita")
    assert rita.post("/api/items/r1/claim").status_code == 200
    queue = rita.get("/api/queue").json()
    assert queue["count"] == 2 and queue["by_reason"] == {"FACE_IN_IMAGE": 2} and queue["oldest_age_s"] >= 0
    assert [(i["request_id"], i["claimed_by"]) for i in queue["items"]] == [("r1", "rita"), ("r2", None)]
    assert queue["items"][0] == {
        "request_id": "r1", "tenant": "t", "reason_code": "FACE_IN_IMAGE", "reason": "face", "priority": 0,
        "queued_at": first.queued_at.isoformat(), "claimed_by": "rita", "decision": None, "decided_by": None,
    }  # fmt: skip
    assert rita.get("/api/queue", params={"limit": 0}).status_code == 422


def test_the_queue_names_a_claimant_only_while_the_claim_lasts(review: Review) -> None:
    review.queue("r1")
    review.client("rita").post("/api/items/r1/claim")
    later = datetime.now(UTC) + timedelta(hours=1)
    review.app.dependency_overrides[get_clock] = lambda: lambda: later
    assert review.client("bob").get("/api/queue").json()["items"][0]["claimed_by"] is None


def test_a_claimed_item_is_locked_for_its_reviewer(review: Review) -> None:
    item = review.queue("r1")
    review.services.audit.record(AuditEvent(request_id="r1", stage="screen", action="passed", reason="ok",
                                            prompt="a <PERSON> at sea"))  # fmt: skip
    opened = review.client("rita").post("/api/items/r1/claim").json()
    assert opened["item"] == item.model_dump(mode="json") and opened["prompt"] == "a <PERSON> at sea"
    assert opened["claimed_by"] == "rita" and opened["claimed_until"] > opened["queued_at"]
    refused = review.client("bob").post("/api/items/r1/claim")
    assert refused.status_code == 409 and "claimed by rita" in refused.json()["detail"]
    assert review.client("bob").post("/api/items/missing/claim").status_code == 404


def test_reading_an_item_claims_nothing(review: Review) -> None:
    """A GET changes no state: a link preview, a prefetch or a crawler must not lock items."""
    review.queue("r1")
    read = review.client("rita").get("/api/items/r1")
    assert read.status_code == 200 and read.json()["claimed_by"] is None and "claimed_until" not in read.json()
    assert review.client("bob").post("/api/items/r1/claim").json()["claimed_by"] == "bob"
    assert review.client("rita").get("/api/items/r1").json()["claimed_by"] == "bob"
    assert review.client("rita").get("/api/items/missing").status_code == 404


def test_a_decided_item_opens_without_a_claim(review: Review) -> None:
    review.queue("r1")
    review.client("rita").post("/api/items/r1/decision", json={"action": "reject", "reason_code": "NUDITY"})
    opened = review.client("bob").get("/api/items/r1").json()
    assert opened["decision"] == "reject" and opened["decided_by"] == "rita"
    assert opened["decision_reason_code"] == "NUDITY" and "claimed_until" not in opened


def test_reviewers_see_the_preview_but_not_the_unredacted_image(review: Review) -> None:
    review.queue("r1")
    rita = review.client("rita")
    preview = rita.get("/api/items/r1/preview")
    assert preview.content == PREVIEW and preview.headers["content-type"] == "image/png"
    assert preview.headers["cache-control"] == "no-store"
    refused = rita.get("/api/items/r1/image")
    assert refused.status_code == 403 and "ask a lead" in refused.json()["detail"]
    assert rita.get("/api/items/missing/image").status_code == 403
    assert review.sender.sent == [] and review.services.audit.history("r1") == []


def test_a_lead_sees_the_unredacted_image_and_each_view_is_audited(review: Review) -> None:
    review.queue("r1")
    lena = review.client("lena")
    for _ in range(2):
        seen = lena.get("/api/items/r1/image")
        assert seen.content == IMAGE and seen.headers["content-type"] == "image/png"
    views = [h for h in lena.get("/api/audit/r1").json() if h["action"] == "viewed_unredacted"]
    assert [(h["actor"], h["stage"], h["tenant"], h["user"]) for h in views] == [("lena", "review", "t", "u_1")] * 2
    sent = [AuditEvent.from_bytes(value) for topic, key, value in review.sender.sent if topic == topics.AUDIT]
    assert [(e.request_id, e.actor) for e in sent] == [("r1", "lena")] * 2 and sent[0].event_id != sent[1].event_id
    assert lena.get("/api/audit/missing").status_code == 404


@pytest.mark.parametrize(
    ("body", "sent"),
    [
        ({"action": "approve", "reason": "fine art"}, ("approve", None, "fine art")),
        ({"action": "reject", "reason_code": "STYLE_NOT_ALLOWED"}, ("reject", "STYLE_NOT_ALLOWED", "")),
        ({"action": "redact_approve"}, ("redact_approve", None, "")),
    ],
)
def test_a_decision_is_recorded_and_sent(review: Review, body: dict[str, str], sent: tuple[str, str, str]) -> None:
    item = review.queue("r1")
    applied = review.client("rita").post("/api/items/r1/decision", json=body)
    assert applied.json() == {"request_id": "r1", "action": body["action"], "reviewer": "rita"}
    (decision,) = review.sender.decisions()
    assert (decision.action, decision.reason_code, decision.reason) == sent
    assert decision.reviewer == "rita" and decision.item == item and review.sender.sent[0][1] == "r1"
    stored = review.services.queue.get("r1")
    assert stored is not None and (stored.decision, stored.decided_by) == (body["action"], "rita")
    # signed by the review service's key, as the worker checks it before applying anything
    statement = decision_statement("r1", decision.action, "rita", item)
    review.services.decision_signer.verifier().verify(statement, decision.signature)


def test_two_reviewers_deciding_one_item_one_decision_applies(review: Review) -> None:
    review.queue("r1")

    def decide(name: str) -> httpx.Response:
        body = {"action": "approve"} if name == "rita" else {"action": "reject", "reason_code": "NOT_OK"}
        return review.client(name).post("/api/items/r1/decision", json=body)

    with ThreadPoolExecutor(2) as pool:
        answers = list(pool.map(decide, ["rita", "bob"]))
    assert sorted(a.status_code for a in answers) == [200, 409], [a.text for a in answers]
    (refusal,) = [a.json()["detail"] for a in answers if a.status_code == 409]
    assert "already decided" in refusal or "claimed by" in refusal
    (decision,) = review.sender.decisions()
    assert decision.reviewer == next(a.json()["reviewer"] for a in answers if a.status_code == 200)


def test_an_item_takes_one_decision_and_a_claim_locks_it(review: Review) -> None:
    review.queue("r1")
    assert review.client("rita").post("/api/items/r1/claim").status_code == 200
    held = review.client("bob").post("/api/items/r1/decision", json={"action": "approve"})
    assert held.status_code == 409 and "claimed by rita" in held.json()["detail"]
    assert review.client("rita").post("/api/items/r1/decision", json={"action": "approve"}).status_code == 200
    again = review.client("rita").post("/api/items/r1/decision", json={"action": "reject"})
    assert again.status_code == 409 and "already decided: approve by rita" in again.json()["detail"]
    assert len(review.sender.decisions()) == 1


def test_what_an_item_lacks_cannot_be_published(review: Review) -> None:
    review.queue("bare", image=False, preview=False)
    rita = review.client("rita")
    for action, lacking in (("approve", "no image"), ("redact_approve", "no redacted preview")):
        refused = rita.post("/api/items/bare/decision", json={"action": action})
        assert refused.status_code == 409 and lacking in refused.json()["detail"]
    assert rita.get("/api/items/bare/preview").status_code == 404
    assert rita.post("/api/items/missing/decision", json={"action": "reject"}).status_code == 404
    assert (
        rita.post("/api/items/bare/decision", json={"action": "reject", "reason_code": "bad code"}).status_code == 422
    )
    assert rita.post("/api/items/bare/decision", json={"action": "reject"}).status_code == 200


def test_a_decision_the_broker_refuses_does_not_count(review: Review) -> None:
    review.queue("r1")
    review.sender.failing = True
    refused = review.client("rita").post("/api/items/r1/decision", json={"action": "approve"})
    assert refused.status_code == 503 and "could not be sent" in refused.json()["detail"]
    assert review.services.queue.get("r1").decision is None
    review.sender.failing = False
    assert review.client("rita").post("/api/items/r1/decision", json={"action": "approve"}).status_code == 200


def test_a_preview_that_is_not_an_image_is_not_served_whatever_type_it_declares(review: Review) -> None:
    page = review.services.blobs.put(b"<html><script>alert(1)</script></html>", "text/html")
    item = review.queue("r1")
    review.services.queue.add(item.model_copy(update={"request_id": "r2", "preview": page}))
    answer = review.client("rita").get("/api/items/r2/preview")
    assert answer.status_code == 415 and "not served" in answer.json()["detail"]
    assert review.client("rita").get("/api/items/r1/preview").headers["content-type"] == "image/png"


def test_only_who_may_see_an_image_unredacted_may_publish_it_unredacted(review: Review) -> None:
    face = Evidence(
        rule="faces", context=Context.OUTPUT, action=Action.REVIEW, reason_code="FACE_IN_IMAGE", threshold=0.9,
        finding=Finding(kind=FindingKind.FACE, label="face", score=0.99, box=(1, 1, 9, 9), model="faces",
                        model_version="1"),
    )  # fmt: skip
    item = review.queue("r1")
    review.services.queue.add(item.model_copy(update={"request_id": "r2", "evidence": [face]}))
    refused = review.client("rita").post("/api/items/r2/decision", json={"action": "approve"})
    assert refused.status_code == 403 and "redact and approve" in refused.json()["detail"]
    assert review.client("rita").post("/api/items/r2/decision", json={"action": "redact_approve"}).status_code == 200
    assert review.client("rita").post("/api/items/r1/decision", json={"action": "approve"}).status_code == 200
    review.services.queue.add(item.model_copy(update={"request_id": "r3", "evidence": [face]}))
    assert review.client("lena").post("/api/items/r3/decision", json={"action": "approve"}).status_code == 200
    unseen = item.model_copy(update={"request_id": "r4", "preview": None, "reason_code": "CHECKS_UNAVAILABLE"})
    review.services.queue.add(unseen)  # no preview: nobody without sight of the image has seen it
    assert review.client("rita").post("/api/items/r4/decision", json={"action": "approve"}).status_code == 403
    assert [d.action for d in review.sender.decisions()] == ["redact_approve", "approve", "approve"]


def test_checks_that_did_not_run_can_be_run_again_and_only_those(review: Review) -> None:
    item = review.queue("r1")
    unchecked = item.model_copy(update={"request_id": "r2", "reason_code": "CHECKS_UNAVAILABLE"})
    review.services.queue.add(unchecked)
    rita = review.client("rita")
    refused = rita.post("/api/items/r1/decision", json={"action": "recheck"})  # its checks ran: FACE_IN_IMAGE
    assert refused.status_code == 409 and "did not run" in refused.json()["detail"]
    assert rita.post("/api/items/r2/decision", json={"action": "recheck"}).status_code == 200
    (sent,) = review.sender.decisions()
    assert sent.action == "recheck" and sent.item.request_id == "r2"
    for name, fields in {"r3": {"image": None}, "r4": {"rechecks": 3}}.items():
        review.services.queue.add(unchecked.model_copy(update={"request_id": name, **fields}))
        assert rita.post(f"/api/items/{name}/decision", json={"action": "recheck"}).status_code == 409
