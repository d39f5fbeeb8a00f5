"""Fail closed over the real stack: Triton stops while requests are in flight, then comes back."""

from __future__ import annotations

import time

import pytest

from streams.client import wait_for_ends
from streams.config import Settings
from streams.inference import PROMPT_PII_MODEL, SAFETY_MODELS
from streams.stack import Stack
from tests.integration.conftest import audit_events, run, submit_prompts

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
    stack.parts["triton"].kill()
    try:
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
