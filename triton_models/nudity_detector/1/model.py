"""Triton adapter for modstream_models.nudity (NudeNet ONNX)."""

import triton_python_backend_utils as pb_utils

from modstream_models.nudity import NudityDetector
from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        self.model = NudityDetector(placement=ModelSettings().placement())

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
