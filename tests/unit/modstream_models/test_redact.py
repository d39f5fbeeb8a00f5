import numpy as np

from modstream_models.redact import redact
from tests.images import sample


def test_fill_blacks_out_the_box_and_blur_changes_only_its_region() -> None:
    image = sample("astronaut.jpg")
    result = np.asarray(redact(image, blur=[(180, 60, 270, 175)], fill=[(10, 400, 100, 430)])).astype(int)
    original = np.asarray(image).astype(int)
    assert (result[405:425, 15:95] == 0).all()
    assert np.abs(result[70:165, 190:260] - original[70:165, 190:260]).mean() > 5
    assert (result[300:380, 300:500] == original[300:380, 300:500]).all()
