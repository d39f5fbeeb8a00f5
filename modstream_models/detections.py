"""What every safety model returns, and how it travels as Triton tensors.

Each model answers, per input (an image; for ``prompt_pii`` a text), a list of detections: a label
(face, entity type, NudeNet class, protected-bank entry, style gallery), a score, an optional pixel
box and model-specific extras (face landmarks, Hamming distances, raw similarities, text spans).
On the wire every model has the same core outputs, padded to the largest detection count in the batch:

    LABELS BYTES [-1]        empty string marks a padding row
    SCORES FP32 [-1]
    BOXES FP32 [-1, 4]       x0 y0 x1 y1 in pixels; NaN where the detection has no box
    MODEL_VERSION BYTES [1]  what produced the answer (package versions, weights, bank revision)

plus one FP32 output per extra, shaped [-1, *extra_shape]. This module needs only NumPy, so the
light worker install can decode what the models send.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol, TypeVar

import numpy as np
from PIL import Image

Box = tuple[float, float, float, float]
CORE_OUTPUTS = ("LABELS", "SCORES", "BOXES", "MODEL_VERSION")


@dataclass(frozen=True)
class Detection:
    label: str
    score: float
    box: Box | None = None
    extras: Mapping[str, np.ndarray] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.label:
            raise ValueError("a detection needs a label: the empty label marks padding on the wire")


InputT_contra = TypeVar("InputT_contra", contravariant=True)


class Detector(Protocol[InputT_contra]):
    """A safety model that judges inputs (decoded images, prompt texts), any number at a time."""

    @property
    def name(self) -> str: ...

    @property
    def version(self) -> str: ...

    @property
    def extra_shapes(self) -> Mapping[str, tuple[int, ...]]: ...

    def detect(self, inputs: Sequence[InputT_contra]) -> list[list[Detection]]: ...


ImageModel = Detector[Image.Image]


def encode_detections(
    results: Sequence[Sequence[Detection]], version: str, extra_shapes: Mapping[str, tuple[int, ...]]
) -> dict[str, np.ndarray]:
    """Batch tensors for ``results`` (one list of detections per image), padded to the longest list."""
    rows, count = len(results), max((len(found) for found in results), default=0)
    labels = np.full((rows, count), b"", dtype=np.object_)
    scores = np.zeros((rows, count), np.float32)
    boxes = np.full((rows, count, 4), np.nan, np.float32)
    extras = {name: np.zeros((rows, count, *shape), np.float32) for name, shape in extra_shapes.items()}
    for row, found in enumerate(results):
        for column, detection in enumerate(found):
            labels[row, column] = detection.label.encode()
            scores[row, column] = detection.score
            if detection.box is not None:
                boxes[row, column] = detection.box
            for name in extra_shapes:
                extras[name][row, column] = detection.extras[name]
    versions = np.full((rows, 1), version.encode(), dtype=np.object_)
    return {"LABELS": labels, "SCORES": scores, "BOXES": boxes, "MODEL_VERSION": versions, **extras}


def decode_detections(outputs: Mapping[str, np.ndarray], row: int = 0) -> tuple[str, list[Detection]]:
    """The model version and the detections of one image (batch row) from a model's output tensors."""
    extra_names = [name for name in outputs if name not in CORE_OUTPUTS]
    detections = []
    for column, raw_label in enumerate(outputs["LABELS"][row]):
        label = raw_label.decode() if isinstance(raw_label, bytes) else str(raw_label)
        if not label:
            continue
        box = outputs["BOXES"][row, column]
        detections.append(
            Detection(
                label=label,
                score=float(outputs["SCORES"][row, column]),
                box=None if np.isnan(box).any() else (float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                extras={name: outputs[name][row, column] for name in extra_names},
            )
        )
    version = outputs["MODEL_VERSION"][row][0]
    return (version.decode() if isinstance(version, bytes) else str(version)), detections
