import json
import shutil
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from modstream_models.generator import (
    RANDOM_WEIGHTS_MARKER,
    TINY_IP_ADAPTER,
    GenerationItem,
    Generator,
    NoIpAdapter,
    build_tiny_random_pipeline,
    tiny_random_pipeline,
)
from tests.images import sample

PROMPT = "a red boat"


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_random_pipeline(tmp_path_factory.mktemp("tiny-sd"))


@pytest.fixture(scope="module")
def generator(tiny_dir: Path) -> Generator:
    return Generator(tiny_dir, steps=2, size=64)


def psnr(first: Image.Image, second: Image.Image) -> float:
    error = np.mean((np.asarray(first, float) - np.asarray(second, float)) ** 2)
    return float("inf") if error == 0 else 10 * np.log10(255**2 / error)


def test_tiny_pipeline_is_a_loadable_diffusers_directory_with_an_ip_adapter(tiny_dir: Path) -> None:
    index = json.loads((tiny_dir / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert (tiny_dir / RANDOM_WEIGHTS_MARKER).is_file()
    assert (tiny_dir / TINY_IP_ADAPTER).is_file() and (tiny_dir / TINY_IP_ADAPTER).with_name("image_encoder").is_dir()
    generator = Generator(tiny_dir, steps=2, size=64)
    assert generator.weights.random_weights and generator.weights.name == "tiny-random-sd"
    assert generator.weights.ip_adapter == TINY_IP_ADAPTER.name
    assert generator.placement.device == "cpu"


def test_generation_is_deterministic_per_seed_whatever_else_is_in_the_batch(generator: Generator) -> None:
    first, other, _ = generator.generate(
        [GenerationItem(PROMPT, 7), GenerationItem(PROMPT, 8), GenerationItem(PROMPT, 7, sample("coffee.jpg"), 0.6)]
    )
    (again,) = generator.generate([GenerationItem(PROMPT, 7)])
    assert first.size == (64, 64)
    assert np.abs(np.asarray(first, int) - np.asarray(again, int)).max() <= 2
    assert np.abs(np.asarray(first, int) - np.asarray(other, int)).mean() > 1


def test_the_reference_image_conditions_the_image(generator: Generator) -> None:
    coffee, astronaut = sample("coffee.jpg"), sample("astronaut.jpg")
    same, also_same, other, none = generator.generate(
        [
            GenerationItem(PROMPT, 3, coffee, 0.6),
            GenerationItem(PROMPT, 3, coffee, 0.6),
            GenerationItem(PROMPT, 3, astronaut, 0.6),
            GenerationItem(PROMPT, 3),
        ]
    )
    (alone,) = generator.generate([GenerationItem(PROMPT, 3, coffee, 0.6)])
    assert psnr(same, also_same) >= 30 and psnr(same, alone) >= 30
    assert psnr(same, other) < 22 and psnr(same, none) < 22


def test_scale_zero_is_the_prompt_alone(generator: Generator) -> None:
    coffee = sample("coffee.jpg")
    unscaled, plain = generator.generate([GenerationItem(PROMPT, 5, coffee, 0.0), GenerationItem(PROMPT, 5)])
    assert psnr(unscaled, plain) >= 40


def test_a_reference_for_a_generator_without_ip_adapter_is_refused(tiny_dir: Path, tmp_path: Path) -> None:
    plain = tmp_path / "plain-sd"
    shutil.copytree(tiny_dir, plain, ignore=shutil.ignore_patterns(RANDOM_WEIGHTS_MARKER, "ip_adapter"))
    generator = Generator(plain, steps=1, size=64)
    assert generator.weights.ip_adapter is None and not generator.weights.random_weights
    (image,) = generator.generate([GenerationItem(PROMPT, 1)])
    assert image.size == (64, 64)
    with pytest.raises(NoIpAdapter, match="MODSTREAM_GENERATOR_IP_ADAPTER"):
        generator.generate([GenerationItem(PROMPT, 1, sample("coffee.jpg"), 0.5)])


def test_missing_ip_adapter_weights_are_a_clear_error(tiny_dir: Path, tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="MODSTREAM_GENERATOR_IP_ADAPTER"):
        Generator(tiny_dir, steps=1, size=64, ip_adapter=tmp_path / "ip-adapter_sd15.safetensors")


def test_a_cached_tiny_pipeline_of_an_older_format_is_rebuilt(tmp_path: Path) -> None:
    cached = build_tiny_random_pipeline(tmp_path / "tiny")
    (cached / TINY_IP_ADAPTER).unlink()
    (cached / RANDOM_WEIGHTS_MARKER).write_text(json.dumps({"seed": 0}))  # what format 1 wrote
    assert tiny_random_pipeline(cached) == cached
    assert (cached / TINY_IP_ADAPTER).is_file()


def test_a_directory_without_a_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no model_index.json"):
        Generator(tmp_path, steps=1, size=64)
