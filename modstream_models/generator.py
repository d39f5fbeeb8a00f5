"""Image generator: a diffusers text-to-image pipeline loaded from a local directory, with IP-Adapter
reference-image conditioning.

Real weights (SD-Turbo, SDXL-Turbo, ...) are a local diffusers directory passed as ``weights_dir``; an
IP-Adapter is a weights file with its CLIP image encoder in ``image_encoder/`` beside it (the h94/IP-Adapter
layout), loaded through diffusers' own ``load_ip_adapter``. Without weights the project builds a tiny pipeline
of the Stable-Diffusion architecture with random weights, IP-Adapter and image encoder included
(``build_tiny_random_pipeline``), and loads it through the same code; its images are noise, and
``GeneratorWeights.random_weights`` says so in every output's metadata.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import torch
from diffusers import StableDiffusionPipeline, StableDiffusionXLPipeline
from PIL import Image

from modstream_models.device import CPU, Placement

RANDOM_WEIGHTS_MARKER = "modstream-random-weights.json"
TINY_FORMAT = 2  # bumped when the tiny pipeline changes, so that caches of an older one are rebuilt
TINY_IP_ADAPTER = Path("ip_adapter") / "ip-adapter.safetensors"  # inside the tiny pipeline's directory


@dataclass(frozen=True)
class GeneratorWeights:
    name: str
    random_weights: bool
    ip_adapter: str | None  # the IP-Adapter's file name; None: reference images cannot be used


@dataclass(frozen=True)
class GenerationItem:
    """One image to generate: ``reference`` conditions it through the IP-Adapter with weight ``reference_scale``."""

    prompt: str
    seed: int
    reference: Image.Image | None = None
    reference_scale: float = 0.0

    @property
    def scale(self) -> float:
        return self.reference_scale if self.reference is not None else 0.0


class NoIpAdapter(ValueError):
    """A reference image for a generator that has no IP-Adapter."""


def _tiny_tokenizer_vocab() -> dict[str, int]:
    # A byte-level vocabulary: every printable character and its end-of-word form, plus specials.
    symbols = [chr(code) for code in range(33, 127)]
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols:
        vocab.setdefault(symbol, len(vocab))
        vocab.setdefault(symbol + "</w>", len(vocab))
    return vocab


def _tiny_text_encoder(vocab_size: int) -> Any:
    from transformers import CLIPTextConfig, CLIPTextModel

    return CLIPTextModel(
        CLIPTextConfig(
            vocab_size=vocab_size,
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            max_position_embeddings=77,
            bos_token_id=0,
            eos_token_id=1,
            pad_token_id=1,
        )
    )


def _tiny_unet_and_vae() -> tuple[Any, Any]:
    from diffusers import AutoencoderKL, UNet2DConditionModel

    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        block_out_channels=(32, 64),
        layers_per_block=1,
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        attention_head_dim=8,
        norm_num_groups=16,
    )
    vae = AutoencoderKL(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(16, 16, 32, 32),
        down_block_types=("DownEncoderBlock2D",) * 4,
        up_block_types=("UpDecoderBlock2D",) * 4,
        layers_per_block=1,
        norm_num_groups=8,
        sample_size=128,
    )
    _unit_noise_prediction(unet)
    return unet, vae


def _unit_noise_prediction(unet: Any) -> None:
    """Scale the random UNet's output layer so that it predicts noise of unit variance, as a trained one does.

    At random initialisation the prediction is about a third of that, the initial noise then dominates
    every image and neither prompt nor reference changes much of it.
    """
    draw = torch.Generator().manual_seed(0)
    latents = torch.randn(2, unet.config.in_channels, 16, 16, generator=draw)
    text = torch.randn(2, 77, unet.config.cross_attention_dim, generator=draw)
    with torch.no_grad():
        spread = unet(latents, 999, encoder_hidden_states=text).sample.std()
        unet.conv_out.weight.div_(spread)
        unet.conv_out.bias.div_(spread)


def write_random_ip_adapter(unet: Any, weights_file: Path, gain: float = 8.0) -> Path:
    """A randomly initialised IP-Adapter for ``unet`` in the h94 layout: ``weights_file`` (image projection
    and one key/value projection per cross-attention layer, numbered as diffusers' loader expects) and a
    small CLIP image encoder in ``image_encoder/`` beside it.

    ``gain`` scales the key/value projections so that, in a random network, another reference changes
    the image as clearly as trained weights do.
    """
    from safetensors.torch import save_file
    from transformers import CLIPVisionConfig, CLIPVisionModelWithProjection

    cross_dim = unet.config.cross_attention_dim
    embed_dim = 32
    encoder = CLIPVisionModelWithProjection(
        CLIPVisionConfig(
            hidden_size=32,
            intermediate_size=64,
            num_hidden_layers=2,
            num_attention_heads=4,
            image_size=32,
            patch_size=8,
            projection_dim=embed_dim,
            initializer_factor=5.0,  # at the default, a random encoder maps any two images to nearly one embedding
        )
    )
    tokens = 4  # image tokens per reference in the original IP-Adapter
    tensors = {
        "image_proj.proj.weight": torch.randn(cross_dim * tokens, embed_dim) / embed_dim**0.5,
        "image_proj.proj.bias": torch.zeros(cross_dim * tokens),
        "image_proj.norm.weight": torch.ones(cross_dim),
        "image_proj.norm.bias": torch.zeros(cross_dim),
    }
    cross_attention = [name for name in unet.attn_processors if not name.endswith("attn1.processor")]
    for index, name in enumerate(cross_attention):
        key = unet.get_submodule(name.removesuffix(".processor")).to_k.weight
        for projection in ("to_k_ip", "to_v_ip"):
            tensors[f"ip_adapter.{2 * index + 1}.{projection}.weight"] = torch.randn(key.shape) * gain / cross_dim**0.5
    weights_file.parent.mkdir(parents=True, exist_ok=True)
    save_file(tensors, str(weights_file))
    encoder.save_pretrained(weights_file.parent / "image_encoder")
    return weights_file


def build_tiny_random_pipeline(directory: Path, seed: int = 0) -> Path:
    """Write a tiny Stable-Diffusion-architecture pipeline with random weights to ``directory``, with an
    IP-Adapter for it in ``directory / TINY_IP_ADAPTER``."""
    torch.manual_seed(seed)
    unet, vae = _tiny_unet_and_vae()
    text_encoder = _tiny_text_encoder(len(_tiny_tokenizer_vocab()))
    return save_random_pipeline(directory, "tiny-random-sd", unet, vae, text_encoder, seed)


def save_random_pipeline(directory: Path, name: str, unet: Any, vae: Any, text_encoder: Any, seed: int) -> Path:
    """A Stable-Diffusion pipeline of randomly initialised parts (any size) written to ``directory`` as
    diffusers lays it out, with a random IP-Adapter in ``directory / TINY_IP_ADAPTER`` and a marker that
    names it and says that its images are noise."""
    from diffusers import EulerDiscreteScheduler
    from transformers import CLIPTokenizer

    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=CLIPTokenizer(vocab=_tiny_tokenizer_vocab(), merges=[], model_max_length=77),
        unet=unet,
        scheduler=EulerDiscreteScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    directory.mkdir(parents=True, exist_ok=True)
    pipeline.save_pretrained(directory)  # type: ignore[attr-defined]  # from a diffusers mixin
    write_random_ip_adapter(unet, directory / TINY_IP_ADAPTER)
    marker = {"name": name, "note": "random weights built by modstream; images are noise", "seed": seed}
    (directory / RANDOM_WEIGHTS_MARKER).write_text(json.dumps(marker | {"format": TINY_FORMAT}))
    return directory


def tiny_random_pipeline(directory: Path) -> Path:
    """The tiny random pipeline cached in ``directory``, built there first when missing or of an older format."""
    marker = directory / RANDOM_WEIGHTS_MARKER
    if not marker.is_file() or json.loads(marker.read_text()).get("format") != TINY_FORMAT:
        build_tiny_random_pipeline(directory)
    return directory


class _PerItemReferences:
    """diffusers' pipelines condition a whole call on one reference image; a dynamic batch carries one per item.

    Given ``ip_adapter_image_embeds`` with one row per item, use them as they are instead of repeating them
    for every item (the base method's behaviour); the unconditional half for classifier-free guidance is
    zeros, as diffusers' ``encode_image`` makes it for the original IP-Adapter.
    """

    def prepare_ip_adapter_image_embeds(
        self, ip_adapter_image: Any, ip_adapter_image_embeds: Any, device: Any, count: int, guidance: bool
    ) -> list[torch.Tensor]:
        if ip_adapter_image_embeds is None:
            return super().prepare_ip_adapter_image_embeds(  # type: ignore[misc]
                ip_adapter_image, ip_adapter_image_embeds, device, count, guidance
            )
        embeds = [rows.to(device) for rows in ip_adapter_image_embeds]
        return [torch.cat([torch.zeros_like(rows), rows]) for rows in embeds] if guidance else embeds


class StableDiffusionWithReferences(_PerItemReferences, StableDiffusionPipeline):
    pass


class StableDiffusionXLWithReferences(_PerItemReferences, StableDiffusionXLPipeline):
    pass


PIPELINES = {
    "StableDiffusionPipeline": StableDiffusionWithReferences,
    "StableDiffusionXLPipeline": StableDiffusionXLWithReferences,
}


def _pipeline_class(weights_dir: Path) -> type[_PerItemReferences]:
    index = weights_dir / "model_index.json"
    if not index.is_file():
        raise FileNotFoundError(
            f"{weights_dir} is not a diffusers pipeline directory (no model_index.json); "
            "point MODSTREAM_GENERATOR_WEIGHTS at one, or unset it to build the tiny test pipeline"
        )
    name = json.loads(index.read_text())["_class_name"]
    if name not in PIPELINES:
        raise ValueError(f"{weights_dir}: a {name}; the generator loads {' or '.join(PIPELINES)} (SD/SDXL-Turbo)")
    return PIPELINES[name]


class Generator:
    """Text-to-image generation in batches, deterministic per seed and reference."""

    def __init__(
        self,
        weights_dir: Path,
        *,
        steps: int,
        size: int,
        ip_adapter: Path | None = None,
        placement: Placement = CPU,
    ) -> None:
        self.placement = placement
        dtype = self.placement.torch_dtype(half_safe=True)
        marker = weights_dir / RANDOM_WEIGHTS_MARKER
        random_weights = marker.exists()
        if ip_adapter is None and random_weights:
            ip_adapter = weights_dir / TINY_IP_ADAPTER
        pipeline: Any = _pipeline_class(weights_dir).from_pretrained(  # type: ignore[attr-defined]
            weights_dir, local_files_only=True, torch_dtype=dtype
        )
        if ip_adapter is not None:
            if not ip_adapter.is_file():
                raise FileNotFoundError(f"IP-Adapter {ip_adapter}: no such file (MODSTREAM_GENERATOR_IP_ADAPTER)")
            pipeline.load_ip_adapter(
                str(ip_adapter.parent), subfolder="", weight_name=ip_adapter.name, local_files_only=True
            )
        pipeline.set_progress_bar_config(disable=True)
        self.pipeline = pipeline.to(self.placement.device) if self.placement.gpu else pipeline
        self.steps = steps
        self.size = size
        self.weights = GeneratorWeights(
            name=json.loads(marker.read_text()).get("name", "random-sd") if random_weights else weights_dir.name,
            random_weights=random_weights,
            ip_adapter=ip_adapter.name if ip_adapter else None,
        )

    def check(self, items: Sequence[GenerationItem]) -> None:
        """NoIpAdapter when an item has a reference image and this generator has no IP-Adapter for it."""
        if self.weights.ip_adapter is None and any(item.reference is not None for item in items):
            raise NoIpAdapter("this generator has no IP-Adapter: set MODSTREAM_GENERATOR_IP_ADAPTER")

    def generate(self, items: Sequence[GenerationItem]) -> list[Image.Image]:
        """One image per item, in order. Items that share a reference scale run in one pipeline call."""
        self.check(items)
        images: list[Image.Image | None] = [None] * len(items)
        for scale in sorted({item.scale for item in items}):
            indices = [index for index, item in enumerate(items) if item.scale == scale]
            for index, image in zip(indices, self._call([items[i] for i in indices], scale), strict=True):
                images[index] = image
        return [image for image in images if image is not None]

    def _call(self, items: list[GenerationItem], scale: float) -> list[Image.Image]:
        # Seeds draw on the CPU, so an image does not depend on the device it was generated on.
        generators = [torch.Generator().manual_seed(item.seed) for item in items]
        conditioning: dict[str, Any] = {}
        if self.weights.ip_adapter is not None:
            self.pipeline.set_ip_adapter_scale(scale)
            conditioning["ip_adapter_image_embeds"] = [self._reference_embeds(items)]
        with torch.inference_mode():
            result = self.pipeline(
                prompt=[item.prompt for item in items],
                num_inference_steps=self.steps,
                height=self.size,
                width=self.size,
                generator=generators,
                guidance_scale=0.0,
                **conditioning,
            )
        return list(result.images)

    def _reference_embeds(self, items: list[GenerationItem]) -> torch.Tensor:
        """One CLIP image embedding per item (zeros where there is no reference: scale 0 ignores them)."""
        encoder = self.pipeline.image_encoder
        width = encoder.config.projection_dim
        rows = torch.zeros(len(items), 1, width, dtype=encoder.dtype, device=self.placement.device)
        references = [(index, item.reference) for index, item in enumerate(items) if item.reference is not None]
        if references:
            pixels = self.pipeline.feature_extractor([image for _, image in references], return_tensors="pt")
            with torch.inference_mode():
                embeds = encoder(pixels.pixel_values.to(self.placement.device, encoder.dtype)).image_embeds
            for (index, _), embed in zip(references, embeds, strict=True):
                rows[index, 0] = embed
        return rows
