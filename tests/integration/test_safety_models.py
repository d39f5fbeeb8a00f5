"""Every safety model through the real Triton server, and `modstream scan` against it."""

from __future__ import annotations

import io
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from PIL import Image

from modstream_models.protected import ProtectedBank
from streams.config import Settings
from streams.events import Finding
from streams.galleries import add_to_gallery
from streams.inference import SAFETY_MODELS, InferenceRejected, Scan, TritonClient
from streams.policy import DEFAULT_POLICY, Context, judge, load_policy
from tests.images import PII_LINES, SAMPLES, render_text, sample
from tests.integration.conftest import run
from tests.unit.modstream_models.test_style import _sketch

pytestmark = pytest.mark.integration


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


def _jpeg_q50_at_75_percent(image: Image.Image) -> bytes:
    compressed = io.BytesIO()
    image.save(compressed, format="JPEG", quality=50)
    smaller = Image.open(io.BytesIO(compressed.getvalue())).resize((image.width * 3 // 4, image.height * 3 // 4))
    return _png(smaller)


def flagged(detections: list[Finding]) -> list[Finding]:
    """The findings that fire a rule of the default policy on an output image."""
    return [e.finding for e in judge(load_policy(DEFAULT_POLICY), "default", Context.OUTPUT, detections).evidence]


def scan(settings: Settings, image: bytes) -> Scan:
    async def go() -> Scan:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            return await client.scan(image, "safety-test")
        finally:
            await client.close()

    return run(go())


def test_every_model_answers_with_its_version(settings: Settings) -> None:
    result = scan(settings, (SAMPLES / "astronaut.jpg").read_bytes())
    assert set(result.model_versions) == set(SAFETY_MODELS)
    assert all(result.model_versions.values())
    faces = [f for f in flagged(result.detections) if f.kind == "face"]
    assert len(faces) == 1
    assert any(f.kind == "nudity" and f.label == "FACE_FEMALE" for f in result.detections)


def test_pii_text_is_found_with_boxes_on_its_lines(settings: Settings) -> None:
    result = scan(settings, _png(render_text(PII_LINES, height=16)))
    pii = [f for f in flagged(result.detections) if f.kind == "pii"]
    lines = {"EMAIL_ADDRESS": (15, 45), "PHONE_NUMBER": (63, 93), "CREDIT_CARD": (111, 141)}
    for entity, (top, bottom) in lines.items():
        boxes = [f.box for f in pii if f.label == entity and f.box]
        assert boxes and all(top <= box[1] and box[3] <= bottom for box in boxes), entity


def test_protected_bank_and_style_galleries_apply_without_restart(settings: Settings) -> None:
    entry = ProtectedBank(settings.protected_bank_file).add(sample("coffee.jpg"), "coffee")
    result = scan(settings, _jpeg_q50_at_75_percent(sample("coffee.jpg")))
    matches = [f for f in flagged(result.detections) if f.kind == "protected_match"]
    assert [m.label for m in matches] == [entry.id]
    assert (
        f"{len(ProtectedBank(settings.protected_bank_file).entries)} entries"
        in result.model_versions["protected_match"]
    )

    from modstream_models.style import default_background

    photos = default_background(count=10, seed=21)
    add_to_gallery(settings.style_galleries_dir, "sketches", [_sketch(p) for p in photos[:6]])
    styled = scan(settings, _png(_sketch(photos[8])))
    assert [f.label for f in flagged(styled.detections) if f.kind == "style"] == ["sketches"]
    plain = scan(settings, _png(photos[9]))
    assert [f for f in flagged(plain.detections) if f.kind == "style"] == []


@pytest.mark.parametrize("bad", [b"", b"\x89PNG\r\n\x1a\n truncated", b"plain text"], ids=["empty", "corrupt", "text"])
def test_bad_images_get_a_clear_error_and_the_models_keep_serving(settings: Settings, bad: bytes) -> None:
    async def go() -> None:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            for model in SAFETY_MODELS:
                with pytest.raises(
                    InferenceRejected, match=f"{model}: .*IMAGE: (empty image|not an image|image cannot)"
                ):
                    await client.detect(model, bad, "bad-image")
        finally:
            await client.close()

    run(go())
    assert len(scan(settings, (SAMPLES / "astronaut.jpg").read_bytes()).model_versions) == len(SAFETY_MODELS)


def test_scan_cli_prints_findings_and_writes_redacted_copies(settings: Settings, tmp_path: Path) -> None:
    pii = tmp_path / "pii.png"
    render_text(PII_LINES, height=16).save(pii)
    env = {**os.environ, **settings.as_environment(), "MODSTREAM_TRITON_URL": settings.triton_grpc}
    completed = subprocess.run(
        [sys.executable, "-m", "streams.cli", "scan", str(SAMPLES / "astronaut.jpg"), str(pii), "--json",
         "--redact", str(tmp_path / "redacted")],
        capture_output=True, text=True, env=env, timeout=300,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    astronaut, text = json.loads(completed.stdout)
    assert [face["counts"] for face in astronaut["faces"]] == [True]
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= {p["label"] for p in text["pii"] if p["counts"]}
    assert set(astronaut["model_versions"]) == set(SAFETY_MODELS)

    from modstream_models.pii import PiiDetector

    (left,) = PiiDetector(spacy_model=None).detect([Image.open(text["redacted"])])
    assert not {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} & {d.label for d in left}
    assert Path(astronaut["redacted"]).is_file()


def test_scan_redact_leaves_no_entity_to_find_on_evaluation_images(settings: Settings, tmp_path: Path) -> None:
    from benchmarks.pii_evaluation import evaluation_set
    from modstream_models.pii import PiiDetector

    paths = []
    for index, item in enumerate(image for image in evaluation_set(12) if not image.negative):
        paths.append(tmp_path / f"evaluation-{index}.png")
        item.image.save(paths[-1])
    env = {**os.environ, **settings.as_environment(), "MODSTREAM_TRITON_URL": settings.triton_grpc}
    completed = subprocess.run(
        [sys.executable, "-m", "streams.cli", "scan", *map(str, paths), "--json", "--redact", str(tmp_path / "out")],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    assert completed.returncode == 0, completed.stderr
    reports = json.loads(completed.stdout)
    detector = PiiDetector(spacy_model=settings.pii_spacy_model or None, ocr=settings.pii_ocr_engine)
    redacted_labels = set()
    for report in reports:
        counted = {finding["label"] for finding in report["pii"] if finding["counts"]}
        redacted_labels |= counted
        (left,) = detector.detect([Image.open(report["redacted"])])
        assert not counted & {d.label for d in left if d.score >= 0.4}, report["redacted"]
    assert len(redacted_labels) >= 4  # the images held several kinds of entity, and the scan found them
