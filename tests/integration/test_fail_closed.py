"""Fail closed over the real stack: Triton stops while requests are in flight, then comes back."""

from __future__ import annotations

import time

import pytest

from streams.client import wait_for_ends
from streams.config import Settings
from streams.inference import PROMPT_PII_MODEL, SAFETY_MODELS
from streams.stack import Stack
from tests.images import SAMPLES
from tests.integration.conftest import (
    Reviewers,
    audit_events,
    outcome_after_review,
    run,
    submit_images,
    submit_prompts,
    triton_shared_memory,
)

pytestmark = pytest.mark.integration

EVERY_CHECK = {PROMPT_PII_MODEL, *SAFETY_MODELS}


def wait_for_a_generated_image(settings: Settings, request_ids: list[str], timeout_s: float = 120) -> None:
    """Until the first of ``request_ids`` has its image: the others are then spread over the stages."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        for request_id in request_ids:
            if any(event["stage"] == "generate" for event in audit_events(settings, request_id)):
                return
        time.sleep(0.2)
    raise AssertionError("no image was generated")


def assert_published_after_every_check(outcome: dict) -> None:
    assert set(outcome["model_versions"]) >= EVERY_CHECK, outcome["model_versions"]
    assert outcome["generator"] is not None


def test_requests_in_flight_when_triton_stops_go_to_review_and_none_is_lost(stack: Stack, settings: Settings) -> None:
    request_ids = run(submit_prompts(settings, [f"a lighthouse at dusk, study {n}" for n in range(8)]))
    wait_for_a_generated_image(settings, request_ids)
    killed = stack.parts["triton"]
    assert triton_shared_memory(killed)
    killed.kill()
    try:
        assert not triton_shared_memory(killed)  # a killed server leaves none behind in /dev/shm
        ends = run(wait_for_ends(settings, request_ids, timeout_s=120, settle_s=3))
    finally:
        stack.restart_triton()

    assert all(len(records) == 1 for records in ends.values()), ends
    outcomes = [records[0] for records in ends.values()]
    assert {outcome.end for outcome in outcomes} <= {"published", "review"}
    for outcome in outcomes:
        if outcome.end == "published":
            assert_published_after_every_check(outcome.value)
    unchecked = [outcome.value for outcome in outcomes if outcome.end == "review"]
    assert unchecked and all(review["reason_code"] == "CHECKS_UNAVAILABLE" for review in unchecked)

    (after,) = run(submit_prompts(settings, ["a lighthouse at dawn"]))
    (outcome,) = run(wait_for_ends(settings, [after], timeout_s=120))[after]
    assert outcome.end == "published"
    assert_published_after_every_check(outcome.value)


def test_an_item_whose_checks_did_not_run_is_published_once_a_reviewer_has_them_run_again(
    stack: Stack, settings: Settings, reviewers: Reviewers
) -> None:
    stack.parts["triton"].kill()
    try:  # a submission without a prompt needs no model to pass screening: it is moderation that fails
        (request_id,) = run(submit_images(settings, [(SAMPLES / "chelsea.jpg").read_bytes()]))
        (end,) = run(wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    finally:
        stack.restart_triton()
    assert end.end == "review" and end.value["reason_code"] == "CHECKS_UNAVAILABLE"

    rita = reviewers.api(settings, "rita")
    deadline = time.monotonic() + 60
    while rita.get(f"/api/items/{request_id}").status_code == 404 and time.monotonic() < deadline:
        time.sleep(0.3)
    answer = rita.post(f"/api/items/{request_id}/decision", json={"action": "recheck"})
    assert answer.status_code == 200, answer.text
    outcome = outcome_after_review(settings, request_id, timeout_s=180)
    assert outcome["status"] == "published" and outcome["rechecks"] == 1
    assert set(outcome["model_versions"]) >= set(SAFETY_MODELS)
    steps = [(event["stage"], event["action"]) for event in audit_events(settings, request_id)]
    assert ("review", "recheck") in steps and steps[-1] == ("outcomes", "published")
