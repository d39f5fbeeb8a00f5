import json
from pathlib import Path

import numpy as np
import pytest

from modstream_models.generator import RANDOM_WEIGHTS_MARKER, Generator, build_tiny_random_pipeline


@pytest.fixture(scope="module")
def tiny_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_tiny_random_pipeline(tmp_path_factory.mktemp("tiny-sd"))


def test_tiny_pipeline_is_a_loadable_diffusers_directory(tiny_dir: Path) -> None:
    index = json.loads((tiny_dir / "model_index.json").read_text())
    assert index["_class_name"] == "StableDiffusionPipeline"
    assert (tiny_dir / RANDOM_WEIGHTS_MARKER).is_file()
    generator = Generator(tiny_dir, steps=2, size=64)
    assert generator.weights.random_weights
    assert generator.weights.name == "tiny-random-sd"


def test_generation_is_deterministic_per_seed(tiny_dir: Path) -> None:
    generator = Generator(tiny_dir, steps=2, size=64)
    first, other = generator.generate(["a red boat", "a red boat"], [7, 8])
    (again,) = generator.generate(["a red boat"], [7])
    assert first.size == (64, 64)
    assert np.abs(np.asarray(first, int) - np.asarray(again, int)).max() <= 2
    assert np.abs(np.asarray(first, int) - np.asarray(other, int)).mean() > 1


def test_a_directory_without_a_pipeline_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="no model_index.json"):
        Generator(tmp_path, steps=1, size=64)
