import numpy as np
import pytest
from PIL import Image

from modstream_models.faces import FaceDetector, Faces, stack_padded
from tests.images import sample


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_finds_the_astronaut_face_and_none_in_the_coffee(detector: FaceDetector) -> None:
    astronaut, coffee = detector.detect([sample("astronaut.jpg"), sample("coffee.jpg")])
    assert len(astronaut.scores) == 1 and astronaut.scores[0] > 0.99
    x0, y0, x1, y1 = astronaut.boxes[0]
    assert 150 < x0 < x1 < 300 and 30 < y0 < y1 < 200  # the face, not the suit or the flag
    assert astronaut.landmarks.shape == (1, 5, 2)
    assert len(coffee.scores) == 0


def test_faces_survive_rescale(detector: FaceDetector) -> None:
    small = sample("astronaut.jpg").resize((256, 256), Image.Resampling.BILINEAR)
    (faces,) = detector.detect([small])
    assert len(faces.scores) == 1


def test_stack_padded_pads_with_zero_scores() -> None:
    one = Faces(np.ones((1, 4), np.float32), np.array([0.9], np.float32), np.ones((1, 5, 2), np.float32))
    boxes, scores, landmarks = stack_padded([one, Faces.none()])
    assert boxes.shape == (2, 1, 4) and landmarks.shape == (2, 1, 5, 2)
    np.testing.assert_allclose(scores, [[0.9], [0.0]])
    assert stack_padded([Faces.none()])[0].shape == (1, 0, 4)
