"""Watermark and Content Credentials on every published image, and `modstream verify` over the real stack."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
import time

from PIL import Image

from modstream_models.watermark.model import Watermarker
from streams.blobs import open_blob_store
from streams.client import wait_for_ends
from streams.config import Settings
from streams.events import BlobRef
from streams.provenance import load_credentials, read_credentials, watermark_payload
from streams.store import AuditStore, open_database
from tests.images import SAMPLES
from tests.integration.conftest import audit_events, run, submit_images, submit_prompts


def verify(settings: Settings, image: bytes, tmp_path) -> tuple[int, dict]:  # type: ignore[no-untyped-def]
    path = tmp_path / "image"
    path.write_bytes(image)
    env = {**os.environ, **settings.as_environment()}
    done = subprocess.run(
        [sys.executable, "-m", "streams.cli", "verify", str(path), "--json"], env=env, capture_output=True, text=True
    )
    assert done.returncode in (0, 3), done.stderr
    return done.returncode, json.loads(done.stdout)


def jpeg_without_metadata(image: bytes, quality: int) -> bytes:
    out = io.BytesIO()
    Image.open(io.BytesIO(image)).convert("RGB").save(out, format="JPEG", quality=quality)
    return out.getvalue()


def published_image(settings: Settings, request_id: str, ends: dict) -> tuple[dict, bytes]:  # type: ignore[type-arg]
    """The end's outcome and image, once the audit store holds its record: the review service writes the audit
    topic into it on its own time, and on a stack that has just started it is still joining when the end arrives."""
    (end,) = ends[request_id]
    assert end.end == "published", end.value["reason"]
    store, deadline = AuditStore(open_database(settings.database)), time.monotonic() + 60
    while not store.requests_with_watermark(end.value["watermark"]):
        assert time.monotonic() < deadline, f"the audit store has no record of {request_id} after 60 s"
        time.sleep(0.5)
    return end.value, open_blob_store(settings.blob_location).get(BlobRef(**end.value["image"]))


def test_published_images_are_watermarked_and_signed(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    (prompt,) = run(submit_prompts(settings, ["a red kite over the dunes"]))
    ends = run(wait_for_ends(settings, [prompt], timeout_s=180))
    outcome, published = published_image(settings, prompt, ends)
    assert outcome["watermark"] == watermark_payload(prompt, settings.watermark_secret()).hex()
    assert outcome["model_versions"]["watermark_embed"].startswith("modstream watermark")

    anchors = load_credentials(None, None, None, settings.data_dir).trust_anchors_pem
    manifest = read_credentials(published, "image/png", anchors)
    assert manifest is not None and manifest.state == "Trusted", manifest
    assert manifest.watermark_payload == outcome["watermark"]
    moderation = manifest.moderation or {}
    assert moderation["request_id"] == prompt and moderation["end"] == "published"
    assert moderation["generator"]["weights"] == "tiny-random-sd"
    assert moderation["policy_version"] == outcome["policy_version"]

    code, found = verify(settings, published, tmp_path)  # the file as published: both ways agree
    assert code == 0 and found["c2pa"]["state"] == "Trusted"
    assert found["c2pa"]["watermark_payload"] == outcome["watermark"]
    assert found["watermark"]["payload"] == outcome["watermark"] and found["record"]["request_id"] == prompt

    stages = [(e["stage"], e["action"], e.get("watermark")) for e in audit_events(settings, prompt)]
    mark = outcome["watermark"]
    assert stages[-2:] == [("moderate", "published", mark), ("outcomes", "published", mark)]


def test_verify_finds_the_record_of_a_jpeg_70_copy_without_metadata(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    """A photo (the tiny generator's 128-pixel noise does not keep the watermark through JPEG 70)."""
    (upload,) = run(submit_images(settings, [(SAMPLES / "chelsea.jpg").read_bytes()]))
    outcome, published = published_image(settings, upload, run(wait_for_ends(settings, [upload], timeout_s=180)))
    code, found = verify(settings, jpeg_without_metadata(published, quality=70), tmp_path)
    assert code == 0 and found["c2pa"] is None
    assert (
        found["watermark"]["payload"]
        == outcome["watermark"]
        == watermark_payload(upload, settings.watermark_secret()).hex()
    )
    assert found["record"]["request_id"] == upload and found["record"]["verdict"] == "published"
    assert found["record"]["policy_version"] == outcome["policy_version"]
    assert found["record"]["content"] == "matches"

    # The payload, read from the published image, embedded in another photo: the record is not that image's.
    marked = Watermarker.load().embed_payload(Image.open(SAMPLES / "coffee.jpg"), bytes.fromhex(outcome["watermark"]))
    copy = io.BytesIO()
    marked.save(copy, format="PNG")
    code, copied = verify(settings, copy.getvalue(), tmp_path)
    assert copied["watermark"]["payload"] == outcome["watermark"] and copied["record"]["request_id"] == upload
    assert code == 3 and copied["record"]["content"] == "differs" and copied["record"]["hash_distance"] > 16


def test_an_image_never_published_here_has_no_record(settings: Settings, tmp_path) -> None:  # type: ignore[no-untyped-def]
    code, found = verify(settings, (SAMPLES / "coffee.jpg").read_bytes(), tmp_path)
    assert code == 3
    assert found["watermark"]["detected"] is False and found["record"] is None and found["c2pa"] is None


def test_an_image_the_watermark_cannot_hold_goes_to_review(settings: Settings) -> None:
    tiny = io.BytesIO()
    Image.new("RGB", (12, 12), (90, 140, 200)).save(tiny, format="PNG")
    (request_id,) = run(submit_images(settings, [tiny.getvalue()]))
    (end,) = run(wait_for_ends(settings, [request_id], timeout_s=120))[request_id]
    assert end.end == "review" and end.value["reason_code"] == "WATERMARK_FAILED", end.value["reason"]
    reason = end.value["reason"]
    assert "watermark refused the image: watermark_embed: 12x12 is too small" in reason, reason
    assert end.value.get("watermark") is None
