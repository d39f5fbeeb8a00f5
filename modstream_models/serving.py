"""The body of every Triton adapter.

Triton's dynamic batcher hands ``execute`` several requests at once; their inputs are decoded per
request (a bad input fails only its own request, with INVALID_ARG). Safety models run the whole
batch in one call (``execute_detector``); models whose work is per image (the watermark) run each
row on its own (``execute_rows``).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from modstream_models.detections import Detector, ImageModel, encode_detections
from modstream_models.images import decode_image, encode_png

if TYPE_CHECKING:  # torch and diffusers load only in the generator's process
    from modstream_models.generator import Generator

InputT = TypeVar("InputT")


def decode_text(data: bytes) -> str:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ValueError(f"text is not UTF-8: {exc}") from None


def output_dtypes(pb_utils: Any, args: Mapping[str, str]) -> dict[str, Any]:
    """Each output's NumPy dtype as the model's ``config.pbtxt`` declares it (python_backend's add_sub idiom),
    so the tensor contract is written once, in the configuration."""
    config = json.loads(args["model_config"])
    return {output["name"]: pb_utils.triton_string_to_numpy(output["data_type"]) for output in config["output"]}


def invalid_argument(pb_utils: Any, message: str) -> Any:
    """The response for a request whose input can never be processed (clients do not retry it)."""
    return pb_utils.InferenceResponse(
        output_tensors=[], error=pb_utils.TritonError(message, pb_utils.TritonError.INVALID_ARG)
    )


def execute_detector(
    pb_utils: Any, model: Detector[InputT], requests: list[Any], input_name: str, decode: Callable[[bytes], InputT]
) -> list[Any]:
    """Responses for ``requests`` (Triton python-backend objects; ``pb_utils`` is Triton's module).

    ``decode`` turns the bytes of one ``input_name`` row into the model's input, raising ValueError
    for input that can never be processed.
    """
    responses: list[Any] = [None] * len(requests)
    inputs: list[InputT] = []
    owners: list[int] = []
    for index, request in enumerate(requests):
        rows = pb_utils.get_input_tensor_by_name(request, input_name).as_numpy()
        try:
            decoded = [decode(bytes(row[0])) for row in rows]
        except ValueError as exc:
            responses[index] = invalid_argument(pb_utils, f"{input_name}: {exc}")
            continue
        inputs += decoded
        owners += [index] * len(decoded)
    try:
        results = model.detect(inputs) if inputs else []
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


def execute_image_model(pb_utils: Any, model: ImageModel, requests: list[Any]) -> list[Any]:
    """An image model's responses: one encoded image (PNG/JPEG/WebP bytes) per ``IMAGE`` row."""
    return execute_detector(pb_utils, model, requests, "IMAGE", decode_image)


def execute_rows(
    pb_utils: Any,
    requests: list[Any],
    input_names: Sequence[str],
    process: Callable[..., Mapping[str, Any]],
    output_types: Mapping[str, type],
) -> list[Any]:
    """``process`` on each batch row's BYTES inputs (in ``input_names`` order); it returns one value per
    output. A ValueError from ``process`` fails that request with INVALID_ARG."""
    responses = []
    for request in requests:
        columns = [pb_utils.get_input_tensor_by_name(request, name).as_numpy() for name in input_names]
        try:
            rows = [process(*(bytes(column[i][0]) for column in columns)) for i in range(len(columns[0]))]
        except ValueError as exc:
            responses.append(invalid_argument(pb_utils, str(exc)))
            continue
        tensors = [
            pb_utils.Tensor(name, np.array([[row[name]] for row in rows], dtype=dtype))
            for name, dtype in output_types.items()
        ]
        responses.append(pb_utils.InferenceResponse(tensors))
    return responses


def execute_generator(pb_utils: Any, generator: Generator, requests: list[Any], metadata: bytes) -> list[Any]:
    """The generator's responses: every valid request of the dynamic batch in one ``generate`` call, each
    row with its own prompt, seed and reference (a request whose reference cannot be used gets INVALID_ARG)."""
    responses: list[Any] = [None] * len(requests)
    items: list[Any] = []
    owners: list[int] = []
    for index, request in enumerate(requests):
        columns = [
            pb_utils.get_input_tensor_by_name(request, name).as_numpy()
            for name in ("PROMPT", "SEED", "REFERENCE", "REFERENCE_SCALE")
        ]
        try:
            rows = [_generation_item(*(column[i][0] for column in columns)) for i in range(len(columns[0]))]
            generator.check(rows)
        except ValueError as exc:
            responses[index] = invalid_argument(pb_utils, str(exc))
            continue
        items += rows
        owners += [index] * len(rows)
    try:
        images = [encode_png(image) for image in generator.generate(items)] if items else []
    except Exception as exc:  # noqa: BLE001 - one failed batch answers with an error, not a dead model instance
        error = pb_utils.TritonError(f"generator failed: {exc!r}")
        return [r or pb_utils.InferenceResponse(output_tensors=[], error=error) for r in responses]
    for index in range(len(requests)):
        if responses[index] is None:
            mine = [png for png, owner in zip(images, owners, strict=True) if owner == index]
            responses[index] = pb_utils.InferenceResponse(
                output_tensors=[
                    pb_utils.Tensor("IMAGE", np.array([[png] for png in mine], dtype=np.object_)),
                    pb_utils.Tensor("METADATA", np.array([[metadata]] * len(mine), dtype=np.object_)),
                ]
            )
    return responses


def _generation_item(prompt: bytes, seed: Any, reference: bytes, scale: Any) -> Any:
    from modstream_models.generator import GenerationItem  # torch and diffusers: the generator's process only

    if not 0 <= float(scale) <= 1:
        raise ValueError(f"REFERENCE_SCALE {float(scale)} is outside 0 to 1")
    return GenerationItem(
        prompt=bytes(prompt).decode("utf-8", errors="replace"),
        seed=int(seed),
        reference=decode_image(bytes(reference)) if reference else None,
        reference_scale=float(scale),
    )
