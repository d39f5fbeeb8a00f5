"""Triton adapter for modstream_models.generator: one pipeline call for the whole dynamic batch."""

import json
from pathlib import Path

import triton_python_backend_utils as pb_utils

from modstream_models.generator import Generator, tiny_random_pipeline
from modstream_models.serving import execute_generator
from modstream_models.settings import ModelSettings


def _weights_dir(settings: ModelSettings) -> Path:
    return settings.generator_weights or tiny_random_pipeline(settings.models_dir / "tiny-random-sd")


class TritonPythonModel:
    def initialize(self, args):
        settings = ModelSettings()
        self.generator = Generator(
            _weights_dir(settings),
            steps=settings.generator_steps,
            size=settings.generator_size,
            ip_adapter=settings.generator_ip_adapter,
            placement=settings.placement(),
        )
        weights = self.generator.weights
        self.metadata = json.dumps(
            {
                "weights": weights.name,
                "random_weights": weights.random_weights,
                "ip_adapter": weights.ip_adapter,
                "device": self.generator.placement.device,
            }
        ).encode()

    def execute(self, requests):
        return execute_generator(pb_utils, self.generator, requests, self.metadata)
