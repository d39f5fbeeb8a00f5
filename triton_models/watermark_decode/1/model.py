"""Triton adapter for modstream_models.watermark: read the payload of each image of the batch, with the decoder of
every watermark version that shipped (MODEL_VERSION: the one that found it; the newest where none did)."""

import triton_python_backend_utils as pb_utils

from modstream_models.images import decode_image
from modstream_models.serving import execute_rows, output_dtypes
from modstream_models.settings import ModelSettings
from modstream_models.watermark.model import Reader


class TritonPythonModel:
    def initialize(self, args):
        self.output_dtypes = output_dtypes(pb_utils, args)
        self.reader = Reader.load(placement=ModelSettings().placement())

    def read(self, image):
        reading = self.reader.read_payload(decode_image(image))
        return {
            "PAYLOAD": reading.payload or b"",
            "DETECTED": reading.detected,
            "BIT_CONFIDENCE": reading.bit_confidence,
            "CORRECTED_BITS": reading.corrected_bits,
            "MODEL_VERSION": self.reader.model_version(reading).encode(),
        }

    def execute(self, requests):
        return execute_rows(pb_utils, requests, ("IMAGE",), self.read, self.output_dtypes)
