"""The body of every Triton adapter for an image safety model.

Triton's dynamic batcher hands ``execute`` several requests at once; their images are decoded
per request (a bad image fails only its own request, with INVALID_ARG), run through the model in
one call, and split back into one response per request.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from modstream_models.detections import ImageModel, encode_detections
from modstream_models.images import InvalidImage, decode_image


def execute_image_model(pb_utils: Any, model: ImageModel, requests: list[Any]) -> list[Any]:
    """Responses for ``requests`` (Triton python-backend objects; ``pb_utils`` is Triton's module)."""
    responses: list[Any] = [None] * len(requests)
    images, owners = [], []
    for index, request in enumerate(requests):
        rows = pb_utils.get_input_tensor_by_name(request, "IMAGE").as_numpy()
        try:
            decoded = [decode_image(bytes(row[0])) for row in rows]
        except InvalidImage as exc:
            error = pb_utils.TritonError(f"IMAGE: {exc}", pb_utils.TritonError.INVALID_ARG)
            responses[index] = pb_utils.InferenceResponse(output_tensors=[], error=error)
            continue
        images += decoded
        owners += [index] * len(decoded)
    try:
        results = model.detect(images) if images else []
    except Exception as exc:  # noqa: BLE001 - one bad batch must answer with an error, not kill the model instance
        error = pb_utils.TritonError(f"{model.name} failed: {exc!r}")
        return [r or pb_utils.InferenceResponse(output_tensors=[], error=error) for r in responses]
    owners_array = np.array(owners)
    for index in range(len(requests)):
        if responses[index] is not None:
            continue
        mine = [results[i] for i in np.flatnonzero(owners_array == index)]
        tensors = encode_detections(mine, model.version, model.extra_shapes)
        responses[index] = pb_utils.InferenceResponse(
            output_tensors=[pb_utils.Tensor(name, value) for name, value in tensors.items()]
        )
    return responses
