"""Triton adapter for modstream_models.pii (Tesseract + Presidio)."""

import triton_python_backend_utils as pb_utils

from modstream_models.pii import PiiDetector
from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        self.model = PiiDetector(spacy_model=ModelSettings().pii_spacy_model or None)

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
