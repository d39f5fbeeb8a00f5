import numpy as np
import pytest

from modstream_models.detections import Detection, decode_detections, encode_detections


def test_round_trip_pads_to_the_longest_list_and_keeps_extras() -> None:
    results = [
        [Detection("face", 0.9, (1, 2, 3, 4), {"LANDMARKS": np.ones((5, 2), np.float32)})],
        [],
        [
            Detection("face", 0.8, None, {"LANDMARKS": np.zeros((5, 2), np.float32)}),
            Detection("face", 0.7, (5, 6, 7, 8), {"LANDMARKS": np.full((5, 2), 2, np.float32)}),
        ],
    ]
    tensors = encode_detections(results, "v1", {"LANDMARKS": (5, 2)})
    assert tensors["LABELS"].shape == (3, 2) and tensors["BOXES"].shape == (3, 2, 4)
    assert tensors["LANDMARKS"].shape == (3, 2, 5, 2) and tensors["MODEL_VERSION"].shape == (3, 1)
    for row, expected in enumerate(results):
        version, decoded = decode_detections(tensors, row)
        assert version == "v1"
        assert [(d.label, round(d.score, 3), d.box) for d in decoded] == [
            (d.label, round(d.score, 3), None if d.box is None else tuple(float(v) for v in d.box)) for d in expected
        ]
        for got, want in zip(decoded, expected, strict=True):
            np.testing.assert_array_equal(got.extras["LANDMARKS"], want.extras["LANDMARKS"])


def test_an_empty_batch_encodes_to_zero_columns() -> None:
    tensors = encode_detections([[], []], "v", {})
    assert tensors["SCORES"].shape == (2, 0)
    assert decode_detections(tensors, 1) == ("v", [])


def test_a_detection_needs_a_label() -> None:
    with pytest.raises(ValueError, match="label"):
        Detection("", 1.0)
