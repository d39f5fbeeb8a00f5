"""Triton adapter for modstream_models.watermark: read the payload of each image of the batch."""

import numpy as np
import triton_python_backend_utils as pb_utils

from modstream_models.images import decode_image
from modstream_models.serving import execute_rows
from modstream_models.watermark.model import Watermarker

OUTPUTS = {
    "PAYLOAD": np.object_,
    "DETECTED": np.bool_,
    "BIT_CONFIDENCE": np.float32,
    "CORRECTED_BITS": np.int32,
    "MODEL_VERSION": np.object_,
}


class TritonPythonModel:
    def initialize(self, args):
        self.watermarker = Watermarker.load()

    def read(self, image):
        reading = self.watermarker.read_payload(decode_image(image))
        return {
            "PAYLOAD": reading.payload or b"",
            "DETECTED": reading.detected,
            "BIT_CONFIDENCE": reading.bit_confidence,
            "CORRECTED_BITS": reading.corrected_bits,
            "MODEL_VERSION": self.watermarker.version.encode(),
        }

    def execute(self, requests):
        return execute_rows(pb_utils, requests, ("IMAGE",), self.read, OUTPUTS)
