from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageOps

from modstream_models.style import (
    Background,
    ClipStyleEmbedder,
    GramStyleEmbedder,
    StyleMatcher,
    calibrate,
    default_background,
    load_style_embedder,
)


def _sketch(image: Image.Image) -> Image.Image:
    """A 'protected style' the tests can make: inverted edges in grey, like a pencil sketch."""
    from PIL import ImageFilter

    return ImageOps.invert(image.convert("L").filter(ImageFilter.FIND_EDGES)).convert("RGB")


@pytest.fixture(scope="module")
def embedder() -> GramStyleEmbedder:
    return GramStyleEmbedder()


def test_gallery_scores_styled_images_above_plain_ones(embedder: GramStyleEmbedder, tmp_path: Path) -> None:
    photos = default_background(count=24, seed=11)
    (tmp_path / "sketches").mkdir()
    for index, photo in enumerate(photos[:6]):
        _sketch(photo).save(tmp_path / "sketches" / f"{index}.png")
    matcher = StyleMatcher(tmp_path, embedder, background=default_background(count=32, seed=0))
    styled = matcher.detect([_sketch(photo) for photo in photos[6:12]])
    plain = matcher.detect(photos[12:24])
    assert all(found[0].label == "sketches" for found in styled + plain)
    assert min(found[0].score for found in styled) > max(found[0].score for found in plain)
    assert min(found[0].score for found in styled) > 3  # well above the background, in standard deviations
    assert "galleries" in matcher.version and "efficientnet-lite0" in matcher.version


def test_calibration_centres_the_background_on_zero() -> None:
    rng = np.random.default_rng(0)
    background = Background.of(rng.normal(size=(50, 8)))
    gallery = calibrate("g", rng.normal(size=(4, 8)), background)
    scores = gallery.z_scores(gallery.similarity(background.descriptors))
    assert abs(scores.mean()) < 1e-6 and abs(scores.std() - 1) < 1e-6
    with pytest.raises(ValueError, match="no images"):
        calibrate("empty", np.zeros((0, 8)), background)


def test_no_galleries_means_no_detections(embedder: GramStyleEmbedder, tmp_path: Path) -> None:
    matcher = StyleMatcher(tmp_path / "missing", embedder, background=default_background(count=4))
    assert matcher.detect(default_background(count=2, seed=3)) == [[], []]


def test_clip_loader_reads_a_local_checkpoint(tmp_path: Path) -> None:
    """Production weights load through the same path; here a small random CLIP vision tower of that architecture."""
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    config = CLIPVisionConfig(
        hidden_size=32, intermediate_size=64, num_hidden_layers=2, num_attention_heads=2,
        image_size=64, patch_size=16, projection_dim=16,
    )  # fmt: skip
    CLIPVisionModelWithProjection(config).save_pretrained(tmp_path / "tiny-clip")
    embedder = load_style_embedder(f"clip:{tmp_path / 'tiny-clip'}")
    assert isinstance(embedder, ClipStyleEmbedder)
    vectors = embedder.embed(default_background(count=3, side=80))
    assert vectors.shape == (3, 16)
    np.testing.assert_allclose(np.linalg.norm(vectors, axis=1), 1, rtol=1e-5)


def test_unknown_embedder_is_refused() -> None:
    with pytest.raises(ValueError, match="unknown style embedder"):
        load_style_embedder("vgg")


class CountingEmbedder:
    """The real embedder, counting the images it is asked to embed."""

    def __init__(self, inner: GramStyleEmbedder) -> None:
        self.inner, self.name, self.version, self.embedded = inner, inner.name, inner.version, 0

    def embed(self, images: list[Image.Image]) -> np.ndarray:
        self.embedded += len(images)
        return self.inner.embed(images)


def test_default_background_is_embedded_once_per_embedder_version(embedder: GramStyleEmbedder, tmp_path: Path) -> None:
    counting = CountingEmbedder(embedder)
    first = StyleMatcher(tmp_path / "missing", counting, cache_dir=tmp_path / "cache")
    assert counting.embedded == len(default_background())
    second = StyleMatcher(tmp_path / "missing", counting, cache_dir=tmp_path / "cache")
    assert counting.embedded == len(default_background())
    np.testing.assert_array_equal(first.background.descriptors, second.background.descriptors)
    counting.version += " retrained"
    StyleMatcher(tmp_path / "missing", counting, cache_dir=tmp_path / "cache")
    assert counting.embedded == 2 * len(default_background())
    assert len(list((tmp_path / "cache").glob("style-background-*.npy"))) == 2
