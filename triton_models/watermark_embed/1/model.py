"""Triton adapter for modstream_models.watermark: embed a payload into each image of the batch, with the newest
watermark version that suits the image (MODEL_VERSION: the one that marked it)."""

import triton_python_backend_utils as pb_utils

from modstream_models.images import decode_image, encode_png
from modstream_models.serving import execute_rows, output_dtypes
from modstream_models.settings import ModelSettings
from modstream_models.watermark.model import Embedder


class TritonPythonModel:
    def initialize(self, args):
        self.output_dtypes = output_dtypes(pb_utils, args)
        self.embedder = Embedder.load(placement=ModelSettings().placement())

    def embed(self, image, payload):
        marked, watermarker = self.embedder.embed_payload(decode_image(image), payload)
        return {"IMAGE": encode_png(marked), "MODEL_VERSION": watermarker.version.encode()}

    def execute(self, requests):
        return execute_rows(pb_utils, requests, ("IMAGE", "PAYLOAD"), self.embed, self.output_dtypes)
