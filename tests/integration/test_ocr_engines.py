"""The PII model through a real Triton server reads with the OCR engine the configuration names (the default,
RapidOCR, runs in every other test of the PII model)."""

from __future__ import annotations

import io
from pathlib import Path

import pytest

from streams.inference import TritonClient
from streams.stack import start_triton
from tests.images import PII_LINES, render_text
from tests.integration.conftest import run, stack_settings

pytestmark = pytest.mark.integration


def test_the_pii_model_reads_with_tesseract_when_configured(tmp_path: Path) -> None:
    settings = stack_settings(tmp_path, offset=600).model_copy(update={"pii_ocr_engine": "tesseract"})
    image = io.BytesIO()
    render_text(PII_LINES, height=16).save(image, format="PNG")
    triton = start_triton(settings, settings.data_dir / "logs")

    async def detect() -> tuple[str, set[str]]:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            version, findings = await client.detect("pii_detector", image.getvalue(), "ocr-engine-test")
            return version, {finding.label for finding in findings}
        finally:
            await client.close()

    try:
        version, labels = run(detect())
    finally:
        triton.stop()
    assert "tesseract" in version
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= labels
