"""Triton adapter for modstream_models.protected (PDQ against the protected bank)."""

import triton_python_backend_utils as pb_utils

from modstream_models.protected import ProtectedMatcher
from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings


class TritonPythonModel:
    def initialize(self, args):
        self.model = ProtectedMatcher(ModelSettings().protected_bank_file.resolve())

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
