import io

import pytest
from PIL import Image

from streams.imaging import RejectedImage, hash_distance, perceptual_hash, sanitize_image
from streams.verify import SAME_CONTENT_MAX_DISTANCE
from tests.images import sample

LIMITS = {"max_bytes": 5_000_000, "max_pixels": 4_000_000}


def encode(image: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    image.save(out, format=fmt, **params)
    return out.getvalue()


def test_exif_and_gps_are_stripped() -> None:
    exif = Image.Exif()
    exif[0x010F] = "CameraMaker"  # Make
    exif[0x8825] = {1: "N", 2: (52.0, 22.0, 0.0)}  # GPSInfo
    data = encode(Image.new("RGB", (64, 48), "red"), exif=exif.tobytes())
    assert Image.open(io.BytesIO(data)).getexif()  # the fixture really carries EXIF

    clean = Image.open(io.BytesIO(sanitize_image(data, **LIMITS)))
    assert clean.format == "PNG"
    assert not clean.getexif()
    assert not clean.info.get("exif")
    assert clean.size == (64, 48)


def test_non_image_bytes_are_rejected() -> None:
    with pytest.raises(RejectedImage, match="not an image"):
        sanitize_image(b"hello, I am text", **LIMITS)


def test_truncated_image_is_rejected() -> None:
    data = encode(Image.effect_noise((256, 256), 64).convert("RGB"))
    with pytest.raises(RejectedImage, match="truncated or corrupt"):
        sanitize_image(data[: len(data) // 2], **LIMITS)


def test_oversized_file_is_rejected() -> None:
    with pytest.raises(RejectedImage, match="the limit is 100"):
        sanitize_image(b"x" * 101, max_bytes=100, max_pixels=10)


def test_decompression_bomb_is_rejected_before_decoding() -> None:
    # A PNG of 20000 x 20000 single-colour pixels compresses to a few hundred kilobytes.
    bomb = encode(Image.new("1", (20_000, 20_000)), "PNG", optimize=True)
    assert len(bomb) < LIMITS["max_bytes"]
    with pytest.raises(RejectedImage, match="decompression bomb"):
        sanitize_image(bomb, **LIMITS)


def test_unaccepted_format_is_rejected() -> None:
    with pytest.raises(RejectedImage, match="format GIF is not accepted"):
        sanitize_image(encode(Image.new("RGB", (8, 8)), "GIF"), **LIMITS)


def test_empty_is_rejected() -> None:
    with pytest.raises(RejectedImage, match="empty"):
        sanitize_image(b"", **LIMITS)


PHOTOS = ("astronaut.jpg", "chelsea.jpg", "coffee.jpg")


@pytest.mark.parametrize("name", PHOTOS)
def test_the_perceptual_hash_holds_through_copies_and_tells_images_apart(name: str) -> None:
    photo = sample(name)
    published = perceptual_hash(encode(photo, "PNG"))
    copies = [
        encode(photo, "JPEG", quality=30),
        encode(photo.resize((photo.width // 2, photo.height // 2)), "PNG"),
        encode(photo.crop((10, 10, photo.width - 10, photo.height - 10)), "PNG"),
    ]
    assert all(hash_distance(published, perceptual_hash(copy)) <= SAME_CONTENT_MAX_DISTANCE for copy in copies)
    others = [perceptual_hash(encode(sample(other), "PNG")) for other in PHOTOS if other != name]
    assert all(hash_distance(published, other) > SAME_CONTENT_MAX_DISTANCE for other in others)
    assert len(published) == 16 and hash_distance(published, published) == 0
