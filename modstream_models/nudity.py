"""Nudity detection with NudeNet's shipped 320n ONNX detector (a YOLOv8n) through onnxruntime.

Preprocessing and decoding follow NudeNet's own exactly (pad to a square at the bottom right, OpenCV
bilinear resize to 320, BGR channel order in [0, 1]; centre boxes, class-agnostic NMS) but run a
whole batch in one session call.
The model reports every NudeNet class, covered and face classes included; which classes count as
nudity is the routing's business (``EXPOSED_CLASSES`` is the default set).
"""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import numpy as np
from PIL import Image

from modstream_models.detections import Detection
from modstream_models.device import CPU, Placement

CLASSES = (
    "FEMALE_GENITALIA_COVERED",
    "FACE_FEMALE",
    "BUTTOCKS_EXPOSED",
    "FEMALE_BREAST_EXPOSED",
    "FEMALE_GENITALIA_EXPOSED",
    "MALE_BREAST_EXPOSED",
    "ANUS_EXPOSED",
    "FEET_EXPOSED",
    "BELLY_COVERED",
    "FEET_COVERED",
    "ARMPITS_COVERED",
    "ARMPITS_EXPOSED",
    "FACE_MALE",
    "BELLY_EXPOSED",
    "MALE_GENITALIA_EXPOSED",
    "ANUS_COVERED",
    "FEMALE_BREAST_COVERED",
    "BUTTOCKS_COVERED",
)
EXPOSED_CLASSES = frozenset(
    {
        "BUTTOCKS_EXPOSED",
        "FEMALE_BREAST_EXPOSED",
        "FEMALE_GENITALIA_EXPOSED",
        "MALE_GENITALIA_EXPOSED",
        "ANUS_EXPOSED",
    }
)


def _shipped_model() -> Path:
    import nudenet

    return Path(nudenet.__file__).with_name("320n.onnx")


def non_max_suppression(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> list[int]:
    """Indices of the boxes (x0 y0 x1 y1) kept by greedy NMS, highest score first."""
    order = np.argsort(-scores)
    areas = np.prod(np.clip(boxes[:, 2:] - boxes[:, :2], 0, None), axis=1)
    keep: list[int] = []
    while order.size:
        best, rest = order[0], order[1:]
        keep.append(int(best))
        top_left = np.maximum(boxes[best, :2], boxes[rest, :2])
        bottom_right = np.minimum(boxes[best, 2:], boxes[rest, 2:])
        overlap = np.prod(np.clip(bottom_right - top_left, 0, None), axis=1)
        iou = overlap / np.maximum(areas[best] + areas[rest] - overlap, 1e-9)
        order = rest[iou <= iou_threshold]
    return keep


class NudityDetector:
    name = "nudity_detector"
    extra_shapes: dict[str, tuple[int, ...]] = {}

    def __init__(
        self,
        model_path: Path | None = None,
        min_score: float = 0.25,
        iou_threshold: float = 0.45,
        threads: int = 0,
        placement: Placement = CPU,
    ) -> None:
        import onnxruntime

        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = threads
        path = model_path or _shipped_model()
        providers = placement.onnx_providers(onnxruntime.get_available_providers())
        self.session = onnxruntime.InferenceSession(str(path), options, providers=providers)
        self.input_name = self.session.get_inputs()[0].name
        self.size = 320
        self.min_score = min_score
        self.iou_threshold = iou_threshold
        self.version = f"nudenet {version('nudenet')} {path.name}, onnxruntime {version('onnxruntime')}"

    def _prepare(self, image: Image.Image) -> tuple[np.ndarray, float]:
        import cv2

        rgb = np.asarray(image.convert("RGB"))
        side = max(rgb.shape[:2])
        square = np.zeros((side, side, 3), np.uint8)
        square[: rgb.shape[0], : rgb.shape[1]] = rgb
        resized = cv2.resize(square, (self.size, self.size), interpolation=cv2.INTER_LINEAR)
        bgr = resized[:, :, ::-1].astype(np.float32) / 255.0  # the order NudeNet's own loader feeds
        return bgr.transpose(2, 0, 1), side / self.size

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        if not images:
            return []
        prepared = [self._prepare(image) for image in images]
        batch = np.stack([pixels for pixels, _ in prepared])
        (output,) = self.session.run(None, {self.input_name: batch})
        return [
            self._decode(rows.T, scale, image.size)
            for rows, (_, scale), image in zip(output, prepared, images, strict=True)
        ]

    def _decode(self, rows: np.ndarray, scale: float, size: tuple[int, int]) -> list[Detection]:
        class_scores = rows[:, 4:]
        best = class_scores.argmax(axis=1)
        scores = class_scores[np.arange(len(rows)), best]
        confident = scores >= self.min_score
        centres, extents = rows[confident, :2], rows[confident, 2:4]
        boxes = np.concatenate([centres - extents / 2, centres + extents / 2], axis=1) * scale
        boxes = np.clip(boxes, 0, [size[0], size[1], size[0], size[1]])
        scores, best = scores[confident], best[confident]
        return [
            Detection(label=CLASSES[best[i]], score=float(scores[i]), box=tuple(float(v) for v in boxes[i]))  # type: ignore[arg-type]
            for i in non_max_suppression(boxes, scores, self.iou_threshold)
        ]
