"""A second Triton server beside the session stack's: its PII model reads with the OCR engine the configuration names
(the default, RapidOCR, runs in every other test of the PII model), and the two servers' python backends share no
shared memory (with one name for both they abort, boost::interprocess::lock_exception)."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest

from streams.config import Settings
from streams.inference import TritonClient
from streams.processes import Part
from streams.stack import Stack, start_triton
from tests.images import PII_LINES, render_text
from tests.integration.conftest import run, stack_settings, triton_shared_memory

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def tesseract_triton(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Settings, Part]]:
    settings = stack_settings(tmp_path_factory.mktemp("tesseract"), offset=600)
    settings = settings.model_copy(update={"pii_ocr_engine": "tesseract"})
    triton = start_triton(settings, settings.data_dir / "logs")
    try:
        yield settings, triton
    finally:
        triton.stop()


def test_the_pii_model_reads_with_tesseract_when_configured(tesseract_triton: tuple[Settings, Part]) -> None:
    settings, _ = tesseract_triton
    image = io.BytesIO()
    render_text(PII_LINES, height=16).save(image, format="PNG")

    async def detect() -> tuple[str, set[str]]:
        client = TritonClient(settings.triton_grpc, retries=0)
        try:
            version, findings = await client.detect("pii_detector", image.getvalue(), "ocr-engine-test")
            return version, {finding.label for finding in findings}
        finally:
            await client.close()

    version, labels = run(detect())
    assert "tesseract" in version
    assert {"EMAIL_ADDRESS", "PHONE_NUMBER", "CREDIT_CARD"} <= labels


def test_two_servers_on_one_host_share_no_shared_memory(stack: Stack, tesseract_triton: tuple[Settings, Part]) -> None:
    _, second = tesseract_triton
    ours = set(triton_shared_memory(second))
    theirs = set(triton_shared_memory(stack.parts["triton"]))
    assert ours and theirs and not ours & theirs
