"""The failure handling that every stage shares (``streams.stages.base.process``)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

from streams import topics
from streams.errors import TransientError
from streams.events import End, SystemReason
from streams.stages.base import Received, RetryPolicy, Stage, process
from streams.stages.generate import GENERATE
from streams.stages.memory import delivered, memory_services
from tests.unit.streams.stages.conftest import inference, run, screened, sender

NO_WAIT = RetryPolicy(retries=2, backoff_s=0)


def message(value: bytes | None, key: bytes | None = b"r1") -> Received:
    return delivered(topics.SCREENED, 1, 42, key, value)


def test_an_unreadable_event_is_dead_lettered_with_the_reason_and_its_digest_not_its_content(services) -> None:
    value = b'{"request_id": "r1", "schema_version": 9, "prompt": "call me on +1 212 555 0143"}'
    run(process(services, GENERATE, message(value), NO_WAIT))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.reason.startswith("invalid event: ") and "schema_version" in letter.reason
    assert letter.request_id == "r1" == sender(services).sent[0].key  # from the message's key
    assert letter.payload_sha256 == hashlib.sha256(value).hexdigest() and letter.payload_bytes == len(value)
    # the record's own time may hold any digits: look for the number in everything else
    assert (
        "schema_version" in letter.fields
        and "212 555" not in letter.model_copy(update={"at": None}).to_bytes().decode()
    )
    assert "0143" not in letter.reason and "212" not in letter.reason


def test_a_key_that_is_not_a_request_id_is_not_kept(services) -> None:
    run(process(services, GENERATE, message(b"{}", key=b"jane.doe@example.com"), NO_WAIT))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.request_id is None and "jane" not in letter.to_bytes().decode()


def test_an_empty_message_is_dead_lettered(services) -> None:
    run(process(services, GENERATE, message(None, key=None), NO_WAIT))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.reason == "empty message"


def test_a_transient_broker_failure_is_retried_and_the_event_processed_once() -> None:
    services = memory_services()
    sender(services).failures = 2  # the first two sends fail, the third succeeds
    run(process(services, GENERATE, message(screened().to_bytes()), NO_WAIT))

    assert [s.topic for s in sender(services).sent] == [topics.AUDIT, topics.CANDIDATES]


def test_a_lasting_transient_failure_fails_closed_to_review() -> None:
    services = memory_services()

    async def blob_store_down(services, request) -> None:
        raise TransientError("blob store: timed out")

    stage = Stage("generate", GENERATE.event, blob_store_down, GENERATE.fail_closed)
    run(process(services, stage, message(screened().to_bytes()), NO_WAIT))

    (decision,) = sender(services).on(topics.DECISIONS)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.CHECKS_UNAVAILABLE
    assert decision.reason == "blob store: timed out"


def test_a_stage_without_a_review_route_dead_letters_a_lasting_failure(services) -> None:
    async def broken_store(services, decision) -> None:
        raise TransientError("database unavailable")

    stage = Stage("review", GENERATE.event, broken_store)  # as the review and outcomes stages are
    run(process(services, stage, message(screened().to_bytes()), NO_WAIT))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.reason == "unavailable: database unavailable" and sender(services).on(topics.DECISIONS) == []


def test_a_bug_in_a_stage_is_dead_lettered_and_does_not_stop_the_stream(services) -> None:
    calls = []

    async def buggy(services, request) -> None:
        calls.append(request.request_id)
        raise KeyError("oops")

    stage = Stage("generate", GENERATE.event, buggy, GENERATE.fail_closed)
    run(process(services, stage, message(screened().to_bytes()), NO_WAIT))
    run(process(services, stage, message(screened(request_id="r2").to_bytes()), NO_WAIT))

    assert calls == ["r1", "r2"]  # not retried: only transient failures are
    reasons = [letter.reason for letter in sender(services).on(topics.DEAD_LETTER)]
    assert reasons == ["internal error: KeyError (the worker's log has the details)"] * 2


def test_a_message_without_a_valid_tag_on_an_internal_topic_is_dead_lettered_as_unauthenticated(services) -> None:
    value = screened().to_bytes()
    forged = [
        Received(topics.SCREENED, 1, 1, b"r1", value),  # no tag
        Received(topics.SCREENED, 1, 2, b"r1", value, [("modstream-auth", b"v1:memory:" + b"0" * 64)]),
        replace(delivered(topics.SCREENED, 1, 3, b"r1", screened(prompt="other").to_bytes()), value=value),
    ]
    for message in forged:
        run(process(services, GENERATE, message, NO_WAIT))

    letters = sender(services).on(topics.DEAD_LETTER)
    assert [letter.reason.split(":")[0] for letter in letters] == ["unauthenticated"] * 3
    assert sender(services).on(topics.CANDIDATES) == [] and inference(services).calls == []
