"""Triton adapter for modstream_models.faces: decode inputs, detect, encode outputs."""

import triton_python_backend_utils as pb_utils

from modstream_models.faces import FaceDetector, stack_padded
from modstream_models.images import InvalidImage, decode_image


class TritonPythonModel:
    def initialize(self, args):
        self.detector = FaceDetector()

    def execute(self, requests):
        responses = []
        for request in requests:
            rows = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy()
            try:
                images = [decode_image(bytes(row[0])) for row in rows]
            except InvalidImage as exc:
                error = pb_utils.TritonError(f"IMAGE: {exc}", pb_utils.TritonError.INVALID_ARG)
                responses.append(pb_utils.InferenceResponse(output_tensors=[], error=error))
                continue
            boxes, scores, landmarks = stack_padded(self.detector.detect(images))
            responses.append(
                pb_utils.InferenceResponse(
                    output_tensors=[
                        pb_utils.Tensor("BOXES", boxes),
                        pb_utils.Tensor("SCORES", scores),
                        pb_utils.Tensor("LANDMARKS", landmarks),
                    ]
                )
            )
        return responses
