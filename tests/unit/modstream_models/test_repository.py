from pathlib import Path

import pytest
from google.protobuf import text_format
from tritonclient.grpc import model_config_pb2

from modstream_models.catalogue import TRITON_MODELS
from modstream_models.repository import SOURCE, gpu_config, main, model_repository

KIND_GPU = model_config_pb2.ModelInstanceGroup.Kind.KIND_GPU
KIND_CPU = model_config_pb2.ModelInstanceGroup.Kind.KIND_CPU


def parsed(path: Path) -> model_config_pb2.ModelConfig:
    return text_format.Parse(path.read_text(), model_config_pb2.ModelConfig())


def test_on_the_cpu_the_checked_in_repository_is_served_as_it_is(tmp_path: Path) -> None:
    assert model_repository("cpu", tmp_path / "gpu") == SOURCE
    assert not (tmp_path / "gpu").exists()


def test_on_a_gpu_the_models_that_use_one_get_gpu_instances_and_nothing_else_changes(tmp_path: Path) -> None:
    repository = model_repository("cuda:1", tmp_path / "gpu")
    assert {path.name for path in repository.iterdir()} == set(TRITON_MODELS)
    for name, model in TRITON_MODELS.items():
        generated, original = parsed(repository / name / "config.pbtxt"), parsed(SOURCE / name / "config.pbtxt")
        (group,) = generated.instance_group
        if model.uses_gpu:
            assert (group.kind, list(group.gpus), group.count) == (KIND_GPU, [1], 1)
        else:
            assert group.kind == KIND_CPU
        del generated.instance_group[:], original.instance_group[:]
        assert generated == original  # tensors, batching and backend exactly as checked in
        assert (repository / name / "1" / "model.py").read_text() == (SOURCE / name / "1" / "model.py").read_text()
    assert {name for name, model in TRITON_MODELS.items() if not model.uses_gpu} == {
        "pii_detector",
        "prompt_pii",
        "protected_match",
    }


def test_a_config_without_a_one_line_instance_group_is_refused() -> None:
    with pytest.raises(ValueError, match="expected one one-line instance_group, found 0"):
        gpu_config('name: "x"\n', "x", 0)


def test_the_command_writes_the_repository_for_a_device(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    main(["--device", "cuda", str(tmp_path / "out")])
    assert "for cuda:0" in capsys.readouterr().out
    assert "KIND_GPU" in (tmp_path / "out" / "generator" / "config.pbtxt").read_text()
    with pytest.raises(SystemExit):
        main(["--device", "auto", str(tmp_path / "other")])
