"""Triton adapter for modstream_models.faces (MTCNN)."""

import triton_python_backend_utils as pb_utils

from modstream_models.faces import FaceDetector
from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        self.model = FaceDetector(placement=ModelSettings().placement())

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
