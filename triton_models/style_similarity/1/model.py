"""Triton adapter for modstream_models.style (style descriptors against calibrated galleries)."""

import triton_python_backend_utils as pb_utils

from modstream_models.serving import execute_image_model
from modstream_models.settings import ModelSettings
from modstream_models.style import StyleMatcher, load_style_embedder


class TritonPythonModel:
    def initialize(self, args):
        settings = ModelSettings()
        self.model = StyleMatcher(
            settings.style_galleries_dir.resolve(),
            load_style_embedder(settings.style_embedder, settings.placement()),
            cache_dir=settings.models_dir.resolve(),
        )

    def execute(self, requests):
        return execute_image_model(pb_utils, self.model, requests)
