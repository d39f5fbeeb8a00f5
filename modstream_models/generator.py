"""Image generator: a diffusers text-to-image pipeline loaded from a local directory.

Real weights (SD-Turbo, SDXL-Turbo, ...) are a local diffusers directory passed as ``weights_dir``.
Without them the project builds a tiny pipeline of the Stable-Diffusion architecture with random
weights (``build_tiny_random_pipeline``) and loads it through the same ``from_pretrained`` path; its
images are noise, and ``GeneratorWeights.random_weights`` says so in every output's metadata.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import torch
from PIL import Image

RANDOM_WEIGHTS_MARKER = "modstream-random-weights.json"


@dataclass(frozen=True)
class GeneratorWeights:
    name: str
    random_weights: bool


def _tiny_tokenizer_vocab() -> dict[str, int]:
    # A byte-level vocabulary: every printable character and its end-of-word form, plus specials.
    symbols = [chr(code) for code in range(33, 127)]
    vocab = {"<|startoftext|>": 0, "<|endoftext|>": 1}
    for symbol in symbols:
        vocab.setdefault(symbol, len(vocab))
        vocab.setdefault(symbol + "</w>", len(vocab))
    return vocab


def build_tiny_random_pipeline(directory: Path, seed: int = 0) -> Path:
    """Write a tiny Stable-Diffusion-architecture pipeline with random weights to ``directory``."""
    from diffusers import AutoencoderKL, EulerDiscreteScheduler, StableDiffusionPipeline, UNet2DConditionModel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    torch.manual_seed(seed)
    vocab = _tiny_tokenizer_vocab()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=77)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            vocab_size=len(vocab),
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
    pipeline = StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=EulerDiscreteScheduler(steps_offset=1),
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    )
    directory.mkdir(parents=True, exist_ok=True)
    pipeline.save_pretrained(directory)  # type: ignore[attr-defined]  # from a diffusers mixin
    (directory / RANDOM_WEIGHTS_MARKER).write_text(
        json.dumps({"note": "random weights built by modstream; images are noise", "seed": seed})
    )
    return directory


class Generator:
    """Text-to-image generation in batches, deterministic per seed."""

    def __init__(self, weights_dir: Path, *, steps: int, size: int) -> None:
        from diffusers import DiffusionPipeline

        if not (weights_dir / "model_index.json").is_file():
            raise FileNotFoundError(
                f"{weights_dir} is not a diffusers pipeline directory (no model_index.json); "
                "point MODSTREAM_GENERATOR_WEIGHTS at one, or unset it to build the tiny test pipeline"
            )
        self.pipeline = DiffusionPipeline.from_pretrained(weights_dir, local_files_only=True)
        self.pipeline.set_progress_bar_config(disable=True)
        self.steps = steps
        self.size = size
        random_weights = (weights_dir / RANDOM_WEIGHTS_MARKER).exists()
        self.weights = GeneratorWeights(
            name="tiny-random-sd" if random_weights else weights_dir.name, random_weights=random_weights
        )

    def generate(self, prompts: list[str], seeds: list[int]) -> list[Image.Image]:
        generators = [torch.Generator().manual_seed(seed) for seed in seeds]
        with torch.inference_mode():
            result = self.pipeline(
                prompt=prompts,
                num_inference_steps=self.steps,
                height=self.size,
                width=self.size,
                generator=generators,
                guidance_scale=0.0,
            )
        return list(result.images)
