"""Face detection with facenet-pytorch's MTCNN (its weights ship inside the package)."""

from __future__ import annotations

from collections.abc import Sequence
from importlib.metadata import version

import numpy as np
import torch
from PIL import Image

from modstream_models.detections import Detection
from modstream_models.device import CPU, Placement


class FaceDetector:
    name = "face_detector"
    extra_shapes: dict[str, tuple[int, ...]] = {"LANDMARKS": (5, 2)}  # eyes, nose, mouth corners (x, y)

    def __init__(self, min_score: float = 0.0, placement: Placement = CPU) -> None:
        from facenet_pytorch import MTCNN

        self.version = f"facenet-pytorch {version('facenet-pytorch')} MTCNN"
        self.min_score = min_score
        self.mtcnn = MTCNN(keep_all=True, device=torch.device(placement.device))

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        """Faces in each image. Images of different sizes run one by one (MTCNN batches equal sizes only)."""
        return [self._detect_one(image.convert("RGB")) for image in images]

    def _detect_one(self, image: Image.Image) -> list[Detection]:
        if min(image.size) < self.mtcnn.min_face_size:
            return []  # no face of MTCNN's smallest size fits (and MTCNN fails on such images)
        with torch.inference_mode():
            boxes, scores, landmarks = self.mtcnn.detect(image, landmarks=True)
        if boxes is None:
            return []
        return [
            Detection(
                label="face",
                score=float(score),
                box=(float(box[0]), float(box[1]), float(box[2]), float(box[3])),
                extras={"LANDMARKS": np.asarray(points, np.float32)},
            )
            for box, score, points in zip(boxes, scores, landmarks, strict=True)
            if float(score) >= self.min_score
        ]
