"""End to end over the real broker, the real Triton server and the real models."""

from __future__ import annotations

import io
import time

import pytest
from PIL import Image

from streams import topics
from streams.blobs import open_blob_store
from streams.client import ModstreamClient, wait_for_ends
from streams.config import Settings
from streams.events import BlobRef
from streams.inference import SAFETY_MODELS
from streams.telemetry import read_spans, setup_tracing, spans_of_request
from tests.images import SAMPLES
from tests.integration.conftest import audit_events, run, submit_images, submit_prompts

pytestmark = pytest.mark.integration

# Every hop of a generated image, in order: the test fails if any is skipped.
GENERATION_HOPS = [
    "send requests",
    "process requests",
    "inference.GRPCInferenceService/ModelInfer",  # prompt_pii
    "send screened",
    "process screened",
    "inference.GRPCInferenceService/ModelInfer",  # generator
    "send candidates",
    "process candidates",
    *["inference.GRPCInferenceService/ModelInfer"] * len(SAFETY_MODELS),  # the safety models, all at once
    "inference.GRPCInferenceService/ModelInfer",  # watermark_embed
    "inference.GRPCInferenceService/ModelInfer",  # watermark_decode, the check
    "send decisions",
    "process decisions",
    "send outcomes",
]


@pytest.fixture(scope="module", autouse=True)
def tracing(settings: Settings) -> None:
    setup_tracing("modstream-tests", settings.span_file)


def jpeg_with_gps() -> bytes:
    exif = Image.Exif()
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}
    out = io.BytesIO()
    Image.open(SAMPLES / "coffee.jpg").save(out, format="JPEG", exif=exif.tobytes())
    return out.getvalue()


def wait_for_spans(settings: Settings, request_id: str, names: list[str], timeout_s: float = 15) -> list[dict]:
    deadline = time.monotonic() + timeout_s
    while True:
        spans = spans_of_request(read_spans(settings.span_file), request_id)
        if all(name in [s["name"] for s in spans] for name in names) or time.monotonic() > deadline:
            return spans
        time.sleep(0.5)


def test_prompt_goes_through_every_hop_to_published(settings: Settings) -> None:
    (request_id,) = run(submit_prompts(settings, ["a lighthouse on a cliff at dusk"]))
    ends = run(wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    assert [e.end for e in ends] == ["published"]
    outcome = ends[0].value
    assert outcome["generator"]["random_weights"] is True
    assert outcome["generator"]["weights"] == "tiny-random-sd"
    assert outcome["user"].startswith("u_") and "tester" not in outcome["user"]
    assert set(outcome["timings_ms"]) == {"screen", "generate", "moderate", "outcomes"}
    image = Image.open(io.BytesIO(open_blob_store(settings.blob_location).get(BlobRef(**outcome["image"]))))
    assert image.size == (settings.generator_size, settings.generator_size)

    # One trace holds every hop, in causal order, including every Triton call.
    spans = wait_for_spans(settings, request_id, ["send outcomes"])
    assert len({s["trace_id"] for s in spans}) == 1
    assert [s["name"] for s in spans if s["name"] in GENERATION_HOPS] == GENERATION_HOPS
    models = [s["attributes"]["triton.model.name"] for s in spans if s["attributes"].get("rpc.system") == "grpc"]
    assert models[:2] == ["prompt_pii", "generator"] and sorted(models[2:-2]) == sorted(SAFETY_MODELS)
    assert models[-2:] == ["watermark_embed", "watermark_decode"]  # embedded, then read back as a check
    by_id = {s["span_id"]: s for s in spans}
    for span in spans[1:]:
        assert span["parent_id"] in by_id, f"{span['name']} is not joined to the request's trace"

    stages = [(e["stage"], e["action"]) for e in audit_events(settings, request_id)]
    assert stages == [
        ("screen", "passed"),
        ("generate", "generated"),
        ("moderate", "published"),
        ("outcomes", "published"),
    ]


def test_image_with_a_face_goes_to_review_and_one_without_is_published(settings: Settings) -> None:
    face, no_face = run(
        submit_images(settings, [(SAMPLES / "astronaut.jpg").read_bytes(), (SAMPLES / "chelsea.jpg").read_bytes()])
    )
    ends = run(wait_for_ends(settings, [face, no_face], timeout_s=120))
    assert [e.end for e in ends[face]] == ["review"]
    review = ends[face][0].value
    assert review["reason_code"] == "FACE_IN_IMAGE" and "rule output-face" in review["reason"]
    (evidence,) = review["evidence"]
    assert evidence["rule"] == "output-face" and evidence["threshold"] == 0.9 and evidence["action"] == "review"
    assert (
        review["policy_version"].startswith("2026.11.1+") and review["preview"]["sha256"] != review["image"]["sha256"]
    )
    finding = evidence["finding"]
    assert finding["kind"] == finding["label"] == "face" and finding["model"] == "face_detector"
    assert finding["model_version"].startswith("facenet-pytorch")
    assert set(review["model_versions"]) == set(SAFETY_MODELS)
    assert finding["score"] > 0.99
    assert [e.end for e in ends[no_face]] == ["published"]


def test_metadata_is_stripped_on_ingress(settings: Settings) -> None:
    (request_id,) = run(submit_images(settings, [jpeg_with_gps()]))
    (end,) = run(wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    stored = open_blob_store(settings.blob_location).get(BlobRef(**end.value["image"]))
    image = Image.open(io.BytesIO(stored))
    assert image.format == "PNG" and not image.getexif() and "exif" not in image.info


def test_bad_input_goes_to_dead_letter_with_its_reason_and_the_stream_goes_on(settings: Settings) -> None:
    coffee = (SAMPLES / "coffee.jpg").read_bytes()
    bomb = io.BytesIO()
    Image.new("1", (20_000, 20_000)).save(bomb, format="PNG", optimize=True)

    async def submit() -> dict[str, str]:
        async with ModstreamClient(settings) as client:
            ids = {
                "not an image": await client.submit_image(b"plain text", user_id="u"),
                "truncated": await client.submit_image(coffee[: len(coffee) // 3], user_id="u"),
                "decompression bomb": await client.submit_image(bomb.getvalue(), user_id="u"),
            }
            await client.send_raw(topics.REQUESTS, b'{"prompt": ', key="malformed-1")
            ids["invalid event"] = "malformed-1"
            missing = (
                b'{"schema_version":1,"request_id":"missing-blob-1","user_id":"u","image":'
                b'{"sha256":"' + b"0" * 64 + b'","size":1}}'
            )
            await client.send_raw(topics.SUBMISSIONS, missing, key="missing-blob-1")
            ids["is not in"] = "missing-blob-1"
            ids["good"] = await client.submit_image(coffee, user_id="u")
            return ids

    ids = run(submit())
    ends = run(wait_for_ends(settings, list(ids.values()), timeout_s=120, settle_s=2))
    for reason, request_id in ids.items():
        records = ends[request_id]
        if reason == "good":
            assert [e.end for e in records] == ["published"]
            continue
        assert [e.end for e in records] == ["dead-letter"], reason
        assert reason in records[0].value["reason"], records[0].value["reason"]
