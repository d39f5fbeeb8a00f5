import numpy as np
import pytest
from PIL import Image

from modstream_models.images import InvalidImage, decode_image, encode_png


def test_encode_png_is_lossless_at_the_fast_level() -> None:
    pixels = np.random.default_rng(0).integers(0, 256, (40, 60, 3), dtype=np.uint8)
    encoded = encode_png(Image.fromarray(pixels))
    assert encoded.startswith(b"\x89PNG")
    assert np.array_equal(np.asarray(decode_image(encoded)), pixels)


def test_decode_image_refuses_bytes_that_are_no_image() -> None:
    with pytest.raises(InvalidImage, match="unknown format"):
        decode_image(b"not an image")
