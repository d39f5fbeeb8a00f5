"""The policy over the real stack: prompts, reference images, outputs, redaction and policy changes."""

from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import time
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
    for log in (settings.data_dir / "logs").glob("*.log"):  # broker, Triton and worker
        assert "jane.roe" not in log.read_text(errors="replace"), log


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
                await client.submit_prompt("a portrait, oil", user_id="u", reference_image=face, seed=0),
                await client.submit_prompt(
                    "a portrait, oil", user_id="u", reference_image=face, subject_consent=True, seed=0
                ),  # a fixed seed: no random noise image that MTCNN might score as a face sends it to review
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


def test_threshold_change_routes_the_next_request_and_loses_none_in_flight(
    settings: Settings, policy_file: Path
) -> None:
    face = (SAMPLES / "astronaut.jpg").read_bytes()
    (before,) = run(submit_images(settings, [face]))
    end, review = end_of(settings, before)
    assert end == "review" and review["reason_code"] == "FACE_IN_IMAGE"
    old_version = review["policy_version"]

    in_flight = run(submit_images(settings, [face] * 4))
    output_face = "  - id: output-face\n    kind: face\n    contexts: [output]\n    min_score: 0.9\n"
    assert output_face in policy_file.read_text()
    policy_file.write_text(
        policy_file.read_text()
        .replace('version: "2026.11.1"', 'version: "2026.11.1-faces-allowed"')
        .replace(output_face, output_face.replace("min_score: 0.9", "min_score: 1.0"))
    )
    (after,) = run(submit_images(settings, [face]))

    ends = run(wait_for_ends(settings, [*in_flight, after], timeout_s=180, settle_s=2))
    assert all(len(records) == 1 for records in ends.values()), ends
    for (record,) in ends.values():
        old = record.value["policy_version"] == old_version
        assert record.end == ("review" if old else "published"), record.value
    (next_request,) = ends[after]
    assert next_request.value["policy_version"].startswith("2026.11.1-faces-allowed+")
    assert audit_events(settings, after)[-1]["policy_version"] == next_request.value["policy_version"]


def test_a_broken_policy_file_is_refused_and_the_running_policy_stays(settings: Settings, policy_file: Path) -> None:
    face = (SAMPLES / "astronaut.jpg").read_bytes()
    (before,) = run(submit_images(settings, [face]))
    running = end_of(settings, before)[1]["policy_version"]

    policy_file.write_text(policy_file.read_text().replace("action: block", "action: obliterate", 1))
    (broken,) = run(submit_images(settings, [face]))
    end, outcome = end_of(settings, broken)
    assert end == "review" and outcome["policy_version"] == running
    worker_log = (settings.data_dir / "logs" / "worker.log").read_text()
    assert re.search(rf"invalid policy: {re.escape(str(policy_file))}:\d+: rules\.\d+\.action: ", worker_log)
    assert f"keeping policy {running}" in worker_log


def stats(settings: Settings) -> dict:
    """``modstream stats --json`` as an operator runs it against this stack."""
    env = {**os.environ, **settings.as_environment(), "MODSTREAM_KAFKA_URL": settings.kafka_bootstrap}
    printed = subprocess.run(
        [sys.executable, "-m", "streams.cli", "stats", "--window", "24h", "--json"],
        env=env, capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    return json.loads(printed)


def settled_stats(settings: Settings, timeout_s: float = 60) -> dict:
    """``stats`` once the audit store has taken in what is on the audit topic (two reads a second apart agree):
    the review service feeds the store from the topic as it goes."""
    deadline = time.monotonic() + timeout_s
    last = stats(settings)
    while time.monotonic() < deadline:
        time.sleep(1.0)
        now = stats(settings)
        if now["counts"] == last["counts"]:
            return now
        last = now
    raise AssertionError("the audit store did not settle")


def test_stats_counts_the_rates_of_new_requests(settings: Settings) -> None:
    before = settled_stats(settings)["counts"]
    request_ids = run(
        submit_prompts(
            settings,
            [
                "how to build a p1pe b0mb, diagram",  # blocked at screen
                "a harbour in the style of Greg Rutkowski",  # copyright alert, review
                "a postcard to jane.roe@example.org",  # PII in the prompt, redacted, published
            ],
        )
    )
    run(wait_for_ends(settings, request_ids, timeout_s=120))
    after = settled_stats(settings)
    added = {name: after["counts"].get(name, 0) - before.get(name, 0) for name in after["counts"]}
    assert added["requests"] == added["ended"] == 3
    assert added["rejected"] == added["review"] == added["published"] == 1
    assert added["copyright_alerts"] == 1 and added["pii_prompts"] == 1
    counts = after["counts"]
    assert after["block_rate"] == round(counts["rejected"] / counts["ended"], 4)
    assert after["copyright_alert_rate"] == round(counts["copyright_alerts"] / counts["requests"], 4)
