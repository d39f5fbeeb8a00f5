import numpy as np

from modstream_models.nudity import CLASSES, EXPOSED_CLASSES, NudityDetector, non_max_suppression
from tests.images import sample


def test_matches_nudenets_own_detector_on_a_photo() -> None:
    from nudenet import NudeDetector

    from tests.images import SAMPLES

    (ours,) = NudityDetector().detect([sample("astronaut.jpg")])
    theirs = NudeDetector().detect(str(SAMPLES / "astronaut.jpg"))
    assert [d.label for d in ours] == [t["class"] for t in theirs] == ["FACE_FEMALE"]
    assert abs(ours[0].score - theirs[0]["score"]) < 1e-3
    x, y, w, h = theirs[0]["box"]
    assert ours[0].box is not None
    np.testing.assert_allclose(ours[0].box, (x, y, x + w, y + h), atol=1.5)


def test_batches_of_different_sizes_give_per_image_results() -> None:
    results = NudityDetector().detect([sample("coffee.jpg"), sample("astronaut.jpg").resize((200, 300))])
    assert len(results) == 2
    assert not any(d.label in EXPOSED_CLASSES for found in results for d in found)
    assert all(d.label in CLASSES for found in results for d in found)


def test_nms_keeps_the_best_of_overlapping_boxes() -> None:
    boxes = np.array([[0, 0, 10, 10], [1, 1, 10, 10], [20, 20, 30, 30]], np.float32)
    assert non_max_suppression(boxes, np.array([0.5, 0.9, 0.3]), 0.45) == [1, 2]
