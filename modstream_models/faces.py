"""Face detection with facenet-pytorch's MTCNN (its weights ship inside the package)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from PIL import Image


@dataclass(frozen=True)
class Faces:
    boxes: np.ndarray  # (n, 4) float32, x0 y0 x1 y1 in pixels
    scores: np.ndarray  # (n,) float32
    landmarks: np.ndarray  # (n, 5, 2) float32: eyes, nose, mouth corners

    @classmethod
    def none(cls) -> Faces:
        return cls(np.zeros((0, 4), np.float32), np.zeros((0,), np.float32), np.zeros((0, 5, 2), np.float32))


class FaceDetector:
    def __init__(self, min_score: float = 0.0, device: str = "cpu") -> None:
        from facenet_pytorch import MTCNN

        self.min_score = min_score
        self.mtcnn = MTCNN(keep_all=True, device=torch.device(device))

    def detect(self, images: list[Image.Image]) -> list[Faces]:
        """Faces in each image. Images of different sizes are run one by one (MTCNN batches equal sizes)."""
        return [self._detect_one(image.convert("RGB")) for image in images]

    def _detect_one(self, image: Image.Image) -> Faces:
        with torch.inference_mode():
            boxes, scores, landmarks = self.mtcnn.detect(image, landmarks=True)
        if boxes is None:
            return Faces.none()
        scores = np.asarray(scores, dtype=np.float32)
        keep = scores >= self.min_score
        return Faces(
            boxes=np.asarray(boxes, dtype=np.float32)[keep].reshape(-1, 4),
            scores=scores[keep],
            landmarks=np.asarray(landmarks, dtype=np.float32)[keep].reshape(-1, 5, 2),
        )


def stack_padded(results: list[Faces]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack per-image results into batch arrays padded to the largest face count (padding score 0)."""
    count = max((len(faces.scores) for faces in results), default=0)
    boxes = np.zeros((len(results), count, 4), np.float32)
    scores = np.zeros((len(results), count), np.float32)
    landmarks = np.zeros((len(results), count, 5, 2), np.float32)
    for row, faces in enumerate(results):
        n = len(faces.scores)
        boxes[row, :n], scores[row, :n], landmarks[row, :n] = faces.boxes, faces.scores, faces.landmarks
    return boxes, scores, landmarks
