"""Triton adapter for modstream_models.pii (OCR by MODSTREAM_PII_OCR_ENGINE, then Presidio)."""

import triton_python_backend_utils as pb_utils

from modstream_models.pii import PiiDetector
from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        settings = ModelSettings()
        self.model = PiiDetector(spacy_model=settings.pii_spacy_model or None, ocr=settings.pii_ocr_engine)

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
