"""Triton adapter for modstream_models.pii.TextPiiDetector (Presidio on prompt texts)."""

import triton_python_backend_utils as pb_utils

from modstream_models.pii import TextPiiDetector
from modstream_models.serving import decode_text, execute_detector
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        self.model = TextPiiDetector(spacy_model=ModelSettings().pii_spacy_model or None)

    def execute(self, requests):
        return execute_detector(pb_utils, self.model, requests, "TEXT", decode_text)
