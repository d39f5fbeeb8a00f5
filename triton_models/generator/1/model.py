"""Triton adapter for modstream_models.generator: one pipeline call for the whole dynamic batch."""

import json
from pathlib import Path

import numpy as np
import triton_python_backend_utils as pb_utils

from modstream_models.generator import Generator, build_tiny_random_pipeline
from modstream_models.images import encode_png
from modstream_models.settings import ModelSettings


def _weights_dir(settings: ModelSettings) -> Path:
    if settings.generator_weights:
        return settings.generator_weights
    tiny = settings.models_dir / "tiny-random-sd"
    if not (tiny / "model_index.json").is_file():
        build_tiny_random_pipeline(tiny)
    return tiny


class TritonPythonModel:
    def initialize(self, args):
        settings = ModelSettings()
        self.generator = Generator(_weights_dir(settings), steps=settings.generator_steps, size=settings.generator_size)
        self.metadata = json.dumps(
            {"weights": self.generator.weights.name, "random_weights": self.generator.weights.random_weights}
        ).encode()

    def execute(self, requests):
        prompts, seeds, counts = [], [], []
        for request in requests:
            rows = pb_utils.get_input_tensor_by_name(request, "PROMPT").as_numpy()
            prompts += [bytes(row[0]).decode("utf-8", errors="replace") for row in rows]
            seeds += [int(s[0]) for s in pb_utils.get_input_tensor_by_name(request, "SEED").as_numpy()]
            counts.append(len(rows))
        images = [encode_png(image) for image in self.generator.generate(prompts, seeds)]
        responses, start = [], 0
        for count in counts:
            batch = images[start : start + count]
            start += count
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("IMAGE", np.array([[png] for png in batch], dtype=np.object_)),
                        pb_utils.Tensor("METADATA", np.array([[self.metadata]] * count, dtype=np.object_)),
                    ]
                )
            )
        return responses
