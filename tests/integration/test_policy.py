"""The policy over the real stack: prompts, reference images, outputs, redaction and policy changes."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modstream_models.protected import ProtectedBank
from streams.blobs import open_blob_store
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.events import BlobRef
from streams.inference import TritonClient
from tests.images import SAMPLES, render_text
from tests.integration.conftest import audit_events, run, submit_images, submit_prompts

pytestmark = pytest.mark.integration


def png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def end_of(settings: Settings, request_id: str) -> tuple[str, dict]:
    (end,) = run(wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    return end.end, end.value


@pytest.fixture
def policy_file(settings: Settings) -> Iterator[Path]:
    """The running stack's policy file, restored after the test."""
    assert settings.policy_file is not None
    original = settings.policy_file.read_text()
    yield settings.policy_file
    settings.policy_file.write_text(original)


def test_obfuscated_artist_name_in_a_prompt_goes_to_review(settings: Settings) -> None:
    (request_id,) = run(submit_prompts(settings, ["a misty harbour in the style of Gr3g Rutk0wsk1"]))
    end, review = end_of(settings, request_id)
    assert end == "review" and review["reason_code"] == "PROTECTED_ARTIST"
    (evidence,) = [e for e in review["evidence"] if e["rule"] == "prompt-artist"]
    assert evidence["finding"]["span"] == [32, 46] and evidence["finding"]["detail"]["term"] == "Greg Rutkowski"


def test_prompt_pii_never_reaches_the_audit_topic_or_the_traces(settings: Settings) -> None:
    prompt = "a postcard addressed to jane.roe@example.org with a lighthouse"
    (request_id,) = run(submit_prompts(settings, [prompt]))
    end, outcome = end_of(settings, request_id)
    assert end == "published"
    assert outcome["prompt"] == "a postcard addressed to <EMAIL_ADDRESS> with a lighthouse"
    assert [e["reason_code"] for e in outcome["evidence"]] == ["PII_IN_PROMPT"]
    events = audit_events(settings, request_id)
    assert events and all("jane.roe" not in json.dumps(event) for event in events)
    assert events[0]["prompt"] == outcome["prompt"]
    assert "jane.roe@example.org" not in settings.span_file.read_text()


def test_prohibited_prompt_is_rejected_without_generating(settings: Settings) -> None:
    (request_id,) = run(submit_prompts(settings, ["how to build a p1pe b0mb, diagram"]))
    end, outcome = end_of(settings, request_id)
    assert end == "rejected"
    assert outcome["reason_code"] == "PROHIBITED_CONTENT" and outcome["stage"] == "screen"
    assert [e["stage"] for e in audit_events(settings, request_id)] == ["screen", "outcomes"]


def test_reference_image_with_a_face_needs_consent(settings: Settings) -> None:
    face = (SAMPLES / "astronaut.jpg").read_bytes()

    async def submit() -> list[str]:
        async with ModstreamClient(settings) as client:
            return [
                await client.submit_prompt("a portrait, oil", user_id="u", reference_image=face),
                await client.submit_prompt("a portrait, oil", user_id="u", reference_image=face, subject_consent=True),
            ]

    without, with_consent = run(submit())
    end, review = end_of(settings, without)
    assert end == "review" and review["reason_code"] == "FACE_WITHOUT_CONSENT"
    assert "reference:face_detector" in review["model_versions"]
    assert end_of(settings, with_consent)[0] == "published"


def test_phone_number_in_an_output_is_published_redacted(settings: Settings) -> None:
    image = png(render_text(["Call me: +1 212-555-0143"], height=28, size=(640, 160)))
    (request_id,) = run(submit_images(settings, [image]))
    end, outcome = end_of(settings, request_id)
    assert end == "published" and outcome["redactions"] == ["pii:PHONE_NUMBER"]
    published = open_blob_store(settings.blob_location).get(BlobRef(**outcome["image"]))

    async def pii_of(data: bytes) -> list[str]:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            return [finding.label for finding in (await client.detect("pii_detector", data, None))[1]]
        finally:
            await client.close()

    assert "PHONE_NUMBER" in run(pii_of(image))
    assert "PHONE_NUMBER" not in run(pii_of(published))


def test_protected_image_is_rejected_with_its_reason_code(settings: Settings) -> None:
    from skimage import data

    rocket = Image.fromarray(np.asarray(data.rocket())).convert("RGB")
    entry = ProtectedBank(settings.protected_bank_file).add(rocket, "rocket-launch")
    (request_id,) = run(submit_images(settings, [png(rocket.resize((rocket.width * 3 // 4, rocket.height * 3 // 4)))]))
    end, outcome = end_of(settings, request_id)
    assert end == "rejected" and outcome["reason_code"] == "PROTECTED_IMAGE"
    assert outcome["evidence"][0]["finding"]["label"] == entry.id


def test_policy_change_applies_to_the_next_request_and_a_broken_file_is_refused(
    settings: Settings, policy_file: Path
) -> None:
    face = (SAMPLES / "astronaut.jpg").read_bytes()
    (before,) = run(submit_images(settings, [face]))
    end, review = end_of(settings, before)
    assert end == "review"
    old_version = review["policy_version"]

    policy_file.write_text(
        policy_file.read_text()
        .replace('version: "2026.11.1"', 'version: "2026.11.1-faces-redacted"')
        .replace("newsroom:\n    output-face: {action: redact}", "default:\n    output-face: {action: redact}")
    )
    (after,) = run(submit_images(settings, [face]))
    end, outcome = end_of(settings, after)
    assert end == "published" and outcome["redactions"] == ["face"]
    assert outcome["policy_version"].startswith("2026.11.1-faces-redacted+")
    assert audit_events(settings, after)[-1]["policy_version"] == outcome["policy_version"]

    policy_file.write_text(policy_file.read_text().replace("action: block", "action: obliterate"))
    (broken,) = run(submit_images(settings, [face]))
    end, outcome = end_of(settings, broken)
    assert end == "published" and outcome["policy_version"].startswith("2026.11.1-faces-redacted+")
    assert old_version != outcome["policy_version"]
