from __future__ import annotations

from streams import topics
from streams.events import End, SystemReason
from streams.stages.base import RetryPolicy, process
from streams.stages.generate import GENERATE, generate, seed_for
from streams.stages.memory import delivered, png
from tests.unit.streams.stages.conftest import inference, run, screened, sender


def test_the_generated_image_becomes_a_candidate(services) -> None:
    run(generate(services, screened(seed=7)))

    (candidate,) = sender(services).on(topics.CANDIDATES)
    assert candidate.source == "generated" and candidate.generator.weights == "memory"
    assert services.blobs.get(candidate.image).startswith(b"\x89PNG")
    assert candidate.prompt == "a lighthouse" and "generate" in candidate.timings_ms
    assert [a.action for a in sender(services).on(topics.AUDIT)] == ["generated"]


def test_the_reference_image_and_its_scale_reach_the_generator(services) -> None:
    reference = services.blobs.put(png((48, 48)), "image/png")
    run(generate(services, screened(reference_image=reference, reference_scale=0.4)))

    assert inference(services).references["r1"] == (services.blobs.get(reference), 0.4)
    (candidate,) = sender(services).on(topics.CANDIDATES)
    assert candidate.generator.reference_scale == 0.4


def test_without_a_reference_the_generator_gets_the_prompt_alone(services) -> None:
    run(generate(services, screened()))

    assert inference(services).references["r1"] == (None, 0.0)
    (candidate,) = sender(services).on(topics.CANDIDATES)
    assert candidate.generator.reference_scale is None


def test_a_redelivered_request_without_a_seed_gets_the_same_seed() -> None:
    assert seed_for(screened()) == seed_for(screened()) != seed_for(screened(request_id="r2"))
    assert seed_for(screened(seed=11)) == 11


def test_an_unavailable_generator_sends_the_request_to_review(services) -> None:
    inference(services).unavailable.add("generator")
    message = delivered(topics.SCREENED, 1, 3, b"r1", screened().to_bytes())
    run(process(services, GENERATE, message, RetryPolicy(0, 0)))

    (decision,) = sender(services).on(topics.DECISIONS)
    assert decision.end is End.REVIEW and decision.reason_code == SystemReason.CHECKS_UNAVAILABLE
    assert sender(services).on(topics.CANDIDATES) == []


def test_a_prompt_the_generator_refuses_is_dead_lettered(services) -> None:
    inference(services).rejecting.add("generator")
    run(process(services, GENERATE, delivered(topics.SCREENED, 1, 3, b"r1", screened().to_bytes()), RetryPolicy(0, 0)))

    (letter,) = sender(services).on(topics.DEAD_LETTER)
    assert letter.request_id == "r1" and letter.reason.startswith("generator: ")
