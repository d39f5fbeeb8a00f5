import pytest
from PIL import Image

from modstream_models.faces import FaceDetector
from tests.images import sample


@pytest.fixture(scope="module")
def detector() -> FaceDetector:
    return FaceDetector()


def test_finds_the_astronaut_face_and_none_in_the_coffee(detector: FaceDetector) -> None:
    astronaut, coffee = detector.detect([sample("astronaut.jpg"), sample("coffee.jpg")])
    assert len(astronaut) == 1 and astronaut[0].score > 0.99 and astronaut[0].label == "face"
    assert astronaut[0].box is not None
    x0, y0, x1, y1 = astronaut[0].box
    assert 150 < x0 < x1 < 300 and 30 < y0 < y1 < 200  # the face, not the suit or the flag
    assert astronaut[0].extras["LANDMARKS"].shape == (5, 2)
    assert coffee == []
    assert detector.version.startswith("facenet-pytorch 2.6.0")


def test_faces_survive_rescale(detector: FaceDetector) -> None:
    small = sample("astronaut.jpg").resize((256, 256), Image.Resampling.BILINEAR)
    (faces,) = detector.detect([small])
    assert len(faces) == 1


def test_an_image_smaller_than_the_smallest_face_has_none(detector: FaceDetector) -> None:
    tiny, thin = Image.new("RGB", (12, 12), "grey"), Image.new("RGB", (400, 19), "grey")
    assert detector.detect([tiny, thin]) == [[], []]
