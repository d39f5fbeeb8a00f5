"""Fuzzed: whatever a message holds, its dead-letter record repeats none of its personal data or server paths."""

from __future__ import annotations

import json
import random

import pytest

from streams import topics
from streams.events import REQUEST_ID
from streams.stages.base import RetryPolicy, process
from streams.stages.generate import GENERATE
from streams.stages.memory import delivered, memory_services
from streams.stages.moderate import MODERATE
from streams.stages.review import APPLY_REVIEW
from streams.stages.screen import SCREEN_REQUESTS, SCREEN_SUBMISSIONS
from tests.unit.streams.stages.conftest import run, sender

SECRETS = [
    "jane.doe@example.com",
    "+1 212-555-0143",
    "078-05-1120",  # an SSN
    "4111 1111 1111 1111",
    "raw-user-7f3a9",
    "a portrait of my neighbour",
    "/var/lib/modstream/blobs",
]
# Keys are request ids by contract, and a key of that form is kept (it is how the app learns what happened to
# its request); the others are not.
NOT_REQUEST_IDS = [text for text in SECRETS if not REQUEST_ID.fullmatch(text)]
STAGES = [
    (topics.REQUESTS, SCREEN_REQUESTS),
    (topics.SUBMISSIONS, SCREEN_SUBMISSIONS),
    (topics.SCREENED, GENERATE),
    (topics.CANDIDATES, MODERATE),
    (topics.REVIEW_DECISIONS, APPLY_REVIEW),
]
FIELDS = ["request_id", "user_id", "prompt", "user", "tenant", "seed", "image", "reference_image", "schema_version",
          "generator_prompt", "submitted_at", "evidence", "item", "action", "reviewer", "model_versions"]  # fmt: skip


def secret(rng: random.Random) -> object:
    text = rng.choice(SECRETS)
    return rng.choice([text, {"sha256": text, "size": text}, [text], {text: text}, len(text), None])


def message(rng: random.Random) -> bytes:
    """A message of one of the shapes a careless or hostile sender writes, carrying personal data."""
    body = {name: secret(rng) for name in rng.sample(FIELDS, rng.randint(1, len(FIELDS)))}
    body.update({rng.choice(SECRETS): secret(rng) for _ in range(rng.randint(0, 2))})  # as field names too
    if rng.random() < 0.5:
        body["schema_version"] = 1
    if rng.random() < 0.3:
        body["request_id"] = "r1"
    raw = json.dumps(body).encode()
    return rng.choice([raw, raw[: rng.randint(1, len(raw))], rng.choice(SECRETS).encode(), raw + b"\xff\xfe"])


@pytest.mark.parametrize("seed", range(4))
def test_no_dead_letter_repeats_personal_data_or_a_server_path(seed: int) -> None:
    rng = random.Random(seed)
    services = memory_services()
    for offset in range(150):
        topic, stage = rng.choice(STAGES)
        key = rng.choice([b"r1", rng.choice(NOT_REQUEST_IDS).encode(), None])
        run(process(services, stage, delivered(topic, 0, offset, key, message(rng)), RetryPolicy(0, 0)))
    letters = [letter.to_bytes().decode() for letter in sender(services).on(topics.DEAD_LETTER)]
    assert len(letters) == 150  # every one of them was bad input
    for letter in letters:
        for text in SECRETS:
            assert text not in letter and json.dumps(text)[1:-1] not in letter, (text, letter)
